# The RP2040 engine's FIFO feed (ustim.hal.pio_feed) on both runtimes: the words
# and the timeline it keeps, across the wrap of the microsecond ticks, and on
# MicroPython no allocation (it runs for every pulse of every channel).
import sys

import hostpaths  # noqa: F401  (tools/shims: machine, rp2 on MicroPython)
from dualcheck import eq, true

import machine
import rp2
from boards import pico
from ustim.core.spec import PulseSpec
from ustim.hal import rp2_pio
from ustim.hal.pio_feed import feed
from ustim.hal.pulse import TICKS_MASK

ON_MICROPYTHON = sys.implementation.name == "micropython"
if ON_MICROPYTHON:
    import gc


class _QuietSm:
    # A state machine's FIFO as the feed sees it, without the shim's logs (which
    # allocate): tx_fifo() words waiting, put() adds a pulse's two.
    def __init__(self):
        self.level = 0
        self.puts = 0

    def tx_fifo(self):
        return self.level

    def put(self, words):
        self.level += 2
        self.puts += 1


def _engine(period_us):
    rp2.reset()
    machine.reset_state()
    eng = rp2_pio.PioPulseEngine(pico)
    eng.configure(0, PulseSpec(phase_us=200, period_us=period_us))
    eng.start(0)
    sm = _QuietSm()
    eng._sm[0] = sm
    return eng, sm


def check_the_timeline_steps_one_period_a_pulse_across_the_tick_wrap():
    eng, sm = _engine(10000)
    due = TICKS_MASK - 25000      # three pulses before the 2**30 us wrap
    eng._due[0] = due
    seen = []
    for _ in range(6):
        sm.level = 2                  # a pulse taken: room for one
        eq(feed(eng, 0), 1, "one pulse put")
        seen.append(eng._due[0])
    want = [(due + 10000 * (k + 1)) & TICKS_MASK for k in range(6)]
    eq(seen, want, "the next start, one period on, wrapped")
    true(all(0 <= t <= TICKS_MASK for t in eng._starts[0]), "starts within the ticks")


def check_the_feed_allocates_nothing():
    eng, sm = _engine(6667)
    eng._due[0] = TICKS_MASK - 20000    # the wrap inside the run
    fed0 = eng.fed[0]
    a0 = gc.mem_alloc() if ON_MICROPYTHON else 0
    if ON_MICROPYTHON:
        gc.disable()
    for _ in range(200):
        sm.level = 0 if sm.level <= 2 else sm.level - 2
        feed(eng, 0)
    a1 = gc.mem_alloc() if ON_MICROPYTHON else 0
    if ON_MICROPYTHON:
        gc.enable()
    true(sm.puts > 200, "pulses put: %d", sm.puts)
    true(eng.fed[0] > fed0, "pulses counted")
    eq(a1 - a0, 0, "bytes allocated by 200 feeds")
