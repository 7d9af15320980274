# Tick arithmetic: the same answers as MicroPython's time.ticks_add/ticks_diff,
# across the 2**30 wrap, without allocating.
import sys

from dualcheck import Lcg, eq
from ustim.core.ticks import TICKS_PERIOD, ticks_add, ticks_diff

MAX = TICKS_PERIOD - 1


def _ref_add(t, d):
    return (t + d) % TICKS_PERIOD


def _ref_diff(a, b):
    d = (a - b) % TICKS_PERIOD
    return d - TICKS_PERIOD if d >= TICKS_PERIOD // 2 else d


def check_edges_of_the_wrap():
    eq(ticks_add(MAX, 1), 0, "wrap forward")
    eq(ticks_add(0, -1), MAX, "wrap back")
    eq(ticks_diff(0, MAX), 1, "diff across wrap")
    eq(ticks_diff(MAX, 0), -1, "negative diff across wrap")
    eq(ticks_diff(1 << 29, 0), -(1 << 29), "half period reads negative")
    eq(ticks_diff((1 << 29) - 1, 0), (1 << 29) - 1, "just under half")


def check_matches_modular_reference():
    rng = Lcg(99)
    for _ in range(2000):
        t = rng.between(0, MAX) if rng.below(2) else MAX - rng.below(5000)
        d = rng.between(-(1 << 28), 1 << 28)
        eq(ticks_add(t, d), _ref_add(t, d), "add %d %d", t, d)
        u = rng.between(0, MAX)
        eq(ticks_diff(u, t), _ref_diff(u, t), "diff %d %d", u, t)


def check_matches_micropython_time_module():
    if sys.implementation.name != "micropython":
        return
    import time
    rng = Lcg(3)
    for _ in range(500):
        t = MAX - rng.below(100000)
        d = rng.between(-100000, 100000)
        eq(ticks_add(t, d), time.ticks_add(t, d), "add %d %d", t, d)
        u = ticks_add(t, rng.between(-100000, 100000))
        eq(ticks_diff(u, t), time.ticks_diff(u, t), "diff %d %d", u, t)


def check_no_allocation_near_the_wrap():
    if sys.implementation.name != "micropython":
        return
    import gc
    t = MAX - 500
    before = gc.mem_alloc()
    for _ in range(1000):
        t = ticks_add(t, 7)
        ticks_diff(t, MAX)
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 1000 tick operations")
