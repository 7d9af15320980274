# One output channel's state machine: what state it is in, the amplitude the
# user asked for (target) and the amplitude it may output now (level).
#
# Table-driven: TABLE[state][event] is (handler, states the event may lead to)
# or None when the event is not allowed in that state. A refused event returns
# a reason string and changes nothing; an accepted one returns None. Time only
# comes from now_ms arguments (ticks_ms values, wrap-safe through ticks_diff).
# docs/channel-states.md is kept equal to TABLE by a test.
#
# Amplitude rules (docs/safety-limits.md): 0 at start, rising to target over ramp_ms
# (>= 2 s); user changes while running move at a limited slew rate; stop ramps
# down within STOP_MS then output off; emergency stop, pause and any fault set
# the level to 0 at once; a fault latches until clear_fault, which returns to
# OFF with target 0. The level never exceeds max_ua, the envelope's bound for
# the current pulse spec and electrode area (set by the caller via set_limit).
from micropython import const

from ustim.core.ticks import ticks_diff

OFF = const(0)
ARMED = const(1)
RAMPING = const(2)
RUNNING = const(3)
PAUSED = const(4)
STOPPING = const(5)
FAULT = const(6)
STATE_NAMES = ("OFF", "ARMED", "RAMPING", "RUNNING", "PAUSED", "STOPPING", "FAULT")
N_STATES = const(7)

START = const(0)
STOP = const(1)
PAUSE = const(2)
RESUME = const(3)
SET_AMP = const(4)
UP = const(5)
DOWN = const(6)
FAULT_EV = const(7)
CLEAR_FAULT = const(8)
TIMER_EXPIRED = const(9)
ESTOP = const(10)
TICK = const(11)
CHECK_OK = const(12)
CHECK_FAIL = const(13)
EVENT_NAMES = ("start", "stop", "pause", "resume", "set_amp", "up", "down", "fault",
               "clear_fault", "timer_expired", "emergency_stop", "tick", "check_ok",
               "check_fail")
N_EVENTS = const(14)

# Fault kinds (latched). 0 means none.
FAULT_NONE = const(0)
FAULT_OPEN = const(1)
FAULT_SHORT = const(2)
FAULT_OVERCURRENT = const(3)
FAULT_SENSE = const(4)
FAULT_INTERNAL = const(5)
FAULT_NAMES = ("none", "open", "short", "overcurrent", "sense", "internal")

# Project choices (docs/safety-limits.md gives the >= 2 s ramp; the rest are ours).
RAMP_MS = const(3000)          # start ramp, 0 -> target
STOP_MS = const(800)           # stop ramp, level -> 0 (within 1 s)
STEP_UA = const(1000)          # one UP/DOWN press: 1 mA
SLEW_UP_UA_S = const(4000)     # user increases while running: 4 mA/s
SLEW_DOWN_UA_S = const(20000)  # user decreases: 20 mA/s
PROBE_UA = const(1500)         # pre-start electrode check current (<= 2 mA)
ARM_TIMEOUT_MS = const(3000)   # no electrode check result by then: back to OFF
MAX_SEGMENT_MS = const(30000)  # longest ramp: keeps interpolation in small ints

# Refusal reasons (constants: refusing allocates nothing).
R_NOT_ALLOWED = "not allowed in this state"
R_FAULT = "fault latched: clear it first"
R_RUNNING = "already running"
R_ABOVE_LIMIT = "above the amplitude limit"
R_NEGATIVE = "amplitude below zero"
R_AT_MAX = "already at the amplitude limit"
R_AT_ZERO = "already at zero"
R_HIGH_Z = "impedance high: increase blocked"   # fits the OLED notice (4 lines)
R_BAD_FAULT = "unknown fault kind"
R_NO_LIMIT = "no accepted pulse spec"


class Channel:
    def __init__(self, index, ramp_ms=RAMP_MS):
        if ramp_ms < 2000 or ramp_ms > MAX_SEGMENT_MS:
            raise ValueError("ramp_ms must be 2000..30000 (the start ramp is at least 2 s)")
        self.index = index
        self.ramp_ms = ramp_ms
        self.state = OFF
        self.target_ua = 0
        self.level_ua = 0
        self.max_ua = 0            # 0 until a pulse spec has been accepted
        self.fault_kind = FAULT_NONE
        self.check_reason = None   # why the last electrode check refused a start
        self.inhibit_up = False    # set while the electrode impedance is HIGH
        self.last_event = -1
        self.last_from = OFF
        self.starts = 0            # accepted STARTs: tells one ARMED episode from the next
        self._seg_from = 0
        self._seg_to = 0
        self._seg_t0 = 0
        self.seg_ms = 0            # length of the level's segment now; 0: the level is steady
        self._armed_t0 = 0

    # -- public API -------------------------------------------------------

    def handle(self, event, arg=0, now_ms=0):
        """Apply an event. Returns None when accepted, else the refusal reason."""
        row = TABLE[self.state]
        entry = row[event] if 0 <= event < N_EVENTS else None
        if entry is None:
            return R_FAULT if self.state == FAULT else (
                R_RUNNING if event == START else R_NOT_ALLOWED)
        before = self.state
        reason = entry[0](self, arg, now_ms)
        if reason is None:
            self.last_event = event
            self.last_from = before
        return reason

    def tick(self, now_ms):
        # The states whose TICK does nothing, and a steady level (no segment
        # running: level_ua already equals _seg_to), skip the table: this runs
        # every control tick for every channel.
        s = self.state
        if s == OFF or s == FAULT or s == PAUSED or (s == RUNNING and self.seg_ms == 0):
            return None
        return self.handle(TICK, 0, now_ms)

    def set_limit(self, max_ua):
        """The envelope's amplitude bound for the spec now in use (-1: refused
        spec). Lowering it clamps target and level at once."""
        self.max_ua = max_ua if max_ua > 0 else 0
        if self.target_ua > self.max_ua:
            self.target_ua = self.max_ua
        if self.level_ua > self.max_ua:
            self.level_ua = self.max_ua
            self._seg_from = self._seg_to = self.level_ua
            self.seg_ms = 0

    def output_on(self):
        return self.state in _OUTPUT_STATES and self.output_ua() > 0

    def output_ua(self):
        """The amplitude the output stage should deliver now."""
        if self.state == ARMED:
            return PROBE_UA if PROBE_UA < self.max_ua else self.max_ua
        if self.state in _OUTPUT_STATES:
            return self.level_ua
        return 0

    def state_name(self):
        return STATE_NAMES[self.state]

    # -- amplitude segments ----------------------------------------------

    def _segment(self, to_ua, dur_ms, now_ms):
        self._seg_from = self.level_ua
        self._seg_to = to_ua
        self._seg_t0 = now_ms
        if dur_ms > MAX_SEGMENT_MS:
            dur_ms = MAX_SEGMENT_MS
        self.seg_ms = dur_ms if dur_ms > 0 else 0
        if self.seg_ms == 0:
            self.level_ua = to_ua

    def _slew_to(self, to_ua, now_ms):
        # Rounded up: even a 1 uA change takes a tick to arrive, so the level
        # only ever moves in tick(), at no more than the slew rate.
        delta = to_ua - self.level_ua
        if delta >= 0:
            dur = (delta * 1000 + SLEW_UP_UA_S - 1) // SLEW_UP_UA_S
        else:
            dur = (-delta * 1000 + SLEW_DOWN_UA_S - 1) // SLEW_DOWN_UA_S
        self._segment(to_ua, dur, now_ms)

    def _advance(self, now_ms):
        if self.seg_ms == 0:
            self.level_ua = self._seg_to
            return True
        elapsed = ticks_diff(now_ms, self._seg_t0)
        if elapsed >= self.seg_ms:
            self.level_ua = self._seg_to
            self.seg_ms = 0
            return True
        if elapsed <= 0:
            return False
        # Exact linear interpolation without products above 2**30 (which would
        # allocate big ints on MicroPython): split delta / duration into a whole
        # rate q and a remainder r < duration <= MAX_SEGMENT_MS.
        delta = self._seg_to - self._seg_from
        mag = delta if delta >= 0 else -delta
        q = mag // self.seg_ms
        r = mag - q * self.seg_ms
        step = q * elapsed + r * elapsed // self.seg_ms
        self.level_ua = self._seg_from + (step if delta >= 0 else -step)
        return False

    def _off(self, state):
        self.state = state
        self.level_ua = 0
        self._seg_from = self._seg_to = 0
        self.seg_ms = 0
        if state == OFF:
            # A HIGH-impedance warning blocks increases only while outputting.
            self.inhibit_up = False


_OUTPUT_STATES = (ARMED, RAMPING, RUNNING, STOPPING)


# -- handlers: validate first, then change state; return a reason to refuse --

def _start(ch, arg, now):
    if ch.max_ua <= 0:
        return R_NO_LIMIT
    ch.state = ARMED
    ch.starts += 1
    ch.check_reason = None
    ch._armed_t0 = now
    ch.level_ua = 0
    return None


def _check_ok(ch, arg, now):
    ch.state = RAMPING
    ch.level_ua = 0
    ch._segment(ch.target_ua, ch.ramp_ms, now)
    return None


def _check_fail(ch, arg, now):
    ch.check_reason = arg
    ch._off(OFF)
    return None


def _armed_tick(ch, arg, now):
    if ticks_diff(now, ch._armed_t0) >= ARM_TIMEOUT_MS:
        ch.check_reason = "electrode check timed out"
        ch._off(OFF)
    return None


def _stop_ramp(ch, arg, now):
    if ch.state != STOPPING:
        ch.state = STOPPING
        # From whatever level, down to 0 within STOP_MS.
        ch._segment(0, STOP_MS, now)
    return None


def _to_off(ch, arg, now):
    ch._off(OFF)
    return None


def _pause(ch, arg, now):
    ch._off(PAUSED)
    return None


def _resume(ch, arg, now):
    ch.state = RAMPING
    ch._segment(ch.target_ua, ch.ramp_ms, now)
    return None


def _new_target(ch, want, now):
    # Shared by set/up/down: validate, then move the level (if outputting).
    if want < 0:
        return R_NEGATIVE
    if want > ch.max_ua:
        return R_ABOVE_LIMIT
    if want > ch.target_ua and ch.inhibit_up:
        return R_HIGH_Z
    ch.target_ua = want
    if ch.state == RAMPING or ch.state == RUNNING:
        ch._slew_to(want, now)
    return None


def _set_amp(ch, arg, now):
    return _new_target(ch, arg, now)


def _up(ch, arg, now):
    if ch.target_ua >= ch.max_ua:
        return R_AT_MAX
    want = ch.target_ua + STEP_UA
    return _new_target(ch, want if want < ch.max_ua else ch.max_ua, now)


def _down(ch, arg, now):
    if ch.target_ua <= 0:
        return R_AT_ZERO
    want = ch.target_ua - STEP_UA
    return _new_target(ch, want if want > 0 else 0, now)


def _fault(ch, arg, now):
    if arg <= FAULT_NONE or arg >= len(FAULT_NAMES):
        return R_BAD_FAULT
    if ch.state != FAULT:
        ch.fault_kind = arg     # the first fault is the one reported
    ch._off(FAULT)
    return None


def _clear_fault(ch, arg, now):
    ch.fault_kind = FAULT_NONE
    ch.target_ua = 0
    ch._off(OFF)
    return None


def _nothing(ch, arg, now):
    return None


def _ramping_tick(ch, arg, now):
    if ch._advance(now):
        ch.state = RUNNING
    return None


def _running_tick(ch, arg, now):
    ch._advance(now)
    return None


def _stopping_tick(ch, arg, now):
    if ch._advance(now):
        ch._off(OFF)
    return None


def _row(entries):
    row = [None] * N_EVENTS
    for event, handler, targets in entries:
        row[event] = (handler, targets)
    return tuple(row)


_AMP = ((SET_AMP, _set_amp), (UP, _up), (DOWN, _down))


def _with_amp(entries, state):
    return entries + tuple((e, h, (state,)) for e, h in _AMP)


TABLE = (
    _row(_with_amp((
        (START, _start, (ARMED,)),
        (STOP, _nothing, (OFF,)),
        (ESTOP, _nothing, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _nothing, (OFF,)),
    ), OFF)),
    _row(_with_amp((
        (CHECK_OK, _check_ok, (RAMPING,)),
        (CHECK_FAIL, _check_fail, (OFF,)),
        (STOP, _to_off, (OFF,)),
        (ESTOP, _to_off, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _armed_tick, (ARMED, OFF)),
    ), ARMED)),
    _row(_with_amp((
        (STOP, _stop_ramp, (STOPPING,)),
        (PAUSE, _pause, (PAUSED,)),
        (TIMER_EXPIRED, _stop_ramp, (STOPPING,)),
        (ESTOP, _to_off, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _ramping_tick, (RAMPING, RUNNING)),
    ), RAMPING)),
    _row(_with_amp((
        (STOP, _stop_ramp, (STOPPING,)),
        (PAUSE, _pause, (PAUSED,)),
        (TIMER_EXPIRED, _stop_ramp, (STOPPING,)),
        (ESTOP, _to_off, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _running_tick, (RUNNING,)),
    ), RUNNING)),
    _row(_with_amp((
        (RESUME, _resume, (RAMPING,)),
        (STOP, _to_off, (OFF,)),
        (TIMER_EXPIRED, _to_off, (OFF,)),
        (ESTOP, _to_off, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _nothing, (PAUSED,)),
    ), PAUSED)),
    _row((
        (STOP, _nothing, (STOPPING,)),
        (TIMER_EXPIRED, _nothing, (STOPPING,)),
        (ESTOP, _to_off, (OFF,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _stopping_tick, (STOPPING, OFF)),
    )),
    _row((
        (CLEAR_FAULT, _clear_fault, (OFF,)),
        (STOP, _nothing, (FAULT,)),
        (ESTOP, _nothing, (FAULT,)),
        (FAULT_EV, _fault, (FAULT,)),
        (TICK, _nothing, (FAULT,)),
    )),
)


def transitions():
    """(state, event, target) for every edge TABLE allows: for docs and tests."""
    out = []
    for state in range(N_STATES):
        for event in range(N_EVENTS):
            entry = TABLE[state][event]
            if entry is not None:
                for target in entry[1]:
                    out.append((state, event, target))
    return out
