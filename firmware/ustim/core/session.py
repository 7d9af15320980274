# Session timer for one channel. Counts stimulation time (paused time does not
# count) from millisecond ticks, wrap-safe through core/ticks. The channel state
# machine reads `expired` and raises its TIMER_EXPIRED event; the amplitude
# scale falls to zero over the last END_RAMP_MS so a session never ends with
# an abrupt step. The start-up ramp belongs to the channel (it restarts from 0
# after every start, pause and fault).
from micropython import const

from ustim.core.limits import check_session
from ustim.core.ticks import ticks_diff

END_RAMP_MS = const(3000)   # project choice: ramp down over the last 3 s
FULL_SCALE = const(1000)


class Session:
    def __init__(self, env, seconds=1800):
        self.env = env
        self.length_s = 0
        self.elapsed_ms = 0
        self.running = False
        self.expired = False
        self._last = 0
        r = self.set_length(seconds)
        if r is not None:
            self.set_length(env.max_session_s)

    def load(self, prog):
        """Take the program's default length and start over (not running)."""
        self.reset()
        return self.set_length(prog.session_s)

    def set_length(self, seconds):
        """User-set length. Returns None, or the Refusal (length unchanged) when
        outside 1 s..the envelope's cap. A length at or below the time already
        run expires the session on the next tick."""
        r = check_session(self.env, seconds)
        if r is None:
            self.length_s = seconds
        return r

    def reset(self):
        self.elapsed_ms = 0
        self.running = False
        self.expired = False

    def start(self, now_ms):
        """Start or resume counting from now_ms (a ticks_ms value)."""
        if not self.expired:
            self.running = True
            self._last = now_ms

    def pause(self, now_ms):
        if self.running:
            self.tick(now_ms)
            self.running = False

    def tick(self, now_ms):
        """Advance to now_ms; returns True once the session has expired."""
        if self.running:
            d = ticks_diff(now_ms, self._last)
            if d > 0:
                # A clock that appears to step back is ignored, never counted.
                self.elapsed_ms += d
                self._last = now_ms
        if self.elapsed_ms >= self.length_s * 1000 and not self.expired:
            self.expired = True
            self.running = False
        return self.expired

    def remaining_ms(self):
        left = self.length_s * 1000 - self.elapsed_ms
        return left if left > 0 else 0

    def remaining_s(self):
        # Rounded up: the display shows 0 only once the session is over.
        return (self.remaining_ms() + 999) // 1000

    def scale(self):
        """Amplitude scale per mille: FULL_SCALE until the last END_RAMP_MS,
        then down to 0 at expiry. Runs every tick: no call to remaining_ms()."""
        left = self.length_s * 1000 - self.elapsed_ms
        if left >= END_RAMP_MS:
            return FULL_SCALE
        return FULL_SCALE * left // END_RAMP_MS if left > 0 else 0
