# Button adapter: the four buttons of the board file's PIN_BUTTONS (POWER/STOP,
# MODE, UP, DOWN), wired to ground with the internal pull-up, so a pressed
# button reads 0. read() hands "pressed" flags to ustim.core.buttons.Buttons.
#
#     pins = ButtonPins(board.PIN_BUTTONS)
#     logic = Buttons()
#     ... every control tick:  pins.poll_into(logic, now_ms)
from machine import Pin


class ButtonPins:
    def __init__(self, pin_ids):
        if len(pin_ids) != 4:
            raise ValueError("PIN_BUTTONS needs POWER, MODE, UP, DOWN")
        self.pins = tuple(Pin(p, Pin.IN, Pin.PULL_UP) for p in pin_ids)
        p = self.pins
        # Bound methods fetched once: reading them per tick would allocate.
        self._v0 = p[0].value
        self._v1 = p[1].value
        self._v2 = p[2].value
        self._v3 = p[3].value

    def pressed(self, index):
        return self.pins[index].value() == 0

    def poll_into(self, logic, now_ms):
        """Sample all four buttons and feed them to a core Buttons object."""
        return logic.poll(self._v0() == 0, self._v1() == 0, self._v2() == 0,
                          self._v3() == 0, now_ms)


def from_board(board):
    return ButtonPins(board.PIN_BUTTONS)
