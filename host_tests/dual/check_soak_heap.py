# Soak on the real MicroPython VM: 20000 steady-state control ticks (200 s of
# stimulation) of the command layer with both channels running presets, the
# pulses of each tick accounted into the dose as the app does, leave the heap
# exactly where it was (the runner keeps gc off, so gc.mem_alloc() only grows).
# The loop crosses the 2**30 wrap of the tick counter, NMES contraction cycles
# and the modulated program's rate sweep. On CPython the same loop runs, with
# the state checks and without the heap figure.
import sys

from dualcheck import eq, true

from ustim.core import channel as C
from ustim.core import limits
from ustim.core.controller import Controller
from ustim.core.ticks import TICKS_PERIOD, ticks_add

ON_MICROPYTHON = sys.implementation.name == "micropython"
if ON_MICROPYTHON:
    import gc

TICKS = 20000
TICK_MS = 10


def _heap():
    return gc.mem_alloc() if ON_MICROPYTHON else 0


def _ticks(ctl, now, n, pulses):
    # Pulses per tick as the engine would feed them: the period is whole
    # milliseconds or less for every rate here, so 1-2 per 10 ms tick.
    i = 0
    while i < n:
        now = ticks_add(now, TICK_MS)
        ctl.tick(now)
        for c in ctl.chans:
            ua = c.out.ua
            if ua > 0:
                k = TICK_MS * 1000 // c.out.spec.period_us
                ctl.account(c.ch.index, k if k > 0 else 1, ua)
                pulses[c.ch.index] += 1
        i += 1
    return now


def check_controller_soak_heap_does_not_grow():
    ctl = Controller(limits.Envelope())
    now = TICKS_PERIOD - 60000        # the tick counter wraps inside the soak
    ctl.tick(now)
    for ch, pid, ua in ((0, "mod", 30000), (1, "short", 40000)):
        eq(ctl.select(ch, pid), None, "select %s", pid)
        eq(ctl.set_amp(ch, ua), None, "amplitude %s", pid)
        eq(ctl.start(ch), None, "start %s", pid)
        eq(ctl.electrode_check(ch, True), None, "electrode check %s", pid)
    pulses = [0, 0]
    now = _ticks(ctl, now, 400, pulses)     # past the start ramp: steady state
    eq([c.ch.state for c in ctl.chans], [C.RUNNING, C.RUNNING], "running")
    before = _heap()
    now = _ticks(ctl, now, TICKS, pulses)
    after = _heap()
    eq(after - before, 0, "bytes allocated in %d control ticks", TICKS)
    eq([c.ch.state for c in ctl.chans], [C.RUNNING, C.RUNNING], "still running")
    eq(ctl.chans[0].session.elapsed_ms, (TICKS + 400) * TICK_MS, "session time counted")
    true(ctl.chans[0].dose.pulses > TICKS, "mod pulses counted")
    true(0 < pulses[1] < TICKS, "NMES rested between contractions")
    true(ctl.finished == [], "no session ended")
