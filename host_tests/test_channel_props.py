"""Random event sequences on the channel state machine (hypothesis).

Invariants from the foundation issue: the amplitude never rises faster than
the start ramp or the user slew allows in one tick, and never falls faster than
the stop ramp except to 0 (emergency stop, pause, fault, limit clamp); it is 0
in OFF, PAUSED and FAULT; FAULT is left only by clear_fault; a refused event
changes nothing; time may start anywhere, including just before the ticks wrap.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ustim.core import channel as C
from ustim.core.ticks import TICKS_PERIOD, ticks_add

LIMIT = 60000


def snapshot(ch):
    return dict(vars(ch))


class ChannelMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.ch = C.Channel(0)
        self.ch.set_limit(LIMIT)
        self.now = 0

    @rule(start=st.one_of(st.integers(0, 1000),
                          st.integers(TICKS_PERIOD - 20000, TICKS_PERIOD - 1)))
    @precondition(lambda self: self.now == 0)
    def start_clock(self, start):
        self.now = start

    def _apply(self, event, arg=0):
        ch = self.ch
        before = snapshot(ch)
        reason = ch.handle(event, arg, self.now)
        if reason is not None:
            assert snapshot(ch) == before, "refused %s changed the channel" % C.EVENT_NAMES[event]
            return
        prev_state = before["state"]
        assert ch.state in C.TABLE[prev_state][event][1]
        if prev_state == C.FAULT and ch.state != C.FAULT:
            assert event == C.CLEAR_FAULT
        if event in (C.ESTOP, C.PAUSE, C.FAULT_EV, C.CHECK_FAIL, C.CLEAR_FAULT):
            assert ch.output_ua() == 0
        if event != C.TICK:
            # Only ticks move the level upward.
            assert ch.level_ua <= before["level_ua"] or before["state"] == C.ARMED

    @rule(event=st.sampled_from([C.START, C.STOP, C.PAUSE, C.RESUME, C.UP, C.DOWN,
                                 C.CLEAR_FAULT, C.TIMER_EXPIRED, C.ESTOP, C.CHECK_OK]))
    def simple_event(self, event):
        self._apply(event)

    @rule(ua=st.integers(-100, LIMIT + 100))
    def set_amp(self, ua):
        self._apply(C.SET_AMP, ua)

    @rule(kind=st.integers(-1, 7))
    def fault(self, kind):
        self._apply(C.FAULT_EV, kind)

    @rule(reason=st.sampled_from(["electrode open", "electrode short"]))
    def check_fail(self, reason):
        self._apply(C.CHECK_FAIL, reason)

    @rule(inhibit=st.booleans())
    def impedance_high(self, inhibit):
        self.ch.inhibit_up = inhibit

    @rule(dt=st.one_of(st.integers(0, 20), st.just(10), st.integers(21, 5000)))
    def tick(self, dt):
        ch = self.ch
        before_level, before_state = ch.level_ua, ch.state
        self.now = ticks_add(self.now, dt)
        assert ch.tick(self.now) is None
        rise = ch.level_ua - before_level
        # Fastest allowed rise: the start ramp (limit over ramp_ms) or the slew.
        max_rate_num = max(LIMIT * 1000 // C.RAMP_MS, C.SLEW_UP_UA_S)
        assert rise <= max_rate_num * dt // 1000 + 1, (rise, dt)
        if before_state == C.STOPPING and ch.state != C.OFF:
            fall = before_level - ch.level_ua
            assert fall <= LIMIT * dt // C.STOP_MS + 1

    @invariant()
    def amplitude_rules(self):
        ch = self.ch
        assert 0 <= ch.level_ua <= ch.max_ua
        assert 0 <= ch.target_ua <= ch.max_ua
        if ch.state in (C.OFF, C.PAUSED, C.FAULT):
            assert ch.output_ua() == 0
        if ch.state == C.ARMED:
            assert ch.output_ua() <= 2000
        if ch.state == C.FAULT:
            assert ch.fault_kind != C.FAULT_NONE


ChannelMachine.TestCase.settings = settings(max_examples=1000, stateful_step_count=60,
                                            deadline=None)
TestChannelSequences = ChannelMachine.TestCase


def test_stop_always_ends_in_off_within_a_second():
    for target in (0, 1000, 25000, LIMIT):
        for start in (0, TICKS_PERIOD - 300):
            ch = C.Channel(0)
            ch.set_limit(LIMIT)
            ch.handle(C.SET_AMP, target, start)
            ch.handle(C.START, 0, start)
            ch.handle(C.CHECK_OK, 0, start)
            t = ticks_add(start, 10000)
            ch.tick(t)
            ch.handle(C.STOP, 0, t)
            ch.tick(ticks_add(t, 1000))
            assert ch.state == C.OFF and ch.output_ua() == 0
