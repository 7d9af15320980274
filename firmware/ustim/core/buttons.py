# The four buttons as events, from raw levels polled in every control tick.
#
# poll(power, mode, up, down, now_ms) takes "pressed" flags (True/1 = pressed;
# the hal turns active-low pins into these) and queues events; get() returns
# them one by one (0 when none are left). Nothing is allocated per poll: the
# queue and every per-button field are made in __init__.
#
# Timing (project choices):
#   DEBOUNCE_MS 20    a level must hold 20 ms before it counts; with a 10 ms
#                     tick an edge is seen 20-30 ms after it happens
#   LONG_MS 1000      held this long: LONG (MODE: back; POWER: power down)
#   REPEAT_DELAY_MS 500, REPEAT_MS 250  UP/DOWN held: REPEAT events
#   STUCK_MS 10000    held this long: STUCK, then ignored until released
#   CHORD_MS 2000     UP and DOWN held together this long: one CHORD event
#                     (the key lock); neither repeats while both are held,
#                     and after the chord each counts again only once released
# UP events (press or repeat) are never closer than UP_MIN_MS = STEP_UA /
# SLEW_UP_UA_S = 250 ms, the time the channel needs to slew one step: however
# fast fingers tap, the target cannot run ahead of what the output can follow.
# DOWN is not rate limited: lowering the amplitude is always allowed at once.
#
# POWER/STOP sends PRESS as soon as the press is debounced (not on release):
# that is the emergency stop, and it does not wait for anything. A button
# already pressed when polling starts (or after it was reported stuck) counts
# only after it has been released: a button held through a reset does nothing.
from micropython import const

from ustim.core.channel import SLEW_UP_UA_S, STEP_UA
from ustim.core.ticks import ticks_add, ticks_diff

B_POWER = const(0)
B_MODE = const(1)
B_UP = const(2)
B_DOWN = const(3)
N_BUTTONS = const(4)
BUTTON_NAMES = ("POWER", "MODE", "UP", "DOWN")

# Event = kind << 2 | button.
EV_NONE = const(0)
EV_PRESS = const(1)    # debounced press (every button)
EV_SHORT = const(2)    # released before LONG_MS (MODE, POWER)
EV_LONG = const(3)     # held LONG_MS (MODE, POWER)
EV_REPEAT = const(4)   # UP/DOWN held: auto-repeat
EV_STUCK = const(5)    # held STUCK_MS: ignored from now until released
EV_CHORD = const(6)    # UP and DOWN held together CHORD_MS (sent as button UP)
KIND_NAMES = ("none", "press", "short", "long", "repeat", "stuck", "chord")

DEBOUNCE_MS = const(20)
LONG_MS = const(1000)
REPEAT_DELAY_MS = const(500)
REPEAT_MS = const(250)
STUCK_MS = const(10000)
CHORD_MS = const(2000)
# A held UP stops repeating after this long (project choice: 4 s is about 14
# steps = 14 mA): a stuck or forgotten UP key must not climb for the whole
# STUCK_MS. Release and press again to go on. DOWN keeps repeating.
UP_REPEAT_MAX_MS = const(4000)
UP_MIN_MS = STEP_UA * 1000 // SLEW_UP_UA_S

_QUEUE = const(16)


def event(kind, button):
    return kind << 2 | button


def kind_of(ev):
    return ev >> 2


def button_of(ev):
    return ev & 3


def event_name(ev):
    return "%s %s" % (BUTTON_NAMES[ev & 3], KIND_NAMES[ev >> 2])


class Buttons:
    def __init__(self):
        n = N_BUTTONS
        self.raw = [0] * n        # last raw level seen
        self.raw_t = [0] * n      # when the raw level last changed
        self.down = [0] * n       # debounced state
        self.t0 = [0] * n         # when the debounced press began
        self.armed = [0] * n      # 0 until seen released once (boot, after stuck)
        self.long_sent = [0] * n
        self.stuck = [0] * n      # 1 while a stuck button is still held
        self.next_rep = [0] * n
        self.started = False
        self.last_up = 0
        self.up_seen = False
        self.stuck_mask = 0       # buttons reported stuck and still held
        self.chord_t0 = -1        # when UP and DOWN were first both down (-1: not both)
        self._quiet = False       # every button released, raw and debounced
        self._q = bytearray(_QUEUE)
        self._head = 0
        self._len = 0
        self.dropped = 0          # events lost to a full queue (never expected)

    # -- queue -----------------------------------------------------------

    def _put(self, ev):
        if self._len >= _QUEUE:
            self.dropped += 1
            return
        self._q[(self._head + self._len) % _QUEUE] = ev
        self._len += 1

    def get(self):
        """The oldest queued event, or EV_NONE (0)."""
        if self._len == 0:
            return EV_NONE
        ev = self._q[self._head]
        self._head = (self._head + 1) % _QUEUE
        self._len -= 1
        return ev

    def pending(self):
        return self._len

    # -- polling ---------------------------------------------------------

    def poll(self, power, mode, up, down, now_ms):
        """Feed one sample of the four pressed flags. Returns the number of
        events waiting in the queue."""
        if self._quiet and not (power or mode or up or down):
            # Nothing pressed and nothing pending: the common tick costs this test.
            return self._len
        p = 1 if power else 0
        m = 1 if mode else 0
        u = 1 if up else 0
        d = 1 if down else 0
        if not self.started:
            self.started = True
            self._arm(B_POWER, p, now_ms)
            self._arm(B_MODE, m, now_ms)
            self._arm(B_UP, u, now_ms)
            self._arm(B_DOWN, d, now_ms)
        # A button released, read released and debounced released has nothing
        # to do: only the others cost a call (some 100 us each on an RP2040).
        raw = self.raw
        deb = self.down
        if p or raw[B_POWER] or deb[B_POWER]:
            self._one(B_POWER, p, now_ms)
        if m or raw[B_MODE] or deb[B_MODE]:
            self._one(B_MODE, m, now_ms)
        if u or raw[B_UP] or deb[B_UP]:
            self._one(B_UP, u, now_ms)
        if d or raw[B_DOWN] or deb[B_DOWN]:
            self._one(B_DOWN, d, now_ms)
        if deb[B_UP] and deb[B_DOWN]:
            self._chord(now_ms)
        else:
            self.chord_t0 = -1
        self._quiet = not (p or m or u or d) and not (
            deb[0] or deb[1] or deb[2] or deb[3])
        return self._len

    def _chord(self, now):
        if self.chord_t0 < 0:
            self.chord_t0 = now
        elif (ticks_diff(now, self.chord_t0) >= CHORD_MS and self.armed[B_UP]
              and self.armed[B_DOWN]):
            # Both count again only after release: no step from the chord's keys.
            self.armed[B_UP] = 0
            self.armed[B_DOWN] = 0
            self._put(event(EV_CHORD, B_UP))

    def _arm(self, b, level, now):
        # Released at the first sample: counts at once. Pressed: only after release.
        self.raw_t[b] = now
        self.armed[b] = 0 if level else 1

    def _one(self, b, level, now):
        if level != self.raw[b]:
            self.raw[b] = level
            self.raw_t[b] = now
        elif level != self.down[b] and ticks_diff(now, self.raw_t[b]) >= DEBOUNCE_MS:
            self.down[b] = level
            if level:
                self._pressed(b, now)
            else:
                self._released(b)
        if self.down[b] and not self.stuck[b]:
            self._held(b, now)

    def _pressed(self, b, now):
        # The press began when the raw level changed, not when debounce ended.
        self.t0[b] = self.raw_t[b]
        self.long_sent[b] = 0
        if not self.armed[b]:
            return
        self.next_rep[b] = ticks_add(self.t0[b], REPEAT_DELAY_MS)
        if b == B_UP:
            self._up(EV_PRESS, now)
        else:
            self._put(event(EV_PRESS, b))

    def _released(self, b):
        if not self.armed[b] or self.stuck[b]:
            # First release after boot or after being stuck: from now on it counts.
            self.armed[b] = 1
            self.stuck[b] = 0
            self.stuck_mask &= ~(1 << b)
            return
        if not self.long_sent[b] and (b == B_MODE or b == B_POWER):
            self._put(event(EV_SHORT, b))

    def _held(self, b, now):
        held = ticks_diff(now, self.t0[b])
        if held >= STUCK_MS:
            self.stuck[b] = 1
            self.stuck_mask |= 1 << b
            self._put(event(EV_STUCK, b))
            return
        if not self.armed[b]:
            return
        if b == B_UP or b == B_DOWN:
            if self.down[B_UP] and self.down[B_DOWN]:
                # A chord in the making: no repeats of either.
                return
            if ticks_diff(now, self.next_rep[b]) >= 0:
                # From now, not from the last due time: a late poll never
                # produces a burst of repeats to catch up.
                self.next_rep[b] = ticks_add(now, REPEAT_MS)
                if b == B_UP:
                    if held <= UP_REPEAT_MAX_MS:
                        self._up(EV_REPEAT, now)
                else:
                    self._put(event(EV_REPEAT, b))
        elif held >= LONG_MS and not self.long_sent[b]:
            self.long_sent[b] = 1
            self._put(event(EV_LONG, b))

    def _up(self, kind, now):
        if self.up_seen and ticks_diff(now, self.last_up) < UP_MIN_MS:
            return
        self.up_seen = True
        self.last_up = now
        self._put(event(kind, B_UP))

    def held(self, b):
        """True while button b is (debounced) pressed."""
        return self.down[b] == 1
