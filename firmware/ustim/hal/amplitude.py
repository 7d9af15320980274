# Amplitude output: the current-sink reference of each channel, set in uA.
# rp2 boards drive it with PWM into an RC filter (duty_u16), esp32 boards with
# the 8-bit DAC. Codes round down, so the output never exceeds the command,
# and are clamped to the board's range (its full scale and its peak limit).
# 0 uA is code 0 exactly. The envelope (ustim.core.limits) has already
# checked the amplitude; the clamp here is a second, independent fence.
#
# set() runs every control tick: it writes the hardware only when the code
# changes, and scales with ustim.core.fixed.muldiv (ua * 65535 is a big int
# above 16.4 mA), so it allocates nothing at any amplitude.
#
# Charge balance while the level moves: a pulse's B phase must see the
# current its A phase saw. With the pulse engine attached (attach(), done by
# DeviceHw), a change waits until no pulse is in progress and none begins
# before the reference has settled (settle_us: the board's RC filter, 0 for a
# DAC); a channel that starts waits that long after its first level, before
# its first pulse. The waits are bounded by a pulse plus settle_us (2.4 ms at
# most in the envelope with the pico's filter) and only come when the level
# changes (ramps, a user's step). set(ch, ua, wait_max) makes no change that
# would wait longer than wait_max: it returns -1 and the caller, with other
# work to do first, asks again later in its tick (App._outputs, _late_levels),
# when the quiet moment is nearer. A stop that is no fault (the level came to
# 0) waits for the pulse in progress to end (finish_pulse), so it comes out
# whole. docs/safety.md has the measured figures.
import machine
from micropython import const

from ustim.core.fixed import muldiv

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

_U16_MAX = const(65535)
DAC_MAX = const(255)
_FULL_SCALE_MAX = const((1 << 20) - 1)   # muldiv's bound on the board's full scale
NO_WAIT_LIMIT = const(1 << 29)


def board_max_ua(board):
    top = board.AMP_FULL_SCALE_UA
    if not 0 < top <= _FULL_SCALE_MAX:
        raise ValueError("AMP_FULL_SCALE_UA must be 1..%d uA" % _FULL_SCALE_MAX)
    peak = getattr(board, "LIMITS", {}).get("max_peak_ua", top)
    return peak if peak < top else top


def settle_us(board):
    """How long the reference takes to settle after a change: 5 times the sum
    of the two-stage RC filter's time constants (R1 C1 + R2 C2 + R1 C2 is
    that sum: it bounds the slower one), 0 without a filter (a DAC)."""
    rc = getattr(board, "AMP_RC", None)
    if not rc:
        return 0
    (r1, c1), (r2, c2) = rc
    return 5 * (r1 * c1 + r2 * c2 + r1 * c2) // 1000


def ua_to_code(ua, full_scale_ua, max_ua, code_max):
    if ua <= 0:
        return 0
    if ua > max_ua:
        ua = max_ua
    code = muldiv(ua, code_max, full_scale_ua)
    return code if code < code_max else code_max


def code_to_ua(code, full_scale_ua, code_max):
    """The current a code sets (floor), for read-back and reports."""
    return muldiv(code, full_scale_ua, code_max)


class Amplitude:
    """One reference output per channel; write(ch, code) is the hardware's."""

    def __init__(self, board, code_max):
        # type: (Any, int) -> None
        self._full = board.AMP_FULL_SCALE_UA
        self._max = board_max_ua(board)
        self._code_max = code_max
        self.ua = [0] * board.CHANNELS      # what the output is set to now
        self._code = [0] * board.CHANNELS
        self.settle_us = settle_us(board)
        self._quiet_in = None  # type: Any  # the engine's, once attached
        self._sleep_us = None  # type: Any

    def attach(self, engine, sleep_us):
        # type: (Any, Any) -> None
        """Change levels between the engine's pulses (see the top)."""
        self._quiet_in = engine.quiet_in
        self._sleep_us = sleep_us

    def write(self, ch, code):
        # type: (int, int) -> None
        raise NotImplementedError

    def set(self, ch, ua, wait_max=NO_WAIT_LIMIT):
        # type: (int, int, int) -> int
        code = ua_to_code(ua, self._full, self._max, self._code_max)
        if code != self._code[ch]:
            quiet_in = self._quiet_in
            wait = quiet_in(ch, self.settle_us) if quiet_in is not None else 0
            if wait > wait_max:
                return -1
            if wait > 0:
                self._sleep_us(wait)
            self.write(ch, code)
            if wait < 0 and code and self.settle_us:
                # Stopped: its first pulse comes right after (App._outputs).
                self._sleep_us(self.settle_us)
            self._code[ch] = code
            self.ua[ch] = code_to_ua(code, self._full, self._code_max)
        return code

    def finish_pulse(self, ch):
        # type: (int) -> None
        """Wait for the pulse in progress on ch to end (before a stop that
        is no fault, so it does not cut one in half)."""
        quiet_in = self._quiet_in
        if quiet_in is not None:
            wait = quiet_in(ch, 0)
            if wait > 0:
                self._sleep_us(wait)

    def off(self, ch):
        # type: (int) -> None
        # Written whatever the cache says: off is the path of faults and boot.
        self.write(ch, 0)
        self._code[ch] = 0
        self.ua[ch] = 0

    def off_all(self):
        # type: () -> None
        for ch in range(len(self.ua)):
            self.off(ch)


class PwmAmplitude(Amplitude):
    def __init__(self, board):
        # type: (Any) -> None
        Amplitude.__init__(self, board, _U16_MAX)
        self._pwm = []
        for ch in range(board.CHANNELS):
            # Created at duty 0: the reference is never high, even briefly.
            self._pwm.append(machine.PWM(machine.Pin(board.PIN_AMP_PWM[ch]),
                                         freq=board.AMP_PWM_HZ, duty_u16=0))

    def write(self, ch, code):
        # type: (int, int) -> None
        self._pwm[ch].duty_u16(code)


def for_board(board):
    if getattr(board, "PIN_AMP_PWM", None) is not None:
        return PwmAmplitude(board)
    # Only esp32 has machine.DAC: imported where it exists.
    from ustim.hal.amplitude_dac import DacAmplitude
    return DacAmplitude(board)
