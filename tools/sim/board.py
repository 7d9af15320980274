# The simulated board, on the firmware's side: the chip and what is soldered
# to it, booting firmware/main.py exactly as a board does. main.py ->
# ustim.boot.run -> App with ustim.hal.device.DeviceHw and the real hal
# adapters, over the shims (tools/shims: machine, rp2, esp32, board_time as
# time) with, behind them:
#   - the pulse engine's pads traced (A, B, HV enable) and the amplitude codes
#     written (PWM duty / DAC), handed to the host's probe
#   - the sense ADCs and the battery ADC reading what the host's models set
#   - the buttons' pins driven by the host
#   - the SSD1306 model (tools/sim/models/oled_panel.py) on the I2C bus
#   - the flash (tools/sim/models/flash.py FlashFs) where FileStorage looks
#   - the watchdog resetting the board when not fed; machine.reset(), power
#     loss and a hang handled as a board would
# Time passes only as the models charge it and in the firmware's sleeps
# (board_time). Each sleep is cut in slices of at most SLICE_US; at the end of
# each, every peripheral is brought up to the board's time and exchange()
# hands the host what the outputs did (an outbox dict) and takes the inputs
# back (an inbox dict): once per control tick. The same code runs in CPython
# (the host calls in-process) and inside MicroPython (exchange() crosses as
# JSON), so both runtimes give the same board.
#
# The console is the firmware's StdioConsole over the board's REPL port: the
# port model of tools/shims/stdio.py (the pico's USB CDC, the ESP32's UART0 at
# 115200 with their buffers and blocking) as sys.stdin/stdout and select, on
# the board's clock: a call that blocks in the port is board time passing in
# the tick. The host end of the cable is the exchange's console fields.
import sys

import board_time
import esp32
import machine
import rp2
import stdio

from tools.sim import firmware_state
from tools.sim.models.flash import OsView, PowerCut
from tools.sim.models.oled_panel import Ssd1306Model
from tools.sim.sense_wiring import wire_sense

ON_MICROPYTHON = sys.implementation.name == "micropython"
MAIN = "firmware/main.py"
SLICE_US = 10000
BOOT_US = 100000          # reset to main.py: boot ROM and MicroPython start-up (estimate)
POWER_CUT_OFF_US = 300000  # a supply that failed during a flash write, as a brownout
# One ADC conversion: RP2040 96 cycles of its 48 MHz ADC clock (datasheet
# 4.9); ESP32 adc1 one-shot read about 37 us (27 ksps measured, labfruits.com).
ADC_US = {"rp2": 2, "esp32": 37}
# reset_cause() after machine.reset(): rp2 reboots through the watchdog
# (modmachine.c: watchdog_reboot, read back as WDT_RESET); esp32's
# esp_restart() is ESP_RST_SW, read back as HARD_RESET.
RESET_CAUSE = {"rp2": machine.WDT_RESET, "esp32": machine.HARD_RESET}


class StopRun(BaseException):
    """The host ends the run (not an Exception: the firmware lets it through)."""


class PowerLost(BaseException):
    """The supply is gone for args[0] us."""


class WatchdogExpired(BaseException):
    pass


class PortClock:
    """The port model's clock (stdio.Clock) on the board's."""

    def __init__(self):
        self.pending = None       # what MicroPython raises at the next port call

    @property
    def ns(self):
        return board_time._now * 1000

    @property
    def us(self):
        return board_time._now

    def advance_ns(self, ns):
        board_time.charge((ns + 999) // 1000)

    def advance_us(self, us):
        board_time.charge(us)

    def check(self):
        exc, self.pending = self.pending, None
        if exc is not None:
            raise exc


class _PortSys:
    """sys for the firmware's console module: the port's stdin and stdout."""

    def __init__(self, port):
        self.stdin = port.stdin
        self.stdout = port.stdout


class Board:
    def __init__(self, board_name, exchange, fs, root=""):
        self.name = board_name
        self.b = __import__("boards." + board_name, None, None, ("x",))
        self.platform = self.b.PLATFORM
        self.exchange = exchange
        self.fs = fs
        self.root = root
        n = self.b.CHANNELS
        self.raw_i = [0] * n
        self.raw_v = [0] * n
        self.battery_raw = 0
        self.buttons = [False] * len(self.b.PIN_BUTTONS)
        self.port = None          # the REPL port of the running boot
        self.clock = PortClock()
        self.events = []          # [t_ms, text] from the firmware's controller
        self.faults = []          # [t_ms, channel, kind]
        self.notes = []           # [t_ms, text] from the board (boots, resets)
        self.app = None
        self.last_app = None
        self.apps = 0
        self.watch = None
        self.panel = None
        self.shown = None
        self.failed = ""
        self.hang = False
        self.light = False        # in machine.lightsleep (the power-down loop)
        self.boots = 0
        self.cause = machine.PWRON_RESET
        self.up = False
        self._pins = ()
        self._saved = {}

    # -- the board's life ------------------------------------------------------

    def run(self):
        """Power on and run until the host says stop; returns the firmware's
        summary (firmware_state.firmware of the last App) or None."""
        board_time.reset(0)
        self._install()
        try:
            cause = machine.PWRON_RESET
            while True:
                try:
                    self._boot(cause)
                    self._main()
                    self._note("main.py returned: the board idles at the REPL")
                    self._idle()
                except StopRun:
                    return self.summary()
                except machine.ResetCalled:
                    self._note("reset: machine.reset()")
                    cause = RESET_CAUSE[self.platform]
                    self._off(BOOT_US)
                except WatchdogExpired:
                    self._note("reset: watchdog timeout")
                    cause = machine.WDT_RESET
                    self._off(BOOT_US)
                except PowerCut:
                    self._note("power lost during a flash write")
                    cause = machine.PWRON_RESET
                    self._off(POWER_CUT_OFF_US)
                except PowerLost as e:
                    cause = machine.PWRON_RESET
                    self._off(e.args[0])
        except StopRun:
            return self.summary()
        finally:
            self._uninstall()

    def _install(self):
        saved = self._saved
        saved["board"] = sys.modules.get("board")
        saved["time"] = sys.modules.get("time")
        sys.modules["board"] = self.b
        sys.modules["time"] = board_time
        from ustim import boot
        # The firmware's own loop, whatever a board before this one left.
        real_loop = getattr(boot.loop, "firmware_loop", boot.loop)
        saved["loop"] = real_loop
        saved["select"] = sys.modules.get("select")

        def loop(app, clock):
            self._attach(app)
            return real_loop(app, clock)

        loop.firmware_loop = real_loop
        boot.loop = loop
        self._mount()

    def _uninstall(self):
        from ustim import boot
        from ustim.hal import stdio_console
        saved = self._saved
        boot.loop = saved["loop"]
        stdio_console.sys = sys
        for name in ("board", "time", "select"):
            if saved[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved[name]
        self._unmount()
        board_time.set_sleeper(None)

    def _mount(self):
        # Where the firmware's FileStorage finds its filesystem: MicroPython
        # mounts the flash; CPython has no mount, so the storage module gets
        # the flash's os and open.
        if ON_MICROPYTHON:
            import os
            self._saved["cwd"] = os.getcwd()
            os.mount(self.fs, "/flash")
            os.chdir("/flash")
            return
        from ustim.hal import storage
        fs = self.fs
        self._saved["os"] = storage.os
        self._saved["storage"] = storage.FileStorage
        real = storage.FileStorage

        class FlashStorage(real):
            def __init__(self, root="", opener=None):
                real.__init__(self, root, fs.open if opener is None else opener)

        storage.os = OsView(fs)
        storage.FileStorage = FlashStorage

    def _unmount(self):
        if ON_MICROPYTHON:
            import os
            try:
                os.chdir(self._saved["cwd"])
            except OSError:
                pass          # the wasm build's root is no directory of its own
            os.umount("/flash")
            return
        from ustim.hal import storage
        storage.os = self._saved["os"]
        storage.FileStorage = self._saved["storage"]

    def _boot(self, cause):
        """Power on (or out of reset): a fresh chip, the wiring, then main.py."""
        self.boots += 1
        self.cause = cause
        self.app = None
        self.watch = None
        self.failed = ""
        self.hang = False
        self.light = False
        machine.reset_state(cause)
        rp2.reset()
        esp32.reset()
        board_time.boot()
        board_time.set_sleeper(self._sleep)
        b = self.b
        st = machine.state()
        st.adc_us = ADC_US[self.platform]
        amp = getattr(b, "PIN_AMP_PWM", None) or b.PIN_AMP_DAC
        self._pins = tuple(b.PIN_A) + tuple(b.PIN_B) + (b.PIN_HV_EN,) + tuple(amp)
        machine.trace(self._pins)
        for c in range(len(self.raw_i)):
            # Out of reset the sense amplifiers' peak detectors hold nothing.
            self.raw_i[c] = 0
            self.raw_v[c] = 0
        wire_sense(b, self.raw_i, self.raw_v)
        machine.set_adc(b.PIN_BATTERY, self._battery)
        bus = machine.I2C(b.I2C_ID, scl=machine.Pin(b.PIN_SCL), sda=machine.Pin(b.PIN_SDA))
        self.panel = Ssd1306Model()
        bus.devices.clear()
        bus.attach(b.OLED_ADDR, self.panel)
        self.shown = None
        self._buttons()
        # The REPL port comes up with the chip (Ctrl-C its interrupt again);
        # what the host had sent and the port not yet taken is gone.
        self.port = stdio.make_port(self.platform, self.clock)
        self.clock.pending = None
        from ustim.hal import stdio_console
        stdio_console.sys = _PortSys(self.port)
        sys.modules["select"] = self.port.select
        self._note("boot %d (reset cause %d)" % (self.boots, cause))
        self.up = True

    def _battery(self):
        return self.battery_raw

    def _main(self):
        path = self.root + MAIN
        if ON_MICROPYTHON:
            with open(path) as f:
                code = f.read()
            exec(code, {"__name__": "__main__"})
        else:
            import runpy
            runpy.run_path(path, run_name="__main__")

    def _attach(self, app):
        # The App the loop is about to run: its controller's events and the
        # faults it latches are what the recording reports.
        self.app = app
        self.last_app = app
        self.apps += 1
        self.watch = firmware_state.FaultWatch(app)
        app.ctl.on_event = self._event
        hw = app.hw
        down = hw.power_down

        def power_down():
            # Outputs off already (App.power_down): stamped as the device decides.
            self._note("powered down: outputs off until POWER is pressed")
            return down()

        hw.power_down = power_down

    def _event(self, text):
        # Stamped when the controller decides: nothing the board charges time
        # for runs between a decision and the outputs that carry it out.
        t = board_time._now // 1000
        self.events.append([t, text])
        self._faults(t)

    def _faults(self, t):
        if self.watch is None:
            return
        found = []
        self.watch.into(found)
        for ch, kind in found:
            self.faults.append([t, ch, kind])

    def _note(self, text):
        self.notes.append([board_time._now // 1000, text])

    # -- time -------------------------------------------------------------------

    def _sleep(self, until, kind):
        if kind == "busy":
            # Inside the tick: the peripherals run on, nothing crosses.
            board_time.advance_to(until)
            rp2.catch_up(until)
            esp32.catch_up(until)
            return
        light = kind == "light"
        if light and not self.light:
            self._note("light sleep")
        self.light = light
        while board_time._now < until:
            self._slice(self._slice_end(until))
            while self.hang:
                # The firmware is stuck here: only the peripherals go on.
                self._slice(self._slice_end(board_time._now + SLICE_US))

    def _slice_end(self, until):
        end = board_time._now + SLICE_US
        if end > until:
            end = until
        w = machine.watchdog()
        if w is not None and w.expires_at() < end:
            end = max(board_time._now, w.expires_at())
        return end

    def _slice(self, end):
        board_time.advance_to(end)
        rp2.catch_up(end)
        esp32.catch_up(end)
        w = machine.watchdog()
        if w is not None and board_time._now >= w.expires_at():
            self._down()
            raise WatchdogExpired()
        self._cross()

    def _idle(self):
        # Nothing runs: the REPL waits (a started watchdog still resets).
        while True:
            self._sleep(board_time._now + SLICE_US, "repl")

    def _off(self, us):
        """No firmware for `us`: in reset, or without power."""
        self.up = False
        self.app = None
        self.watch = None
        self.hang = False
        self._down()
        end = board_time._now + us
        board_time.set_sleeper(None)
        while board_time._now < end:
            board_time.advance_to(min(end, board_time._now + SLICE_US))
            try:
                self._cross()
            except PowerLost as e:
                end = max(end, board_time._now + e.args[0])

    def _down(self):
        # Reset or power gone: every peripheral stops, the pads go low (the
        # board's pull-downs), the references to 0.
        t = board_time._now
        rp2.catch_up(t)
        esp32.catch_up(t)
        st = machine.state()
        for p in self._pins:
            g = st.pins.get(p)
            if g is not None and g.level:
                g.level = 0
                st.edges.append((t, p, 0))
        for key in st.pwms:
            dev = st.pwms[key]
            pin = key[1] if isinstance(key, tuple) else key
            code = dev.code if isinstance(key, tuple) else dev.duty_u16()
            if code and pin in st.traced:
                st.outputs.append((t, pin, 0))
        self.up = False

    # -- one crossing to the host ---------------------------------------------

    def _cross(self):
        out = self._outbox()
        inbox = self.exchange(out)
        self._apply(inbox)

    def _outbox(self):
        t = board_time._now
        app = self.app
        frame = ""
        screen = 0
        if app is not None:
            self._faults(t // 1000)
            screen = app.menu.screen
            if app.failed and not self.failed:
                self.failed = app.failed
            disp = app.hw.display
            ram = self.panel.ram
            if disp is not None and not disp.pending() and ram != self.shown:
                self.shown = bytes(ram)
                frame = _hex(self.shown)
        st = machine.state()
        out = {"t": t, "edges": list(st.edges), "outputs": list(st.outputs),
               "console": self._console_out(), "events": self.events, "faults": self.faults,
               "notes": self.notes, "frame": frame, "screen": screen, "failed": self.failed,
               "up": self.up and app is not None and not self.hang}
        del st.edges[:]
        del st.outputs[:]
        self.events = []
        self.faults = []
        self.notes = []
        return out

    def _apply(self, inbox):
        ri = inbox["raw_i"]
        rv = inbox["raw_v"]
        for c in range(len(ri)):
            self.raw_i[c] = ri[c]
            self.raw_v[c] = rv[c]
        self.battery_raw = inbox["battery"]
        self.buttons = inbox["buttons"]
        if self.up:
            self._buttons()
        data = inbox["console"]
        if data and self.port is not None and self.up:
            self.port.host_write(data.encode())
        cut = inbox.get("flash_cut", -1)
        if cut >= 0:
            self.fs.cut_after = cut
        cmd = inbox["cmd"]
        if cmd == "stop":
            raise StopRun()
        if cmd == "hang":
            self.hang = True
        elif cmd.startswith("power_off:"):
            self._down()
            raise PowerLost(int(cmd[10:]))

    def _console_out(self):
        # What the host has read from the port since the last exchange.
        if self.port is None:
            return ""
        return self.port.host_read().decode("latin-1")

    def _buttons(self):
        # Pressed pulls the pin to ground; released floats to the pull-up.
        pins = self.b.PIN_BUTTONS
        for i in range(len(pins)):
            machine.Pin(pins[i]).drive(0 if self.buttons[i] else None)

    def summary(self):
        if self.last_app is None:
            return None
        return firmware_state.firmware(self.last_app)


def _hex(buf):
    import binascii
    return binascii.hexlify(buf).decode()
