# Turns a program and the elapsed session time into this tick's pulse spec and
# amplitude scale. Called every control tick, so tick() does bounded integer
# work and allocates nothing: it updates one preallocated PulseSpec in place
# and returns a small int. Only the pulse rate changes during a program (burst
# shape, widths and gap are fixed at load), so only period_us is rewritten.
# Each evaluation also notes until when nothing can change (the next rate
# boundary, the end of a contraction plateau or rest): ticks before then
# return the same answer without working it out again.
from micropython import const

from ustim.core.programs import period_us
from ustim.core.spec import PulseSpec

FULL_SCALE = const(1000)   # amplitude scale is per mille of the user's amplitude

# What the program is doing this tick (for the display and the channel).
CONTINUOUS = const(0)
RAMP_UP = const(1)
ON = const(2)
RAMP_DOWN = const(3)
OFF = const(4)
STAGE_NAMES = ("run", "ramp up", "on", "ramp down", "rest")
_FOREVER = const(0x3FFFFFFF)   # beyond any session (small int)


class Sequencer:
    def __init__(self):
        self.spec = PulseSpec()
        self.program = None
        # True after a tick that changed spec: the pulse engine is reconfigured
        # only then. The first tick after load() always reports a change.
        self.changed = False
        self.stage = CONTINUOUS
        self.hz = 0
        self.pending = False   # a newly loaded spec not yet handed on by tick()
        self._base_hz = 0
        self._alt_hz = 0
        self._alt_ms = 0
        self._sweep_d = 0
        self._sweep_ms = 0
        self._sweep_half = 0
        self._on = 0
        self._cycle = 0
        self._up = 0
        self._down = 0
        self.static = True     # one rate, no contraction cycle: tick() only hands on a new spec
        self._until = 0        # elapsed ms before which the last answer holds
        self._rate_until = 0
        self._level = FULL_SCALE

    def load(self, prog):
        """Select a program; it must already have passed programs.check_program."""
        self.program = prog
        self._base_hz = prog.hz
        self._alt_hz = prog.alt_hz if prog.alt_ms else 0
        self._alt_ms = prog.alt_ms if prog.alt_hz else 0
        self._sweep_ms = prog.sweep_ms if prog.sweep_hz else 0
        self._sweep_half = self._sweep_ms >> 1
        self._sweep_d = prog.sweep_hz - prog.hz if self._sweep_ms else 0
        self._on = prog.on_ms
        self._cycle = prog.on_ms + prog.off_ms if prog.on_ms else 0
        self._up = prog.ramp_up_ms
        self._down = prog.ramp_down_ms
        # One rate, no contractions: tick() has nothing to compute.
        self.static = not (self._alt_ms or self._sweep_ms or self._cycle)
        self.hz = prog.hz
        prog.fill_spec(self.spec, prog.hz)
        self.pending = True
        self.changed = False
        self.stage = CONTINUOUS
        self._until = 0

    def _rate(self, t):
        # The rate at t; _rate_until: the first time it may differ.
        if self._alt_ms:
            k = t // self._alt_ms
            self._rate_until = (k + 1) * self._alt_ms
            return self._alt_hz if k & 1 else self._base_hz
        if self._sweep_ms:
            # The sweep moves by whole hertz every few ticks: worked out each tick.
            self._rate_until = t + 1
            p = t % self._sweep_ms
            half = self._sweep_half
            if p < half:
                return self._base_hz + self._sweep_d * p // half
            rest = self._sweep_ms - half
            return self._base_hz + self._sweep_d * (rest - (p - half)) // rest
        self._rate_until = _FOREVER
        return self._base_hz

    def _scale(self, t):
        # The scale at t; _until: the first time it or the rate may differ.
        if not self._cycle:
            self.stage = CONTINUOUS
            self._until = self._rate_until
            return FULL_SCALE
        start = t - t % self._cycle
        t -= start
        on = self._on
        until = t + 1               # ramps move every tick
        if t < self._up:
            self.stage = RAMP_UP
            level = FULL_SCALE * t // self._up
        elif t < on - self._down:
            self.stage = ON
            until = on - self._down
            level = FULL_SCALE
        elif t < on:
            self.stage = RAMP_DOWN
            level = FULL_SCALE * (on - t) // self._down
        else:
            self.stage = OFF
            until = self._cycle
            level = 0
        until += start
        self._until = until if until < self._rate_until else self._rate_until
        return level

    def tick(self, elapsed_ms):
        """Update spec for session time elapsed_ms (>= 0, < 2**30) and return the
        amplitude scale for this tick, 0..FULL_SCALE per mille."""
        if self.program is None:
            self.changed = False
            self.stage = OFF
            return 0
        if self.static:
            self.changed = self.pending
            self.pending = False
            self.stage = CONTINUOUS
            return FULL_SCALE
        if elapsed_ms < 0:
            elapsed_ms = 0
        if elapsed_ms < self._until and not self.pending:
            self.changed = False
            return self._level
        hz = self._rate(elapsed_ms)
        changed = self.pending
        self.pending = False
        if hz != self.hz:
            self.hz = hz
            self.spec.period_us = period_us(hz)
            changed = True
        self.changed = changed
        self._level = self._scale(elapsed_ms)
        return self._level
