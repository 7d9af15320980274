# Amplitude output through the esp32's 8-bit DAC (see amplitude.py: same
# rounding down and clamping, codes 0-255).
import machine

from ustim.hal.amplitude import DAC_MAX, board_max_ua, code_to_ua, ua_to_code

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)


class DacAmplitude:
    def __init__(self, board):
        # type: (Any) -> None
        self._full = board.AMP_FULL_SCALE_UA
        self._max = board_max_ua(board)
        self._dac = []
        self.ua = [0] * board.CHANNELS
        for ch in range(board.CHANNELS):
            dac = machine.DAC(machine.Pin(board.PIN_AMP_DAC[ch]))
            dac.write(0)
            self._dac.append(dac)

    def set(self, ch, ua):
        # type: (int, int) -> int
        code = ua_to_code(ua, self._full, self._max, DAC_MAX)
        self._dac[ch].write(code)
        self.ua[ch] = code_to_ua(code, self._full, DAC_MAX)
        return code

    def off(self, ch):
        # type: (int) -> None
        self._dac[ch].write(0)
        self.ua[ch] = 0

    def off_all(self):
        # type: () -> None
        for ch in range(len(self._dac)):
            self.off(ch)
