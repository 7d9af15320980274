"""Stand-in for MicroPython's `esp32` module (the RMT part), on the board's
clock (board_time, whole microseconds). Runs on CPython and in MicroPython.

An RMT channel owns its pin's pad from the constructor (the GPIO matrix) and
drives it at its idle level; write_pulses() sends the items from the board
time the transmission starts, each level change landing on the pad at its
exact time. A call takes board time, so two channels written one after the
other start apart by what the calls cost (WRITE_* below, charged by this
model; docs/simulator.md gives the figures and why):

    write_pulses: WRITE_CALL_US + WRITE_ITEM_US per item before the
    transmission starts (argument parsing, each duration converted into the
    item buffer), then WRITE_RETURN_US until the call returns.

The first write of a sequence longer than any before reallocates the item
buffer on the heap (MicroPython's esp32_rmt.c): set_alloc_pause(fn) lets a
test charge a garbage collection there, fn(rmt, items) -> us, without bound;
set_call_pause(fn), fn(rmt) -> us, charges a delay before any write starts
its transmission (an interrupt, another task, a collection in the caller).
loop_count(n) repeats a sequence (0: once, -1: until stopped); wait_done
blocks until the sequence has ended (board time passes); active(False)
stops at once, the pad back at the idle level; deinit() releases the pin.
"""

import board_time
import machine

WRITE_CALL_US = 15
WRITE_ITEMS_PER_US = 2
WRITE_RETURN_US = 10
LOOP_MAX_ITEMS = 126
FOREVER = -1

_channels = []
_pause = [None]
_call_pause = [None]


class BlockingWrite(RuntimeError):
    """write_pulses() while a looping sequence runs: a board would block forever."""


def reset(alloc_pause=None, call_pause=None):
    """Forget every RMT channel (a fresh board)."""
    del _channels[:]
    _pause[0] = alloc_pause
    _call_pause[0] = call_pause


def set_alloc_pause(fn):
    _pause[0] = fn


def set_call_pause(fn):
    _call_pause[0] = fn


def now_us():
    """The board's time.ticks_us()."""
    return board_time.ticks_us()


def advance(us):
    """Let `us` of board time pass (tests)."""
    board_time.charge(us)


def channels():
    return list(_channels)


def catch_up(t_us=None):
    """Bring every channel's pad to board time t_us (default: now)."""
    t = board_time._now if t_us is None else t_us
    for r in _channels:
        r._apply(t)


def _cost(items):
    return WRITE_CALL_US + (items + WRITE_ITEMS_PER_US - 1) // WRITE_ITEMS_PER_US


class RMT:
    PULSE_MAX = 32767

    def __init__(self, id=-1, *, pin, resolution_hz=None, clock_div=None, idle_level=False,
                 tx_carrier=None, num_symbols=48):
        if resolution_hz is None and clock_div is None:
            raise ValueError("resolution_hz or clock_div")
        self.pin = pin
        self.pin_id = getattr(pin, "id", pin)
        self.resolution_hz = resolution_hz or 80000000 // clock_div
        if 1000000 % self.resolution_hz and self.resolution_hz % 1000000:
            raise ValueError("the shim needs a resolution that is a multiple or divisor of 1 MHz")
        self.idle_level = 1 if idle_level else 0
        self.loop = 0
        self.writes = []      # (start us, durations, levels) of each sequence sent
        self.stops = []       # board us of each active(False)
        self.valid = True
        self.capacity = 0     # items the buffer holds (grown by reallocation)
        self._end = -1        # board us the current pass of the sequence ends
        self._passes = 0      # passes still to send after this one (-1: forever)
        self._seq = None
        self._sched = []      # (board us, level) still to land on the pad
        self._g = machine.claim(self.pin_id, self, self.idle_level)
        _channels.append(self)

    def _check(self):
        if not self.valid:
            raise OSError("RMT deinitialised")

    def _us(self, ticks):
        if self.resolution_hz >= 1000000:
            return ticks // (self.resolution_hz // 1000000)
        return ticks * (1000000 // self.resolution_hz)

    def _apply(self, t):
        while True:
            s = self._sched
            i = 0
            while i < len(s) and s[i][0] <= t:
                machine.drive(self._g, self, s[i][1], s[i][0])
                i += 1
            if i:
                del s[:i]
            if s or not self._passes or self._end > t:
                return
            # A looping sequence starts its next pass where the last ended.
            if self._passes > 0:
                self._passes -= 1
            self._schedule(self._end)

    def _looping(self):
        return self._passes != 0

    def loop_count(self, n):
        self._check()
        self.loop = n

    def write_pulses(self, duration, data=True):
        self._check()
        self._apply(board_time._now)
        if self._looping():
            raise BlockingWrite("a looping sequence is still running")
        if isinstance(duration, int):
            durations = [duration] * len(data)
            levels = [1 if v else 0 for v in data]
        else:
            durations = list(duration)
            if isinstance(data, (list, tuple)):
                if len(data) != len(durations):
                    raise ValueError("durations and levels differ in length")
                levels = [1 if v else 0 for v in data]
            else:
                levels = [(1 if data else 0) ^ (i & 1) for i in range(len(durations))]
        for d in durations:
            if not 1 <= d <= self.PULSE_MAX:
                raise ValueError("duration %r outside 1-%d" % (d, self.PULSE_MAX))
        if self.loop and len(durations) > LOOP_MAX_ITEMS:
            raise ValueError("looped sequence longer than %d pulses" % LOOP_MAX_ITEMS)
        if self.active():
            # The driver waits for the previous transmission to end.
            board_time.advance_to(self._end)
            self._apply(board_time._now)
        if _call_pause[0] is not None:
            board_time.charge(_call_pause[0](self))
        board_time.charge(_cost(len(durations)))
        if len(durations) > self.capacity:
            self.capacity = len(durations)
            if _pause[0] is not None:
                board_time.charge(_pause[0](self, len(durations)))
        start = board_time._now
        self.writes.append((start, durations, levels))
        self._seq = (durations, levels)
        self._passes = FOREVER if self.loop == FOREVER else max(0, self.loop - 1)
        self._schedule(start)
        board_time.charge(WRITE_RETURN_US)

    def _schedule(self, start):
        durations, levels = self._seq
        t = start
        s = self._sched
        for i in range(len(durations)):
            s.append((t, levels[i]))
            t += self._us(durations[i])
        if not self._passes:
            s.append((t, self.idle_level))
        self._end = t

    def active(self, value=None):
        self._check()
        now = board_time._now
        self._apply(now)
        if value is not None and not value:
            self.stops.append(now)
            del self._sched[:]
            self._passes = 0
            self._end = now
            machine.drive(self._g, self, self.idle_level, now)
            return False
        return self._looping() or now < self._end

    def wait_done(self, *, timeout=0):
        self._check()
        if self.active() and timeout:
            if self._looping():
                board_time.charge(timeout * 1000)
            else:
                board_time.advance_to(min(self._end, board_time._now + timeout * 1000))
        return not self.active()

    def deinit(self):
        if not self.valid:
            return
        self.active(False)
        self.valid = False
        machine.release(self.pin_id, self)

    @staticmethod
    def source_freq():
        return 80000000

    def timeline(self):
        """[(start, end)] of every high stretch sent, in board us, cut where a
        stop ended a sequence early (what the pad showed, future included)."""
        highs = []
        cuts = list(self.stops)
        for start, durations, levels in self.writes:
            t = start
            cut = None
            for c in cuts:
                if c >= start:
                    cut = c
                    break
            for k in range(len(durations)):
                d, lv = durations[k], levels[k]
                if cut is not None and t >= cut:
                    break
                end = t + self._us(d)
                if cut is not None and end > cut:
                    end = cut
                if lv and end > t:
                    if highs and highs[-1][1] == t:
                        highs[-1] = (highs[-1][0], end)
                    else:
                        highs.append((t, end))
                t += self._us(d)
        return highs
