# Amplitude output: the current-sink reference of each channel, set in uA.
# rp2 boards drive it with PWM into an RC filter (duty_u16), esp32 boards with
# the 8-bit DAC. Codes round down, so the output never exceeds the command,
# and are clamped to the board's range (its full scale and its peak limit).
# 0 uA is code 0 exactly. The envelope (ustim.core.limits) has already
# checked the amplitude; the clamp here is a second, independent fence.
import machine
from micropython import const

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

_U16_MAX = const(65535)
DAC_MAX = const(255)


def board_max_ua(board):
    top = board.AMP_FULL_SCALE_UA
    peak = getattr(board, "LIMITS", {}).get("max_peak_ua", top)
    return peak if peak < top else top


def ua_to_code(ua, full_scale_ua, max_ua, code_max):
    if ua <= 0:
        return 0
    if ua > max_ua:
        ua = max_ua
    code = ua * code_max // full_scale_ua
    return code if code < code_max else code_max


def code_to_ua(code, full_scale_ua, code_max):
    """The current a code sets (floor), for read-back and reports."""
    return code * full_scale_ua // code_max


class PwmAmplitude:
    def __init__(self, board):
        # type: (Any) -> None
        self._full = board.AMP_FULL_SCALE_UA
        self._max = board_max_ua(board)
        self._pwm = []
        self.ua = [0] * board.CHANNELS
        for ch in range(board.CHANNELS):
            # Created at duty 0: the reference is never high, even briefly.
            self._pwm.append(machine.PWM(machine.Pin(board.PIN_AMP_PWM[ch]),
                                         freq=board.AMP_PWM_HZ, duty_u16=0))

    def set(self, ch, ua):
        # type: (int, int) -> int
        code = ua_to_code(ua, self._full, self._max, _U16_MAX)
        self._pwm[ch].duty_u16(code)
        self.ua[ch] = code_to_ua(code, self._full, _U16_MAX)
        return code

    def off(self, ch):
        # type: (int) -> None
        self._pwm[ch].duty_u16(0)
        self.ua[ch] = 0

    def off_all(self):
        # type: () -> None
        for ch in range(len(self._pwm)):
            self.off(ch)


def for_board(board):
    if getattr(board, "PIN_AMP_PWM", None) is not None:
        return PwmAmplitude(board)
    # Only esp32 has machine.DAC: imported where it exists.
    from ustim.hal.amplitude_dac import DacAmplitude
    return DacAmplitude(board)
