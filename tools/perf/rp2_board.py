"""What stands around the emulated RP2040 (PyPI rp2040py) when the firmware runs on it: the
pico board file's wiring, seen from outside the chip.

- Oled: an SSD1306 answering at OLED_ADDR on the board's I2C bus. Every byte takes its bus
  time (9 SCL periods at the frequency the firmware programmed), so the CPU waits for the
  bus as it does on a board; each transaction is counted with its emulated time, and the
  panel's RAM is kept by the project's SSD1306 model.
- Load: a resistor on each output behind the sense inputs. The peak detector holds the
  current of the channel's latest pulse (its amplitude from the PWM reference's duty at the
  A edge); the voltage detector sees I x R through the Pico's 2:1 mux. ADC conversions take
  the RP2040's 2 us.
- Buttons: pads pulled low while pressed.
- Pulses: every A and B edge with its emulated time, and the PIO TX FIFO level seen at each
  A edge (the state machine has just pulled that pulse's first word).
- PIO pacing: while the CPU sleeps the emulator jumps to the next alarm and steps each PIO
  state machine once per jump; a self re-arming alarm keeps the jumps shorter than one
  state machine cycle (1 us at the engine's 1 MHz), so the pulse train keeps its timing.
"""

import sys
from pathlib import Path

# The panel model takes its bus timing from the machine shim (tools/shims).
_SHIMS = str(Path(__file__).resolve().parents[1] / "shims")
if _SHIMS not in sys.path:
    sys.path.insert(0, _SHIMS)

from tools.sim.models.electrode import to_raw  # noqa: E402
from tools.sim.models.oled_panel import Ssd1306Model  # noqa: E402

NS = 1_000_000_000
# The RP2040's ADC inputs 0-3 are its GPIOs 26-29 (a property of the chip, not of a board).
ADC_FIRST_GPIO = 26


class Oled:
    """An SSD1306 on one of the chip's I2C blocks: each byte acknowledged after its bus
    time, each transaction's bytes fed to the panel model (tools/sim/models/oled_panel)."""

    def __init__(self, mcu, index, addr):
        self.mcu = mcu
        self.i2c = mcu.i2c[index]
        self.addr = addr
        self.clock = mcu.clock
        self.alarm = self.clock.create_alarm(self._done)
        self._pending = None
        self.panel = Ssd1306Model()
        self.writes = []          # (emulated ns at the stop, bytes on the bus incl. address)
        self._payload = bytearray()
        self._ours = False
        self.i2c.on_connect = self._connect
        self.i2c.on_write_byte = self._write
        self.i2c.on_stop = self._stop

    def bit_ns(self):
        i2c = self.i2c
        cycles = i2c.scl_low_period + i2c.scl_high_period
        return cycles * NS / self.mcu.clk_sys if cycles else NS / 100_000

    def _later(self, bits, fn):
        self._pending = fn
        self.alarm.schedule(bits * self.bit_ns())

    def _done(self):
        fn, self._pending = self._pending, None
        if fn is not None:
            fn()

    def _connect(self, address, mode):
        self._ours = address == self.addr
        self._payload = bytearray()
        # Start condition, 7 address bits, R/W, acknowledge.
        self._later(10, lambda: self.i2c.complete_connect(self._ours))

    def _write(self, value):
        self._payload.append(value)
        self._later(9, lambda: self.i2c.complete_write(True))

    def _stop(self):
        if self._ours:
            self.writes.append((self.clock.nanos, len(self._payload) + 1))
            self.panel.write(self._payload)
            self._ours = False
        self._later(1, self.i2c.complete_stop)


class Load:
    def __init__(self, mcu, board, ohm=1000):
        self.mcu = mcu
        self.board = board
        self.ohm = ohm
        self.held_ua = [0] * board.CHANNELS
        adc = mcu.adc
        self._default = adc.on_adc_read
        adc.on_adc_read = self._read
        pwm_ch = [p for p in board.PIN_AMP_PWM]
        self._pwm = [(mcu.pwm.channels[p >> 1 & 7], p & 1) for p in pwm_ch]
        for ch, pin in enumerate(board.PIN_A):
            mcu.gpio[pin].add_listener(self._edge_listener(ch))

    def amplitude_ua(self, ch):
        chan, b = self._pwm[ch]
        top = chan.top + 1
        cc = (chan.cc >> 16) & 0xFFFF if b else chan.cc & 0xFFFF
        cc = top if cc > top else cc
        return cc * self.board.AMP_FULL_SCALE_UA // top if chan.csr & 1 else 0

    def _edge_listener(self, ch):
        def on_edge(value, _old):
            if int(value) == 1:
                self.held_ua[ch] = self.amplitude_ua(ch)
        return on_edge

    def _hv_on(self):
        return int(self.mcu.gpio[self.board.PIN_HV_EN].value) == 1

    def _read(self, channel):
        b = self.board
        pad = ADC_FIRST_GPIO + channel
        value = 0
        if pad in b.PIN_SENSE_I:
            ua = self.held_ua[b.PIN_SENSE_I.index(pad)] if self._hv_on() else 0
            value = to_raw(ua, b.SENSE_I_UA_FULL_SCALE)
        elif pad in b.PIN_SENSE_V:
            mux = getattr(b, "PIN_SENSE_V_MUX", None)
            ch = b.PIN_SENSE_V.index(pad)
            if mux is not None:
                ch = 1 if int(self.mcu.gpio[mux].value) == 1 else 0
            ua = self.held_ua[ch] if self._hv_on() else 0
            mv = min(ua * self.ohm // 1000, b.COMPLIANCE_MV)
            value = to_raw(mv, b.SENSE_V_MV_FULL_SCALE)
        elif pad == b.PIN_BATTERY:
            value = to_raw(3900, b.BATTERY_MV_FULL_SCALE)
        self.mcu.adc.channel_values[channel] = value >> 4
        self._default(channel)


class Pulses:
    """A/B edges per channel and the TX FIFO level at each A edge."""

    def __init__(self, mcu, board, sm_base=0):
        self.mcu = mcu
        self.edges = [[] for _ in range(board.CHANNELS)]    # (ns, pin role, level)
        self.fifo_min = [None] * board.CHANNELS
        self.fifo_at_a = [[] for _ in range(board.CHANNELS)]
        self._sm = [mcu.pio[0].machines[sm_base + ch] for ch in range(board.CHANNELS)]
        for ch in range(board.CHANNELS):
            mcu.gpio[board.PIN_A[ch]].add_listener(self._listener(ch, "A"))
            mcu.gpio[board.PIN_B[ch]].add_listener(self._listener(ch, "B"))

    def _listener(self, ch, role):
        def on_edge(value, _old):
            v = int(value)
            if v > 1:
                return
            self.edges[ch].append((self.mcu.clock.nanos, role, v))
            if role == "A" and v == 1:
                level = self._sm[ch].tx_fifo.item_count
                self.fifo_at_a[ch].append(level)
                m = self.fifo_min[ch]
                self.fifo_min[ch] = level if m is None or level < m else m
        return on_edge


class Pacer:
    def __init__(self, clock, every_ns=500):
        self.every_ns = every_ns
        self.alarm = clock.create_alarm(self._fire)
        self.alarm.schedule(every_ns)

    def _fire(self):
        self.alarm.schedule(self.every_ns)


class Buttons:
    def __init__(self, mcu, board):
        self.mcu = mcu
        self.pins = board.PIN_BUTTONS

    def set(self, index, pressed):
        pin = self.mcu.gpio[self.pins[index]]
        if pressed:
            pin.set_input_value(False)
        else:
            pin.release_input()
