# Runs a whole program session in simulated time and measures what the
# sequencer produced: pulse rate extremes, widths, alternation/sweep timing,
# contraction on/off/ramp times. Shared by the dual checks; plain
# MicroPython-compatible code, allocation-free per tick (gc is off in the
# MicroPython runner), statistics kept as running min/max, not lists.
from ustim.core import limits
from ustim.core.sequencer import Sequencer
from ustim.core.session import Session
from ustim.core.ticks import TICKS_PERIOD, ticks_add

TICK_MS = 10
FULL = 1000
BIG = 1 << 29


class MinMax:
    def __init__(self):
        self.lo = BIG
        self.hi = -BIG
        self.n = 0

    def add(self, v):
        if v < self.lo:
            self.lo = v
        if v > self.hi:
            self.hi = v
        self.n += 1

    def reset(self):
        self.lo = BIG
        self.hi = -BIG
        self.n = 0


class Dwell:
    # Stays at one extreme of the pulse period (fastest or slowest rate).
    # Resets its statistics whenever a new extreme is found, so only dwells at
    # the final extreme count; a dwell that began at t=0 is partial and skipped.
    def __init__(self, fastest):
        self.fastest = fastest
        self.value = BIG if fastest else -BIG
        self.since = -1
        self.last_mid = -1
        self.length = MinMax()
        self.cycle = MinMax()

    def beyond(self, period):
        return period < self.value if self.fastest else period > self.value

    def enter(self, t, period):
        if self.beyond(period):
            self.value = period
            self.length.reset()
            self.cycle.reset()
            self.last_mid = -1
        if period == self.value:
            self.since = t

    def leave(self, t):
        # Returns the mid-time of a complete dwell, or -1.
        if self.since <= 0:
            self.since = -1
            return -1
        self.length.add(t - self.since)
        mid = (self.since + t) // 2
        if self.last_mid >= 0:
            self.cycle.add(mid - self.last_mid)
        self.last_mid = mid
        self.since = -1
        return mid


class Measured:
    def __init__(self):
        self.period = MinMax()
        self.pos = MinMax()
        self.neg = MinMax()
        self.gap = MinMax()
        self.burst_n = MinMax()
        self.burst_period = MinMax()
        self.fast = Dwell(True)
        self.slow = Dwell(False)
        self.rise_time = MinMax()    # slowest-rate mid to fastest-rate mid
        self.on = MinMax()
        self.off = MinMax()
        self.ramp_up = MinMax()
        self.ramp_down = MinMax()
        self.max_step = 0            # largest scale change between ticks within a cycle
        self.contractions = 0
        self.changes = 0
        self.flag_errors = 0         # ticks whose `changed` flag disagrees with the spec
        self.session_ms = 0
        self.end_scale = -1          # session.scale() at expiry
        self.scale_3s_before = -1
        self.pulses = 0


def run(prog, start_ticks=TICKS_PERIOD - 7777, env=None, emitter=None, on_tick=None):
    """Run prog's default session at TICK_MS ticks, starting close to the tick
    counter's wrap so the session timer crosses it. Returns a Measured."""
    env = env or limits.Envelope()
    m = Measured()
    seq = Sequencer()
    seq.load(prog)
    ses = Session(env)
    ses.load(prog)
    now = start_ticks
    ses.start(now)
    spec = seq.spec
    last_period = -1
    last_scale = 0
    rise = full = fall = zero = -1
    fast, slow = m.fast, m.slow
    cycle_ms = prog.on_ms + prog.off_ms
    while True:
        t = ses.elapsed_ms
        scale = seq.tick(t)
        p = spec.period_us
        if seq.changed != (p != last_period):
            m.flag_errors += 1
        if p != last_period:
            m.changes += 1
            if last_period == fast.value:
                mid = fast.leave(t)
                if mid >= 0 and slow.last_mid >= 0:
                    m.rise_time.add(mid - slow.last_mid)
            if last_period == slow.value:
                slow.leave(t)
            fast.enter(t, p)
            slow.enter(t, p)
            m.period.add(p)
            m.pos.add(spec.pos_us)
            m.neg.add(spec.neg_us)
            m.gap.add(spec.gap_us)
            m.burst_n.add(spec.burst_n)
            m.burst_period.add(spec.burst_period_us)
            last_period = p
        if scale > 0 and last_scale == 0:
            if zero >= 0:
                m.off.add(t - zero)
            rise = t
            m.contractions += 1
        if scale == FULL and last_scale < FULL and rise >= 0:
            full = t
            m.ramp_up.add(full - rise)
        if scale < FULL and last_scale == FULL:
            fall = t
        if scale == 0 and last_scale > 0 and rise >= 0:
            zero = t
            m.on.add(zero - rise)
            if fall >= 0:
                m.ramp_down.add(zero - fall)
        if cycle_ms and t > 0:
            step = scale - last_scale if scale > last_scale else last_scale - scale
            if step > m.max_step:
                m.max_step = step
        last_scale = scale
        if emitter is not None:
            n = emitter.run(spec, TICK_MS * 1000)
            m.pulses += n
            if on_tick is not None:
                on_tick(spec, scale, n)
        if ses.remaining_ms() == 3000:
            m.scale_3s_before = ses.scale()
        now = ticks_add(now, TICK_MS)
        if ses.tick(now):
            break
    m.session_ms = ses.elapsed_ms
    m.end_scale = ses.scale()
    return m


def hz(period_us):
    return (1000000 + period_us // 2) // period_us


class Emitter:
    """Reference pulse timing, independent of the firmware: the pulses a pulse
    engine starts in each tick for the spec in force (bursts of burst_n pulses
    period_us apart, groups burst_period_us apart). A new spec takes effect
    from the next scheduled pulse. Times are kept relative to the tick start,
    so no value grows with the session (no big ints on MicroPython)."""

    def __init__(self):
        self.wait_us = 0    # from the start of the current tick to the next pulse
        self.index = 0      # position of the next pulse in its burst

    def run(self, spec, tick_us):
        n = 0
        while self.wait_us < tick_us:
            n += 1
            if spec.burst_n > 1:
                self.index += 1
                if self.index >= spec.burst_n:
                    self.index = 0
                    self.wait_us += spec.burst_period_us - (spec.burst_n - 1) * spec.period_us
                else:
                    self.wait_us += spec.period_us
            else:
                self.wait_us += spec.period_us
        self.wait_us -= tick_us
        return n
