"""Commanded vs emulated pulse timing of the RP2040 engine, in state-machine
cycles (1 cycle = 1 us), for the presets of docs/pulse-engine.md, with the
measured dead-man bound and stop latency. Prints a markdown table.

    python -m tools.perf.pio_table
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from boards import pico  # noqa: E402
from tools.perf.pio_bench import pulses_from_edges, started  # noqa: E402
from ustim.core import pulses  # noqa: E402
from ustim.core.spec import PulseSpec  # noqa: E402

PRESETS = [
    ("conventional TENS 100 Hz 200 us", PulseSpec(phase_us=200, period_us=10000)),
    ("acupuncture-like 2 Hz 250 us", PulseSpec(phase_us=250, period_us=500000)),
    ("burst 7 x 100 Hz at 2 Hz 200 us", PulseSpec(phase_us=200, period_us=10000, burst_n=7,
                                                  burst_period_us=500000)),
    ("NMES 50 Hz 300 us", PulseSpec(phase_us=300, period_us=20000, ems=True)),
    ("corner 50 us / 150 Hz", PulseSpec(phase_us=50, period_us=6667)),
    ("corner 400 us + 100 us gap / 1 Hz", PulseSpec(phase_us=400, gap_us=100, period_us=1000000)),
]


def measure(spec, ch=0):
    engine, bench, ctl = started(pico, spec, ch)
    n = spec.pulses_per_cycle()
    ctl.run_pulses(n, min(pulses.interval_after(spec, i) for i in range(n)),
                   limit=3 * spec.cycle_us())
    after = ctl.starve(3 * spec.cycle_us())
    got = [p for p in pulses_from_edges(bench.edges) if p[3] is not None]
    widths = sorted({p[1] - p[0] for p in got}), sorted({p[3] - p[2] for p in got})
    gaps = sorted({p[2] - p[1] for p in got})
    periods = sorted({b[0] - a[0] for a, b in zip(got, got[1:], strict=False)})
    # Stop in the middle of a B phase of a fresh train.
    engine, bench, _ = started(pico, spec, ch)
    bench.run_until(5 + spec.pos_us + spec.gap_us + spec.neg_us // 2)
    stop_at = bench.clock
    engine.stop(ch)
    bench.apply_execs()
    latency = bench.edges[-1][0] - stop_at
    return widths, gaps, periods, len(after), latency, bench.level, len(got), bench.both_high


def _fmt(values):
    return "/".join(str(v) for v in values)


def main():
    print("| preset | commanded A/gap/B/period (cycles) | emulated A | emulated B | emulated gap "
          "| emulated periods | pulses checked | pulses after last feed | stop latency |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, spec in PRESETS:
        (wa, wb), gaps, periods, after, latency, level, count, both = measure(spec)
        commanded_periods = sorted({pulses.interval_after(spec, i)
                                    for i in range(spec.pulses_per_cycle())})
        print("| %s | %d / %d / %d / %s | %s | %s | %s | %s | %d | %d | %d cycle%s |" % (
            name, spec.pos_us, spec.gap_us, spec.neg_us, _fmt(commanded_periods), _fmt(wa),
            _fmt(wb), _fmt(gaps), _fmt(periods), count, after, latency,
            "" if latency == 1 else "s"))
        if both or level:
            print("FAILED: A and B high together or pins not low after stop", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
