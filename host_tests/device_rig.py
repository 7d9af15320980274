"""A bench for the device entry point on CPython: the machine/rp2/esp32 shims
stand in for the chip, a 2 kohm resistor for the electrodes, and FakeTime for
MicroPython's time module (ticks_ms/ticks_us/sleep_ms), so firmware/main.py
and the device hardware bundle run here unchanged.
"""

import os
import runpy
import sys
import time as real_time
from pathlib import Path

import esp32
import machine
import rp2

from ustim.core.ticks import ticks_add, ticks_diff

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "firmware" / "main.py"
LOAD_OHM = 2000
WORDS_PER_PULSE = 2


class StopRun(BaseException):
    """Ends a main.py run from the test side: not an Exception, so the
    firmware's handlers let it through to main.py's finally, as any
    BaseException would (Ctrl-C no longer can: main.py turns it off)."""


class FakeTime:
    """time for the firmware: the clock moves only in sleep_ms. on_sleep(ms) is
    called once per sleep, i.e. once per control tick of the main loop."""

    def __init__(self, on_sleep=None, start_ms=0):
        self.ms = start_ms
        self.us_extra = 0
        self.on_sleep = on_sleep
        self.sleeps = []

    def ticks_ms(self):
        return self.ms & 0x3FFFFFFF

    def ticks_us(self):
        return (self.ms * 1000 + self.us_extra) & 0x3FFFFFFF

    def sleep_ms(self, ms):
        self.sleeps.append(ms)
        self.ms += ms
        if self.on_sleep is not None:
            self.on_sleep(ms)

    ticks_add = staticmethod(ticks_add)
    ticks_diff = staticmethod(ticks_diff)

    def __getattr__(self, name):
        return getattr(real_time, name)


def drain_pio():
    """The PIO state machines take one pulse (2 words) from their FIFO per
    control tick, as a 100 Hz train does."""
    for sm in list(rp2._machines.values()):
        if sm.running and len(sm.fifo) >= WORDS_PER_PULSE:
            del sm.fifo[:WORDS_PER_PULSE]


def sync_rmt(clock):
    """The RMT shim's clock follows the firmware's: a window written at t ends
    when t plus its durations has passed on FakeTime."""
    esp32.advance(clock.ticks_us() - esp32.now_us())


def amp_ua(board, ch):
    """The current the amplitude reference sets now (0 when the PWM/DAC is 0)."""
    full = board.AMP_FULL_SCALE_UA
    if hasattr(board, "PIN_AMP_PWM"):
        try:
            duty = machine.pwm(board.PIN_AMP_PWM[ch]).duty_u16()
        except KeyError:
            return 0
        return duty * full // 65535
    try:
        code = machine.dac(board.PIN_AMP_DAC[ch]).code
    except KeyError:
        return 0
    return code * full // 255


def install_load(board, ohm=LOAD_OHM, idle_ua=0):
    """Sense ADCs read a resistive load driven at the amplitude reference."""

    def i_raw(ch):
        ua = amp_ua(board, ch) or idle_ua
        return min(65535, ua * 65535 // board.SENSE_I_UA_FULL_SCALE)

    def v_raw(ch):
        mv = amp_ua(board, ch) * ohm // 1000
        return min(65535, mv * 65535 // board.SENSE_V_MV_FULL_SCALE)

    for ch in range(board.CHANNELS):
        machine.set_adc(board.PIN_SENSE_I[ch], lambda c=ch: i_raw(c))
    mux = getattr(board, "PIN_SENSE_V_MUX", None)
    if mux is not None:
        st = machine.state()
        machine.set_adc(board.PIN_SENSE_V[0],
                        lambda: v_raw(1 if mux in st.pins and st.pins[mux].level else 0))
    else:
        for ch in range(board.CHANNELS):
            machine.set_adc(board.PIN_SENSE_V[ch], lambda c=ch: v_raw(c))
    machine.set_adc(board.PIN_BATTERY, 4000 * 65535 // board.BATTERY_MV_FULL_SCALE)


def fresh_board(board, cause=machine.PWRON_RESET):
    machine.reset_state(cause)
    rp2.reset()
    esp32.reset()
    install_load(board)


def output_pins(board):
    pins = list(board.PIN_A) + list(board.PIN_B) + [board.PIN_HV_EN]
    return pins + list(getattr(board, "PIN_AMP_PWM", ()))


def pins_low(board):
    """Every output pin (bridge, HV enable, PWM reference) a GPIO output at 0:
    on a board that also takes it away from the PIO/RMT/PWM driving it."""
    st = machine.state()
    for p in output_pins(board):
        g = st.pins.get(p)
        if g is None or g.mode != machine.Pin.OUT or g.level != 0:
            return False
    return True


def outputs_are_off(board):
    """Every bridge pin and the HV enable driven low, the amplitude at 0."""
    st = machine.state()
    for p in list(board.PIN_A) + list(board.PIN_B) + [board.PIN_HV_EN]:
        g = st.pins.get(p)
        if g is None or g.mode != machine.Pin.OUT or g.level != 0:
            return False
    return all(amp_ua(board, ch) == 0 for ch in range(board.CHANNELS))


def ustim_modules():
    return [k for k in sys.modules if k == "ustim" or k.startswith("ustim.")]


class StdinPipe:
    """A real, unbuffered pipe as sys.stdin, so the console's select.poll and
    read(1) run as written."""

    def __init__(self):
        r, w = os.pipe()
        self.reader = open(r, "rb", buffering=0)
        self.w = w

    def send(self, line):
        os.write(self.w, line.encode() + b"\n")

    def close(self):
        self.reader.close()
        os.close(self.w)


def run_main():
    runpy.run_path(str(MAIN), run_name="__main__")


def run_main_outcome():
    """main.py run until it ends: "stopped" (a test's StopRun), "reset"
    (machine.reset) or "returned"; anything else it raises goes on."""
    try:
        run_main()
    except StopRun:
        return "stopped"
    except machine.ResetCalled:
        return "reset"
    return "returned"
