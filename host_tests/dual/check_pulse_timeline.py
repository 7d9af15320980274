# The pulse engines' timeline arithmetic (ustim.hal.pulse): quiet_wait and
# ticks_later give the modular answers across the 2**30 wrap of ticks_us and
# allocate nothing, whatever the distance between a start and now. Both run in
# the control tick whenever a level moves.
import sys

from dualcheck import Lcg, eq
from ustim.hal import pio_feed
from ustim.hal.pulse import quiet_wait, ticks_later

PERIOD = 1 << 30
MAX = PERIOD - 1


def _signed(d):
    d %= PERIOD
    return d - PERIOD if d >= PERIOD // 2 else d


def _ref_quiet(now, start, busy, margin, settle):
    d = _signed(start - now)
    end = d + busy + margin
    if end <= 0 or d - margin > settle:
        return 0
    return end


def _cases(seed, n):
    rng = Lcg(seed)
    for _ in range(n):
        now = rng.between(0, MAX) if rng.below(2) else MAX - rng.below(3000)
        r = rng.below(4)
        if r == 0:
            d = rng.between(-3000, 3000)          # the pulse in progress or near
        elif r == 1:
            d = rng.between(-(1 << 28), 1 << 28)  # far: a start long over
        elif r == 2:
            d = -(1 << 28)                        # the engines' "long over" mark
        else:
            d = rng.between(-600000, 600000)      # a period of a slow program away
        yield now, (now + d) % PERIOD, rng.between(10, 1500), rng.between(0, 40), \
            rng.between(0, 2000)


def check_quiet_wait_matches_the_modular_reference():
    for now, start, busy, margin, settle in _cases(11, 600):
        eq(quiet_wait(now, start, busy, margin, settle),
           _ref_quiet(now, start, busy, margin, settle),
           "quiet_wait(%d, %d, %d, %d, %d)", now, start, busy, margin, settle)


def check_a_pulse_in_progress_is_waited_for():
    # Began 100 us ago, busy 450 us, margin 10: 360 us to go, across the wrap.
    eq(quiet_wait(50, MAX - 49, 450, 10, 1500), 360, "in progress across the wrap")
    eq(quiet_wait(MAX - 5, 200, 450, 10, 1500), 666, "ahead, within settle, across the wrap")
    eq(quiet_wait(MAX - 5, 200 + 1600, 450, 10, 1500), 0, "ahead by more than settle")
    eq(quiet_wait(1000, (1000 - (1 << 28)) % PERIOD, 450, 10, 1500), 0, "long over")


class _Timeline:
    # What pio_feed.quiet_in reads of the PIO engine: one channel's timeline.
    def __init__(self, now, starts, due, busy):
        self.on = [True]
        self._starts = [starts]
        self._due = [due]
        self._busy = [busy]
        self._now = now

    def _ticks(self):
        return self._now


def check_pio_quiet_in_is_the_longest_quiet_wait_on_its_timeline():
    # The PIO engine's quiet_in writes quiet_wait out: the same answer, for the
    # pulses on the timeline and the next one to be put.
    margin = pio_feed.EDGE_MARGIN_US
    cases = list(_cases(31, 4 * 300))
    for i in range(0, len(cases), 4):
        now, _, busy, _, settle = cases[i]
        times = [(c[1] - cases[i][1] + now) % PERIOD for c in cases[i:i + 4]]
        eng = _Timeline(now, times[:3], times[3], busy)
        want = 0
        for t in times:
            w = quiet_wait(now, t, busy, margin, settle)
            want = w if w > want else want
        eq(pio_feed.quiet_in(eng, 0, settle), want, "quiet_in at %d over %r", now, times)
    eng.on[0] = False
    eq(pio_feed.quiet_in(eng, 0, 1500), -1, "a stopped channel")


def check_ticks_later_wraps():
    eq(ticks_later(MAX, 1), 0, "one past the top")
    eq(ticks_later(MAX - 10, 25), 14, "across")
    eq(ticks_later(5, 7), 12, "no wrap")
    rng = Lcg(5)
    for _ in range(400):
        t = rng.between(0, MAX) if rng.below(2) else MAX - rng.below(100000)
        d = rng.between(0, (1 << 29) - 1)
        eq(ticks_later(t, d), (t + d) % PERIOD, "ticks_later(%d, %d)", t, d)


def check_no_allocation_anywhere_on_the_wrap():
    if sys.implementation.name != "micropython":
        return
    import gc
    cases = list(_cases(23, 200))
    eng = _Timeline(0, [0, 0, 0], 0, 0)
    before = gc.mem_alloc()
    for now, start, busy, margin, settle in cases:
        quiet_wait(now, start, busy, margin, settle)
        ticks_later(now, busy)
        ticks_later(start, 600000)
        eng._now = now
        eng._starts[0][1] = start
        eng._busy[0] = busy
        pio_feed.quiet_in(eng, 0, settle)
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 800 timeline operations")
