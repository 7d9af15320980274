# The pulse reference model, on both runtimes. Expected edge times are worked
# by hand from the spec drawing in ustim/core/spec.py.
from dualcheck import Lcg, eq, true
from ustim.core import limits, pulses
from ustim.core.spec import PulseSpec

ENV = limits.Envelope()


def check_single_pulse_edges():
    spec = PulseSpec(phase_us=200, gap_us=50, period_us=10000)
    out = [0] * 8
    eq(pulses.fill_edges(spec, 1000, 0, 2, out), 8, "entries")
    eq(out, [1000, 1200, 1250, 1450, 11000, 11200, 11250, 11450], "two pulses")


def check_burst_starts():
    # 7 pulses at 100 Hz, the group every 500 ms (burst TENS, 2 Hz).
    spec = PulseSpec(phase_us=200, period_us=10000, burst_n=7, burst_period_us=500000)
    starts = [pulses.start_offset(spec, k) for k in range(9)]
    eq(starts, [0, 10000, 20000, 30000, 40000, 50000, 60000, 500000, 510000], "starts")
    eq(pulses.interval_after(spec, 5), 10000, "inside the burst")
    eq(pulses.interval_after(spec, 6), 440000, "after the last pulse")
    eq(pulses.idle_after(spec, 6), 440000 - 400, "idle after the last pulse")


def check_edges_generator_matches_fill():
    spec = PulseSpec(phase_us=300, gap_us=20, period_us=20000, burst_n=3,
                     burst_period_us=100000)
    out = [0] * 20
    pulses.fill_edges(spec, 7, 0, 5, out)
    got = [t for t, _ in pulses.edges(spec, 7, 5)]
    eq(got, out, "generator and fill agree")
    kinds = [kind for _, kind in pulses.edges(spec, 0, 2)]
    eq(kinds, [0, 1, 2, 3, 0, 1, 2, 3], "edge order")


def check_edges_strictly_ordered_and_balanced():
    # Random specs inside the envelope: edges rise in time, phases balance,
    # the next pulse starts after the previous one ends.
    rng = Lcg(99)
    out = [0] * 24
    tried = 0
    while tried < 60:
        n = rng.between(1, 4)
        period = rng.between(6667, 200000)
        spec = PulseSpec(phase_us=rng.between(50, 400), gap_us=rng.between(0, 100),
                         period_us=period, burst_n=n,
                         burst_period_us=n * period + rng.between(0, 300000) if n > 1 else 0)
        if limits.check_spec(ENV, spec) is not None:
            continue
        tried += 1
        pulses.fill_edges(spec, 0, 0, 6, out)
        for j in range(23):
            true(out[j] <= out[j + 1], "ordered at %d for %r", j, spec)
        for p in range(6):
            a = out[4 * p + 1] - out[4 * p]
            b = out[4 * p + 3] - out[4 * p + 2]
            eq(a, b, "balanced pulse %d %r", p, spec)
            if p < 5:
                true(out[4 * p + 3] < out[4 * p + 4], "pulse %d ends before next %r", p, spec)


def check_window_counts_match_brute_force():
    spec = PulseSpec(phase_us=100, period_us=10000, burst_n=3, burst_period_us=50000)
    starts = [pulses.start_offset(spec, k) + 500 for k in range(12)]
    for w0, w1 in ((0, 1), (500, 501), (501, 10500), (0, 200000), (60500, 60501),
                   (30000, 50500), (50501, 110500)):
        first, end = pulses.pulses_in_window(spec, 500, w0, w1)
        want = [k for k in range(12) if w0 <= starts[k] < w1]
        got = list(range(first, end))
        eq(got, want, "window [%d, %d)", w0, w1)


def check_level_at_follows_edges():
    spec = PulseSpec(phase_us=60, gap_us=5, period_us=7000, burst_n=2, burst_period_us=20000)
    t0 = 100
    out = [0] * 12
    pulses.fill_edges(spec, t0, 0, 3, out)
    for p in range(3):
        s, af, br, bf = out[4 * p], out[4 * p + 1], out[4 * p + 2], out[4 * p + 3]
        eq(pulses.level_at(spec, t0, s - 1), (0, 0), "before pulse %d", p)
        eq(pulses.level_at(spec, t0, s), (1, 0), "A at start of %d", p)
        eq(pulses.level_at(spec, t0, af - 1), (1, 0), "A at end of %d", p)
        eq(pulses.level_at(spec, t0, af), (0, 0), "gap of %d", p)
        eq(pulses.level_at(spec, t0, br), (0, 1), "B of %d", p)
        eq(pulses.level_at(spec, t0, bf - 1), (0, 1), "B end of %d", p)
        eq(pulses.level_at(spec, t0, bf), (0, 0), "after %d", p)
    eq(pulses.level_at(spec, t0, 0), (0, 0), "before t0")


def check_zero_gap_switches_in_one_step():
    spec = PulseSpec(phase_us=50, gap_us=0, period_us=6667)
    eq(pulses.level_at(spec, 0, 49), (1, 0), "last A us")
    eq(pulses.level_at(spec, 0, 50), (0, 1), "first B us")
