# Everything sets itself up: the first target that needs Python tools creates
# .venv and installs the pinned requirements.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-cpython test-mpy build lint clean

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## test: lint, compile for both targets, run every test on CPython and MicroPython
test: $(STAMP) lint build
	$(BIN)/python -m pytest

## test-mpy: only the MicroPython pass of the dual-runtime checks
test-mpy: $(STAMP)
	$(BIN)/python -m tools.mpy_run

## build: compile firmware/ and boards/ with mpy-cross into build/rp2 and build/esp32
build: $(STAMP)
	$(BIN)/python -m tools.build

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build out .pytest_cache
