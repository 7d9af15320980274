# The hardware bundle the App drives on a real board (the simulator's is
# tools/sim/board.py SimHw; the interface is in the header of ustim/app.py):
#
#   pulses   PIO engine (rp2) or RMT engine (esp32), hal/pulse.py interface
#   amp      PWM or DAC reference (hal/amplitude.py), amp.set(ch, ua)
#   hv       the high-voltage enable, hv.set(on)
#   sense    hal/sense.Sense;  buttons  hal/buttons.ButtonPins
#   display  hal/display.Display, or None when no OLED answers the I2C scan
#   console  hal/stdio_console.StdioConsole: the REPL port, never blocking the tick
#   battery_pct(), wdt_feed(), outputs_off(), ticks_us(), power_down()
#
# Nothing here runs before main.py has driven every output low; constructors
# create outputs low (Pin value=0, PWM duty 0, DAC 0).
import machine
from micropython import const

from ustim.hal import amplitude
from ustim.hal.buttons import ButtonPins
from ustim.hal.sense import Sense, fixed_scale, to_units
from ustim.hal.stdio_console import StdioConsole

I2C_HZ = const(400000)       # the SSD1306's fast mode
# Battery range when the board file gives none: one Li-ion cell (project
# choice, the same figures as the simulator's battery model).
BATTERY_EMPTY_MV = const(3300)
BATTERY_FULL_MV = const(4150)
RELEASE_WAIT_MS = const(2000)   # power_down waits this long, awake, for POWER to be let go
RELEASE_POLL_MS = const(10)     # and looks at POWER this often meanwhile
SLEEP_POLL_MS = const(200)      # then sleeps, waking this often to look at POWER


class PowerWait:
    """When a board powered down wakes: on a press of POWER that follows a
    release. The hold that powered it down is no press, however long it lasts
    (a board that woke while POWER is still held would power up in the user's
    hand). look(down) is called at each look at POWER; it returns 0 to wake,
    else the ms until the next look: RELEASE_POLL_MS, awake, while waiting up
    to RELEASE_WAIT_MS for the release, then SLEEP_POLL_MS of light sleep.
    The simulated board (tools/sim/run.py) looks through the same object."""

    def __init__(self):
        self.released = False
        self.waited_ms = 0

    def look(self, down):
        if not down:
            self.released = True
        elif self.released:
            return 0
        if not self.released and self.waited_ms < RELEASE_WAIT_MS:
            self.waited_ms += RELEASE_POLL_MS
            return RELEASE_POLL_MS
        return SLEEP_POLL_MS


class HvEnable:
    def __init__(self, pin_id):
        self.pin = machine.Pin(pin_id, machine.Pin.OUT, value=0)
        self.on = False

    def set(self, on):
        # Written every tick, not only on change: a glitch that flipped the
        # pin is corrected within one tick.
        self.on = bool(on)
        self.pin.value(1 if on else 0)


# SSD1306 command stream (control byte 0x00) holding one NOP (0xE3).
_OLED_PROBE = b"\x00\xe3"


def find_display(board):
    """The OLED, or None when nothing acknowledges at OLED_ADDR (or the ssd1306
    driver is missing): the firmware runs without a display. The probe is a
    NOP command to that one address: rp2's I2C.scan() bit-bangs the bus for
    its zero-length writes, and scanning 112 addresses proves nothing more."""
    i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.PIN_SCL),
                      sda=machine.Pin(board.PIN_SDA), freq=I2C_HZ)
    try:
        i2c.writeto(board.OLED_ADDR, _OLED_PROBE)
        from ustim.hal.display import Display
        return Display(i2c, board.OLED_ADDR)
    except (OSError, ImportError):
        return None


def make_engine(board, ticks_us):
    if board.PLATFORM == "rp2":
        from ustim.hal.rp2_pio import PioPulseEngine
        return PioPulseEngine(board)
    from ustim.hal.esp32_rmt import RmtPulseEngine
    return RmtPulseEngine(board, ticks_us)


class DeviceHw:
    def __init__(self, board, console=None, display=True, ticks_us=None):
        self.board = board
        self.wdt = None                  # main.py sets it once the loop starts
        self.wdt_feeds = 0
        if ticks_us is None:
            import time
            ticks_us = time.ticks_us
        self.ticks_us = ticks_us
        # HV first: everything after it is harmless while the supply is off.
        self.hv = HvEnable(board.PIN_HV_EN)
        self.amp = amplitude.for_board(board)
        self.pulses = make_engine(board, ticks_us)
        self._bridge = []
        for ch in range(board.CHANNELS):
            self._bridge.append(machine.Pin(board.PIN_A[ch]))
            self._bridge.append(machine.Pin(board.PIN_B[ch]))
        self.sense = Sense(board)
        self.buttons = ButtonPins(board.PIN_BUTTONS)
        self._power_btn = self.buttons.pins[0]
        self.display = find_display(board) if display else None
        if console is None:
            console = StdioConsole(platform=board.PLATFORM, ticks_us=ticks_us)
        self.console = console
        self._bat = _battery_adc(board)
        self._bat_k, self._bat_shift = fixed_scale(board.BATTERY_MV_FULL_SCALE)
        self._bat_lo = getattr(board, "BATTERY_EMPTY_MV", BATTERY_EMPTY_MV)
        self._bat_hi = getattr(board, "BATTERY_FULL_MV", BATTERY_FULL_MV)

    def battery_mv(self):
        return to_units(self._bat.read_u16(), self._bat_k, self._bat_shift)

    def battery_pct(self):
        pct = (self.battery_mv() - self._bat_lo) * 100 // (self._bat_hi - self._bat_lo)
        return 0 if pct < 0 else (100 if pct > 100 else pct)

    def wdt_feed(self):
        if self.wdt is not None:
            self.wdt.feed()
            self.wdt_feeds += 1

    def outputs_off(self):
        """HV off, engine stopped, amplitude 0, bridge pins low. Every step is
        tried even when an earlier one fails; the last error is raised after."""
        err = None
        try:
            self.hv.set(False)
        except Exception as e:   # noqa: BLE001 - the other steps still run
            err = e
        try:
            self.pulses.stop_all()
        except Exception as e:   # noqa: BLE001
            err = e
        try:
            self.amp.off_all()
        except Exception as e:   # noqa: BLE001
            err = e
        # Whatever the engine did or failed to do, the pins end as GPIO low.
        # The amplitude pins stay PWM/DAC at 0: re-muxing them as GPIO would
        # cut the reference off from the PWM until the next boot.
        for p in self._bridge:
            try:
                p.init(machine.Pin.OUT, value=0)
            except Exception as e:   # noqa: BLE001
                err = e
        if err is not None:
            raise err

    def power_down(self):
        """Outputs are off (App.power_down). Sleep until POWER is pressed again
        after its release (PowerWait), then reset: the board boots as from
        power-on, every channel OFF."""
        import time
        wait = PowerWait()
        while True:
            ms = wait.look(self._power_btn.value() == 0)
            if not ms:
                machine.reset()
            if ms != SLEEP_POLL_MS:
                time.sleep_ms(ms)       # at most RELEASE_WAIT_MS: within the watchdog's time
                continue
            machine.lightsleep(ms)
            # Sleeping with the outputs off is not a hung controller: feed so
            # the watchdog does not turn power-down into a reboot loop.
            if self.wdt is not None:
                self.wdt.feed()


def _battery_adc(board):
    pin = machine.Pin(board.PIN_BATTERY)
    if board.PLATFORM == "esp32":
        return machine.ADC(pin, atten=machine.ADC.ATTN_11DB)
    return machine.ADC(pin)
