"""The simulated board: the hardware bundle the firmware's App drives
(firmware/ustim/app.py), made of models and of the firmware's own hal adapters
running on the machine shim (tools/shims/machine.py):

- pulses: SimPulseEngine (reference-model pulses, recorded exactly)
- sense: the real hal Sense reading ADCs whose values come from the electrode
  model (tools/sim/models/electrode.py) for the latest pulse of each channel
- buttons: the real hal ButtonPins on shim pins the scenario drives
- display: the real hal Display and micropython-lib's ssd1306 driver over a
  recording I2C; each complete new panel image is kept as a frame
- amplitude, HV enable, console, battery, hardware watchdog: small models
"""

import time

import machine

from tools.sim.models.electrode import from_scenario, healthy
from tools.sim.engine import SimPulseEngine
from tools.sim.sense_wiring import wire_sense
from ustim.hal.buttons import ButtonPins
from ustim.hal.display import Display
from ustim.hal.sense import Sense

BATTERY_EMPTY_MV = 3300   # project choice for a 1-cell Li-ion pack
BATTERY_FULL_MV = 4150


class Console:
    def __init__(self, clock_ms, rec):
        self.clock_ms = clock_ms
        self.rec = rec
        self.inbox = bytearray()
        self.external = None      # a pty server may take the console over

    def send(self, line):
        self.rec.console.append((self.clock_ms(), "in", line))
        self.inbox += line.encode() + b"\n"

    def read(self):
        if self.external is not None:
            return self.external.read()
        if not self.inbox:
            return None
        data = bytes(self.inbox)
        self.inbox = bytearray()
        return data

    def write(self, text):
        if self.external is not None:
            self.external.write(text)
        self.rec.console.append((self.clock_ms(), "out", text.rstrip("\n")))


class SimHw:
    def __init__(self, board, rec, electrodes, tick_ms, battery_mv, reset_cause):
        machine.reset_state(reset_cause)
        self.board = board
        self.rec = rec
        self.now_us = 0
        n = board.CHANNELS
        self.amp_ua = [0] * n
        self.hv_on = False
        self.battery_mv = battery_mv
        self.wdt_feeds = 0
        self.powered_down = False
        self.buttons_down = [False] * len(board.PIN_BUTTONS)
        self.electrodes = electrodes
        self.pulses = SimPulseEngine(lambda: self.now_us, n, tick_ms, lambda ch: self.amp_ua[ch])
        self.amp = _Amp(self)
        self.hv = _Hv(self)
        self.raw_i = [0] * n
        self.raw_v = [0] * n
        wire_sense(board, self.raw_i, self.raw_v)
        self.sense = Sense(board)
        self.buttons = ButtonPins(board.PIN_BUTTONS)
        i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.PIN_SCL),
                          sda=machine.Pin(board.PIN_SDA), freq=400000)
        self.display = Display(i2c, board.OLED_ADDR)
        self.console = Console(lambda: self.now_us // 1000, rec)
        self._last_frame = None

    # -- models -----------------------------------------------------------

    def before_tick(self, now_ms):
        """Advance the models to now: sense holds the latest pulse's readings."""
        self.now_us = now_ms * 1000
        b = self.board
        for ch, t in enumerate(self.pulses.trains):
            last = None
            for p in t.pending:
                if p[0] < self.now_us:
                    last = p
            if last is None:
                for r in reversed(self.pulses.record[-4:]):
                    if r[0] == ch:
                        last = (r[1], r[2], r[3], r[4], r[5])
                        break
            if last is None or last[4] <= 0:
                continue
            held = (self.raw_i[ch], self.raw_v[ch])
            ri, rv = self.electrodes[ch].raw(last[0] // 1000, last[4], last[1],
                                             b.SENSE_I_UA_FULL_SCALE,
                                             b.SENSE_V_MV_FULL_SCALE, held)
            self.raw_i[ch], self.raw_v[ch] = ri, rv

    def after_tick(self, now_ms, screen_name):
        """Keep the panel image when a complete new one is on the panel."""
        shown = self.display.refresh.shown
        if not self.display.refresh.pending() and shown != self._last_frame:
            self._last_frame = bytes(shown)
            self.rec.frames.append((now_ms, screen_name, self._last_frame))

    def press(self, index, level):
        # Active-low buttons: pressed pulls the pin to ground, released floats
        # to the pull-up.
        self.buttons_down[index] = bool(level)
        machine.pin(self.board.PIN_BUTTONS[index]).drive(0 if level else None)

    # -- what the App calls ---------------------------------------------------

    def battery_pct(self):
        span = BATTERY_FULL_MV - BATTERY_EMPTY_MV
        pct = (self.battery_mv - BATTERY_EMPTY_MV) * 100 // span
        return 0 if pct < 0 else (100 if pct > 100 else pct)

    def wdt_feed(self):
        self.wdt_feeds += 1

    def outputs_off(self):
        # Each output independently, and below the adapters, as the device's
        # outputs_off drives the pins low itself: whatever part just failed
        # (an adapter included) cannot keep another output on.
        if self.hv_on:
            self.hv_on = False
            self.rec.hv.append((self.now_us, 0))
        try:
            self.pulses.stop_all()
        except Exception:           # noqa: BLE001 - the pins go low regardless
            for t in self.pulses.trains:
                t.pending = []
                t.running = False
        for ch in range(len(self.amp_ua)):
            if self.amp_ua[ch]:
                self.amp_ua[ch] = 0
                self.rec.amplitude.append((self.now_us, ch, 0))

    def ticks_us(self):
        return (time.perf_counter_ns() // 1000) & 0x3FFFFFFF

    def power_down(self):
        self.powered_down = True


class _Amp:
    def __init__(self, hw):
        self.hw = hw

    def set(self, ch, ua):
        hw = self.hw
        if hw.amp_ua[ch] != ua:
            hw.amp_ua[ch] = ua
            hw.rec.amplitude.append((hw.now_us, ch, ua))


class _Hv:
    def __init__(self, hw):
        self.hw = hw

    def set(self, on):
        hw = self.hw
        if hw.hv_on != bool(on):
            hw.hv_on = bool(on)
            hw.rec.hv.append((hw.now_us, 1 if on else 0))



def electrodes_for(scenario, board, seed=1):
    """One electrode model per channel: scenario values or healthy gel pads."""
    out = []
    for ch in range(board.CHANNELS):
        spec = scenario.get("electrodes", {}).get(str(ch + 1))
        if spec:
            out.append(from_scenario(spec, board.COMPLIANCE_MV, seed + ch))
        else:
            out.append(healthy(seed + ch, board.COMPLIANCE_MV))
    return out

