# The channel state machine on both runtimes: ramps, stop, emergency stop,
# fault latching, refusals that change nothing, and the ticks_ms wrap.
import sys

from dualcheck import Lcg, eq, true
from ustim.core import channel as C
from ustim.core.ticks import TICKS_PERIOD, ticks_add

# Start times: an ordinary one and one a second before the 2**30 tick wrap.
STARTS = (1000, TICKS_PERIOD - 1000)


def _ready(now, target=25000, limit=80000):
    ch = C.Channel(0)
    ch.set_limit(limit)
    eq(ch.handle(C.SET_AMP, target, now), None, "set target")
    eq(ch.handle(C.START, 0, now), None, "start")
    eq(ch.state, C.ARMED, "armed")
    true(0 < ch.output_ua() <= 2000, "probe current <= 2 mA")
    eq(ch.handle(C.CHECK_OK, 0, now), None, "check ok")
    return ch


def _snapshot(ch):
    # No attributes are added after __init__, so the value order is stable.
    return tuple(ch.__dict__.values())


_NO_OUTPUT = (C.OFF, C.FAULT, C.PAUSED)


def _fill(ch, buf):
    # _snapshot into a preallocated list: the random check takes thousands.
    i = 0
    for v in ch.__dict__.values():
        buf[i] = v
        i += 1


def _same(ch, buf):
    i = 0
    for v in ch.__dict__.values():
        if buf[i] != v:
            return False
        i += 1
    return True


def check_start_ramp_takes_at_least_two_seconds():
    for t0 in STARTS:
        ch = _ready(t0)
        eq(ch.state, C.RAMPING, "ramping")
        eq(ch.output_ua(), 0, "0 at start")
        prev = 0
        t = 0
        while ch.state == C.RAMPING:
            t += 10
            ch.tick(ticks_add(t0, t))
            true(ch.level_ua >= prev, "monotonic ramp")
            prev = ch.level_ua
        eq(ch.state, C.RUNNING, "running after ramp")
        eq(ch.level_ua, 25000, "at target")
        true(t >= 2000, "ramp took %d ms", t)
        eq(t, C.RAMP_MS, "ramp length")


def check_level_halfway_through_ramp():
    ch = _ready(0, target=20000)
    ch.tick(C.RAMP_MS // 2)
    true(abs(ch.level_ua - 10000) <= 20, "half way: %d", ch.level_ua)


def check_stop_ramps_down_within_one_second_then_off():
    for t0 in STARTS:
        ch = _ready(t0)
        ch.tick(ticks_add(t0, 5000))
        eq(ch.level_ua, 25000, "running level")
        stop_at = ticks_add(t0, 6000)
        eq(ch.handle(C.STOP, 0, stop_at), None, "stop")
        eq(ch.state, C.STOPPING, "stopping")
        t = 0
        prev = ch.level_ua
        while ch.state == C.STOPPING:
            t += 10
            ch.tick(ticks_add(stop_at, t))
            true(ch.level_ua <= prev, "never rises while stopping")
            prev = ch.level_ua
        eq(ch.state, C.OFF, "off")
        eq(ch.output_ua(), 0, "output 0")
        true(t <= 1000, "stopped in %d ms", t)


def check_emergency_stop_and_fault_cut_output_at_once():
    for event, arg, state in ((C.ESTOP, 0, C.OFF), (C.FAULT_EV, C.FAULT_OPEN, C.FAULT)):
        ch = _ready(0)
        ch.tick(4000)
        true(ch.output_ua() > 0, "outputting")
        eq(ch.handle(event, arg, 4001), None, "accepted")
        eq(ch.state, state, "state")
        eq(ch.output_ua(), 0, "output off in the same call")
        eq(ch.level_ua, 0, "level 0")


def check_fault_latches_until_cleared_then_restarts_from_zero():
    ch = _ready(0)
    ch.tick(4000)
    eq(ch.handle(C.FAULT_EV, C.FAULT_SHORT, 4000), None, "fault")
    eq(ch.handle(C.FAULT_EV, C.FAULT_OPEN, 4001), None, "second fault accepted")
    eq(ch.fault_kind, C.FAULT_SHORT, "first fault kept")
    for event in (C.START, C.RESUME, C.UP, C.SET_AMP, C.CHECK_OK, C.TIMER_EXPIRED):
        before = _snapshot(ch)
        eq(ch.handle(event, 1000, 5000), C.R_FAULT, "refused in FAULT")
        eq(_snapshot(ch), before, "refusal changed nothing")
    for t in range(5000, 20000, 1000):
        ch.tick(t)
        eq(ch.state, C.FAULT, "still latched")
    eq(ch.handle(C.CLEAR_FAULT, 0, 20000), None, "clear")
    eq((ch.state, ch.target_ua, ch.level_ua, ch.fault_kind), (C.OFF, 0, 0, 0), "cleared")
    eq(ch.handle(C.START, 0, 20000), None, "restart")
    eq(ch.handle(C.CHECK_OK, 0, 20000), None, "check")
    eq(ch.output_ua(), 0, "restart from 0")


def check_refusals_name_a_reason_and_change_nothing():
    ch = C.Channel(1)
    eq(ch.handle(C.START, 0, 0), C.R_NO_LIMIT, "no spec yet")
    ch.set_limit(30000)
    cases = ((C.SET_AMP, 30001, C.R_ABOVE_LIMIT), (C.SET_AMP, -1, C.R_NEGATIVE),
             (C.DOWN, 0, C.R_AT_ZERO), (C.RESUME, 0, C.R_NOT_ALLOWED),
             (C.CLEAR_FAULT, 0, C.R_NOT_ALLOWED), (C.FAULT_EV, 99, C.R_BAD_FAULT),
             (C.CHECK_OK, 0, C.R_NOT_ALLOWED), (C.PAUSE, 0, C.R_NOT_ALLOWED),
             (99, 0, C.R_NOT_ALLOWED))
    for event, arg, reason in cases:
        before = _snapshot(ch)
        eq(ch.handle(event, arg, 5), reason, "event %d", event)
        eq(_snapshot(ch), before, "unchanged after event %d", event)
    eq(ch.handle(C.SET_AMP, 30000, 5), None, "at limit ok")
    eq(ch.handle(C.UP, 0, 5), C.R_AT_MAX, "up at max")
    ch.handle(C.START, 0, 5)
    ch.handle(C.CHECK_OK, 0, 5)
    eq(ch.handle(C.START, 0, 6), C.R_RUNNING, "start while running")


def check_high_impedance_blocks_increases_only():
    ch = _ready(0, target=10000)
    ch.tick(4000)
    ch.inhibit_up = True
    eq(ch.handle(C.UP, 0, 4000), C.R_HIGH_Z, "up blocked")
    eq(ch.handle(C.SET_AMP, 12000, 4000), C.R_HIGH_Z, "set higher blocked")
    eq(ch.handle(C.DOWN, 0, 4000), None, "down allowed")
    eq(ch.target_ua, 9000, "down one step")


def check_user_changes_are_slew_limited():
    ch = _ready(0, target=5000)
    ch.tick(4000)
    eq(ch.handle(C.SET_AMP, 25000, 4000), None, "raise")
    # 20 mA at 4 mA/s takes 5 s; each 10 ms tick moves at most 40 uA (+rounding).
    prev = ch.level_ua
    for t in range(4010, 9100, 10):
        ch.tick(t)
        true(0 <= ch.level_ua - prev <= 41, "step %d", ch.level_ua - prev)
        prev = ch.level_ua
    eq(ch.level_ua, 25000, "reached")


def check_lowering_the_limit_clamps_at_once():
    ch = _ready(0, target=30000)
    ch.tick(4000)
    ch.set_limit(12000)
    eq((ch.target_ua, ch.level_ua), (12000, 12000), "clamped")
    ch.tick(4010)
    eq(ch.level_ua, 12000, "stays clamped")


def check_armed_times_out_and_check_fail_names_reason():
    ch = C.Channel(0)
    ch.set_limit(20000)
    ch.handle(C.START, 0, TICKS_PERIOD - 100)
    ch.tick(ticks_add(TICKS_PERIOD - 100, C.ARM_TIMEOUT_MS - 1))
    eq(ch.state, C.ARMED, "still armed")
    ch.tick(ticks_add(TICKS_PERIOD - 100, C.ARM_TIMEOUT_MS))
    eq(ch.state, C.OFF, "timed out")
    true(ch.check_reason is not None, "reason recorded")
    ch.handle(C.START, 0, 10)
    ch.handle(C.CHECK_FAIL, "electrode open", 20)
    eq((ch.state, ch.check_reason, ch.output_ua()), (C.OFF, "electrode open", 0), "refused start")


def check_pause_resume_and_timer():
    ch = _ready(0, target=8000)
    ch.tick(4000)
    eq(ch.handle(C.PAUSE, 0, 4000), None, "pause")
    eq(ch.output_ua(), 0, "paused output 0")
    eq(ch.handle(C.RESUME, 0, 5000), None, "resume")
    eq((ch.state, ch.output_ua()), (C.RAMPING, 0), "resume ramps from 0")
    ch.tick(5000 + C.RAMP_MS)
    eq(ch.state, C.RUNNING, "running again")
    eq(ch.handle(C.TIMER_EXPIRED, 0, 9000), None, "timer")
    eq(ch.state, C.STOPPING, "timer ramps down")


def check_random_sequences_keep_the_invariants():
    # The same pseudo-random sequences on both runtimes; the hypothesis version
    # (test_channel_props.py) explores far more on CPython. Failures are raised
    # directly (no helper varargs) to keep MicroPython's heap use low.
    rng = Lcg(7)
    snap = [None] * 32
    for _ in range(20):
        ch = C.Channel(0)
        ch.set_limit(40000)
        now = TICKS_PERIOD - 5000 if rng.below(2) else 0
        for _ in range(100):
            event = rng.below(C.N_EVENTS + 1)
            arg = rng.between(-1000, 45000) if event == C.SET_AMP else (
                rng.between(0, 6) if event == C.FAULT_EV else 0)
            now = ticks_add(now, rng.between(0, 60))
            before_state, before_level = ch.state, ch.level_ua
            _fill(ch, snap)
            reason = ch.handle(event, arg, now)
            if reason is not None:
                if not _same(ch, snap):
                    raise AssertionError("refused event %d changed state" % event)
                continue
            if ch.state not in C.TABLE[before_state][event][1]:
                raise AssertionError("%d -%d-> %d not in table" % (before_state, event, ch.state))
            if ch.state in _NO_OUTPUT and ch.output_ua() != 0:
                raise AssertionError("output in " + C.STATE_NAMES[ch.state])
            if not 0 <= ch.level_ua <= ch.max_ua:
                raise AssertionError("level %d out of range" % ch.level_ua)
            if before_state == C.FAULT and ch.state != C.FAULT and event != C.CLEAR_FAULT:
                raise AssertionError("left FAULT by event %d" % event)
            if ch.level_ua > before_level and event not in (C.TICK, C.SET_AMP, C.UP, C.DOWN):
                raise AssertionError("level rose on event %d" % event)


def check_steady_state_tick_allocates_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    for t0 in STARTS:
        ch = _ready(t0)
        now = t0
        for _ in range(500):    # through the ramp and into RUNNING
            now = ticks_add(now, 10)
            ch.tick(now)
        ch.handle(C.SET_AMP, 30000, now)
        before = gc.mem_alloc()
        for _ in range(1000):   # slewing, then steady
            now = ticks_add(now, 10)
            ch.tick(now)
        eq(gc.mem_alloc() - before, 0, "bytes allocated by 1000 ticks")
        eq(ch.level_ua, 30000, "slewed to the new target")
