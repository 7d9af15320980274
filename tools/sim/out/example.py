"""A realistic Recording made without the simulator, to show and test the
output files: a one-minute knee session, shortened from the default scenario.

    python -m tools.sim.out.example [OUTDIR]     (default out/sim-example)

Both channels run conventional TENS (100 Hz, 200 us phases, 20 us gap) and
ramp to 25 mA; at 20 s electrode 1 peels off, channel 1 stops with a lead-off
fault while channel 2 goes on; at 30 s the user clears it and channel 1 ramps
up again; the session ends at 50 s with a ramp down. Pulse times come from the
firmware's reference model (ustim.core.pulses), screens are drawn with the
framebuf shim's real 8x8 font.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import framebuf  # noqa: E402  (the shim, found through the path set above)

from tools.sim.out.recording import FRAME_BYTES, OLED_H, OLED_W, Recording  # noqa: E402
from ustim.core import pulses as ref  # noqa: E402
from ustim.core.spec import PulseSpec  # noqa: E402

PEAK_UA = 25000
RAMP_MS = 5000
STEP_MS = 250         # amplitude setpoint updates during a ramp


def screen(lines, bars=()):
    """A 128x64 frame: text lines (8 px each, 10 px apart) and, per channel,
    a level bar (fraction 0..1) at the bottom."""
    buf = bytearray(FRAME_BYTES)
    fb = framebuf.FrameBuffer(buf, OLED_W, OLED_H, framebuf.MONO_VLSB)
    for i, text in enumerate(lines):
        fb.text(text, 0, i * 10, 1)
    fb.hline(0, 9, OLED_W, 1)
    for ch, frac in enumerate(bars):
        y = 46 + ch * 9
        fb.text(str(ch + 1), 0, y, 1)
        fb.rect(10, y, 116, 8, 1)
        fb.fill_rect(12, y + 2, int(112 * frac), 4, 1)
    return bytes(buf)


class _Channel:
    # The amplitude setpoint as a list of (t_ms, ua) and the spans pulses run.
    def __init__(self):
        self.setpoints = []
        self.spans = []


def _ramp(ch, t0_ms, ua0, ua1):
    steps = RAMP_MS // STEP_MS
    for k in range(1, steps + 1):
        ch.setpoints.append((t0_ms + k * STEP_MS, ua0 + (ua1 - ua0) * k // steps))


def _level(ch, t_ms):
    ua = 0
    for t, v in ch.setpoints:
        if t <= t_ms:
            ua = v
    return ua


def knee_session():
    rec = Recording(board="pico", tick_ms=10, duration_ms=60000, runtime="cpython")
    spec = PulseSpec(200, 20, 10000)
    c1, c2 = _Channel(), _Channel()
    for c in (c1, c2):
        c.setpoints.append((2000, 0))
        _ramp(c, 2000, 0, PEAK_UA)
    # Channel 1: lead-off at 20 s stops it at once; cleared at 30 s, ramp again.
    c1.setpoints.append((20000, 0))
    c1.setpoints.append((30000, 0))
    _ramp(c1, 30000, 0, PEAK_UA)
    for c in (c1, c2):
        _ramp(c, 50000, PEAK_UA, 0)
    c1.spans = [(2000, 20000), (30000, 55000)]
    c2.spans = [(2000, 55000)]
    rec.hv += [(1500000, 1), (55100000, 0)]
    for ch, c in enumerate((c1, c2)):
        for t, ua in c.setpoints:
            rec.amplitude.append((t * 1000, ch, ua))
        # The channels are offset by half a period, as the firmware staggers
        # them so their pulses never share the supply at the same instant.
        offset = ch * spec.period_us // 2
        for a_ms, b_ms in c.spans:
            t0 = a_ms * 1000 + offset
            first, end = ref.pulses_in_window(spec, t0, t0, b_ms * 1000)
            for k in range(first, end):
                s = t0 + ref.start_offset(spec, k)
                ua = _level(c, s // 1000)
                if ua:
                    rec.add_pulse(ch, s, spec.pos_us, spec.gap_us, spec.neg_us, ua)
    rec.amplitude.sort()
    rec.events += [
        (0, "boot: outputs off, board pico"),
        (1500, "ch1 ch2 start: conventional TENS 100 Hz 200 us"),
        (20000, "ch1 FAULT open"),
        (30000, "ch1 fault cleared"),
        (50000, "session timer ended: ramp down"),
        (55100, "outputs off"),
    ]
    rec.console += [
        (800, "in", "status"),
        (810, "out", "ok ch1=idle ch2=idle batt=3.95V"),
        (25000, "in", "status"),
        (25010, "out", "ok ch1=fault:lead-off ch2=run 25.0mA"),
    ]
    rec.frames.append((0, "boot", screen(["ustim 0.1", "", "outputs off", "press OK"])))
    for s in range(2, 56):
        t = s * 1000
        a1, a2 = _level(c1, t), _level(c2, t)
        left = "%02d:%02d" % divmod(max(0, 50 - s), 60)
        if 20 <= s < 30:
            lines = ["KNEE TENS " + left, "CH1 LEAD OFF", "check electrode",
                     "CH2 %4.1f mA" % (a2 / 1000)]
            name = "fault"
        else:
            lines = ["KNEE TENS " + left, "CH1 %4.1f mA" % (a1 / 1000),
                     "CH2 %4.1f mA" % (a2 / 1000), "100Hz 200us"]
            name = "run"
        rec.frames.append((t, name, screen(lines, (a1 / 80000, a2 / 80000))))
    rec.frames.append((56000, "done", screen(["session done", "", "outputs off"])))
    rec.faults.append((20000, 0, "open"))
    rec.summary = {"scenario": "knee (example, shortened)"}
    return rec


def main(argv):
    from tools.sim.out.write import write_all

    outdir = Path(argv[0]) if argv else ROOT / "out" / "sim-example"
    written = write_all(knee_session(), outdir)
    print("wrote %d files to %s" % (len(written), outdir))


if __name__ == "__main__":
    main(sys.argv[1:])
