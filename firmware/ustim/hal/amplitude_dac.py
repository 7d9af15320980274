# Amplitude output through the esp32's 8-bit DAC (see amplitude.py: same
# rounding down, clamping and write-on-change, codes 0-255).
import machine

from ustim.hal.amplitude import DAC_MAX, Amplitude

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)


class DacAmplitude(Amplitude):
    def __init__(self, board):
        # type: (Any) -> None
        Amplitude.__init__(self, board, DAC_MAX)
        self._dac = []
        for ch in range(board.CHANNELS):
            dac = machine.DAC(machine.Pin(board.PIN_AMP_DAC[ch]))
            dac.write(0)
            self._dac.append(dac)

    def write(self, ch, code):
        # type: (int, int) -> None
        self._dac[ch].write(code)
