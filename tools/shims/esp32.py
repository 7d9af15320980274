"""CPython stand-in for MicroPython's `esp32` module (the RMT part), recording
what firmware writes. Time is the shim's own microsecond clock: tests move it
with advance(us) and hand now_us to the code under test; each write_pulses()
call costs WRITE_COST_US of it, so a second channel written right after a
first starts that much later, as on a board."""

WRITE_COST_US = 0
_now = [0]
_channels = []


class BlockingWrite(RuntimeError):
    """write_pulses() while a sequence is still going: a board would block."""


def reset(write_cost_us=0):
    global WRITE_COST_US
    WRITE_COST_US = write_cost_us
    _now[0] = 0
    del _channels[:]


def now_us():
    return _now[0] & ((1 << 30) - 1)   # wraps as time.ticks_us() does


def advance(us):
    _now[0] += us


def channels():
    return list(_channels)


class RMT:
    PULSE_MAX = 32767

    def __init__(self, id=-1, *, pin, resolution_hz=None, clock_div=None, idle_level=False,
                 tx_carrier=None, num_symbols=48):
        if resolution_hz is None and clock_div is None:
            raise ValueError("resolution_hz or clock_div")
        self.pin = pin
        self.pin_id = getattr(pin, "id", pin)
        self.resolution_hz = resolution_hz or 80000000 // clock_div
        self.idle_level = bool(idle_level)
        self.loop = 0
        self.writes = []      # (start time us, durations, levels)
        self.valid = True
        self._end = -1
        self.stops = []
        _channels.append(self)

    def _check(self):
        if not self.valid:
            raise OSError("RMT deinitialised")

    def loop_count(self, n):
        self._check()
        self.loop = n
        self._end = -1

    def write_pulses(self, duration, data=True):
        self._check()
        if self.active():
            raise BlockingWrite("previous sequence still running")
        if isinstance(duration, int):
            durations = [duration] * len(data)
            levels = [bool(v) for v in data]
        else:
            durations = list(duration)
            if isinstance(data, (list, tuple)):
                if len(data) != len(durations):
                    raise ValueError("durations and levels differ in length")
                levels = [bool(v) for v in data]
            else:
                levels = [bool(data) ^ (i & 1 == 1) for i in range(len(durations))]
        for d in durations:
            if not 1 <= d <= self.PULSE_MAX:
                raise ValueError("duration %r outside 1-%d" % (d, self.PULSE_MAX))
        if self.loop and len(durations) > 126:
            raise ValueError("looped sequence longer than 126 pulses")
        start = _now[0]
        self.writes.append((start, durations, levels))
        self._end = -2 if self.loop else start + sum(durations)
        _now[0] += WRITE_COST_US

    def active(self, value=None):
        self._check()
        if value is not None and not value:
            self.stops.append(_now[0])
            self._end = -1
            return False
        if self._end == -2:
            return True
        return _now[0] < self._end

    def wait_done(self, *, timeout=0):
        return not self.active()

    def deinit(self):
        self.valid = False
        self._end = -1

    @staticmethod
    def source_freq():
        return 80000000

    def timeline(self):
        """[(start, end)] of every high stretch written, in shim time,
        cut where a later write or a stop ended a sequence early."""
        highs = []
        cuts = sorted([w[0] for w in self.writes[1:]] + self.stops)
        for start, durations, levels in self.writes:
            t = start
            cut = next((c for c in cuts if c > start), None)
            for d, lv in zip(durations, levels, strict=True):
                if cut is not None and t >= cut:
                    break
                end = t + d if cut is None else min(t + d, cut)
                if lv and end > t:
                    if highs and highs[-1][1] == t:
                        highs[-1] = (highs[-1][0], end)
                    else:
                        highs.append((t, end))
                t += d
        return highs
