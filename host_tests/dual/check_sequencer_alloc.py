# The per-tick path allocates nothing: under MicroPython (gc off in the runner,
# so gc.mem_alloc() deltas are exact) 1000 steady-state ticks of the sequencer,
# session timer and dose accounting leave the heap where it was, for every
# preset. On CPython the same loop runs, without the heap measurement.
import sys

from dualcheck import eq, true

from ustim.core import limits, programs
from ustim.core.dose import Dose
from ustim.core.sequencer import Sequencer
from ustim.core.session import Session
from ustim.core.ticks import TICKS_PERIOD, ticks_add

ON_MICROPYTHON = sys.implementation.name == "micropython"
if ON_MICROPYTHON:
    import gc

ENV = limits.Envelope()
TICKS = 1000


def _heap():
    return gc.mem_alloc() if ON_MICROPYTHON else 0


def _steady_ticks(seq, ses, dose, now, n, counts):
    # 80 mA, 2 pulses a tick: the dose sums pass 2**30 within the loop, so the
    # wide accumulators carry between limbs while being measured.
    spec = seq.spec
    changes = 0
    i = 0
    while i < n:
        now = ticks_add(now, 10)
        ses.tick(now)
        scale = seq.tick(ses.elapsed_ms)
        if seq.changed:
            changes += 1
        dose.add_pulses(spec, 80 * scale, 2)
        dose.add_time(seq.stage, 10)
        i += 1
    counts[0] = changes   # returned through a list: a returned tuple would allocate
    return now


def check_tick_path_allocates_nothing():
    seq = Sequencer()
    ses = Session(ENV)
    dose = Dose(8)
    counts = [0]
    for prog in programs.PRESETS:
        seq.load(prog)
        ses.load(prog)
        dose.reset()
        # Start 55 s into the session and close to the tick wrap: the loop
        # crosses an NMES cycle boundary, alternation steps, sweep steps and
        # the 2**30 wrap of the tick counter.
        now = TICKS_PERIOD - 3000
        ses.start(now)
        ses.elapsed_ms = 55000
        now = _steady_ticks(seq, ses, dose, now, 10, counts)   # past the first-tick change
        # The small-int amplitude sum starts just below its fold point, so for
        # the programs whose amplitude moves the limb arithmetic runs (and
        # carries) inside the measured loop; a steady one only counts pulses.
        dose._amp_acc = (1 << 28) - 100000
        folds_before = dose.pos_pc.l1
        before = _heap()
        now = _steady_ticks(seq, ses, dose, now, TICKS, counts)
        after = _heap()
        changes = counts[0]
        eq(after - before, 0, "%s: bytes allocated in %d ticks", prog.pid, TICKS)
        eq(ses.elapsed_ms, 55000 + 10 * (TICKS + 10), "%s: timer across the wrap", prog.pid)
        true(dose.pulses > 0, "%s: pulses accounted", prog.pid)
        if prog.alt_ms or prog.sweep_ms:
            true(changes > 0, "%s: spec changes during the loop", prog.pid)
        else:
            eq(changes, 0, "%s: no spec change in the steady state", prog.pid)
        if prog.on_ms:
            # Contraction ramps change the amplitude: the sums take it per tick.
            true(dose.pos_pc.l1 != folds_before, "%s: the limb sums moved inside the loop",
                 prog.pid)
    true(dose.charge_pc()[0] >= 1 << 30, "sums passed 2**30")


def check_heap_measurement_sees_an_allocation():
    # The instrument works: one float per tick (a heap object on this build)
    # shows up in the same kind of measurement.
    i = 0
    x = 0.5
    before = _heap()
    while i < 10:
        x = x * 1.5
        i += 1
    after = _heap()
    if ON_MICROPYTHON:
        true(after - before >= 10 * 16, "10 floats allocated %d bytes", after - before)
    true(x > 0, "loop ran")
