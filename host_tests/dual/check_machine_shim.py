# The host `machine` shim (tools/shims/machine.py) on both runtimes. Pin
# numbers come from the board files: no pin number is written outside boards/.
import sys

import hostpaths  # noqa: F401  (tools/shims on MicroPython)
import machine
from boards import pico
from dualcheck import eq, raises, true

OUT_A = pico.PIN_A[0]
OUT_B = pico.PIN_B[0]
BUTTON = pico.PIN_BUTTONS[0]
SENSE = pico.PIN_SENSE_I[0]


def _fresh(cause=machine.PWRON_RESET):
    machine.reset_state(cause)
    sys.modules["machine"] = machine


def check_installs_through_sys_modules():
    _fresh()
    import machine as again
    true(again is machine, "import machine gives the shim")
    true(hasattr(again, "Pin") and hasattr(again, "WDT"), "shim, not the wasm builtin")


def check_pin_output_history_and_shared_state():
    _fresh()
    a = machine.Pin(OUT_A, machine.Pin.OUT, value=0)
    a.value(1)
    a.on()
    a.off()
    a(1)
    a.toggle()
    eq(a.history, [0, 1, 1, 0, 1, 0], "every write recorded")
    eq(a.value(), 0, "reads back its output")
    same = machine.Pin(OUT_A)
    eq(same.history, a.history, "a second Pin object shares the GPIO")
    eq(same.mode(), machine.Pin.OUT, "mode kept when not given")
    machine.Pin(OUT_B, machine.Pin.OUT, value=0)
    eq(machine.WRITES[-1], (OUT_B, 0), "global write order")
    eq(machine.pins(), sorted([OUT_A, OUT_B]), "pins made")
    eq(machine.pin(OUT_A).level, 0, "test-side lookup")
    raises(KeyError, machine.pin, SENSE)
    raises(ValueError, machine.Pin, OUT_A, 99)


def check_input_pull_and_external_drive_with_irq():
    _fresh()
    b = machine.Pin(BUTTON, machine.Pin.IN, machine.Pin.PULL_UP)
    eq(b.value(), 1, "pulled up when floating")
    edges = []
    b.irq(lambda p: edges.append(p.value()), machine.Pin.IRQ_FALLING)
    b.drive(0)
    eq(b.value(), 0, "pressed")
    b.drive(1)
    b.drive(None)
    eq(b.value(), 1, "floating again: the pull decides")
    eq(edges, [0], "one falling edge handled")


def check_signal_inverts():
    _fresh()
    s = machine.Signal(machine.Pin(BUTTON, machine.Pin.IN, machine.Pin.PULL_UP), invert=True)
    eq(s.value(), 0, "idle button reads not-pressed")
    machine.pin(BUTTON).drive(0)
    eq(s.value(), 1, "pressed reads 1")


def check_pwm_freq_and_duty():
    _fresh()
    p = machine.PWM(machine.Pin(pico.PIN_AMP_PWM[0]), freq=pico.AMP_PWM_HZ, duty_u16=0)
    p.duty_u16(32768)
    eq(p.freq(), pico.AMP_PWM_HZ, "freq")
    eq(p.duty_u16(), 32768, "duty")
    eq(p.history, [0, 32768], "duty history")
    true(machine.pwm(pico.PIN_AMP_PWM[0]) is p, "test-side lookup")
    raises(ValueError, p.duty_u16, 65536)
    raises(ValueError, p.freq, 0)
    p.deinit()
    eq(p.duty_u16(), 0, "deinit drops the duty")


def check_adc_sources_value_and_callback():
    _fresh()
    adc = machine.ADC(machine.Pin(SENSE))
    eq(adc.read_u16(), 0, "unset source reads 0")
    machine.set_adc(SENSE, 1234)
    eq(adc.read_u16(), 1234, "value source")
    seq = [100, 200]
    machine.set_adc(SENSE, lambda: seq.pop(0))
    eq((adc.read_u16(), adc.read_u16()), (100, 200), "callback source")
    machine.set_adc(SENSE, 70000)
    raises(ValueError, adc.read_u16)
    eq(adc.reads, 4, "reads counted")


def check_i2c_like_the_ssd1306_driver():
    # The call pattern of micropython-lib's SSD1306_I2C: a reused 2-byte
    # command buffer through writeto, and the frame through writevto with a
    # [b"\x40", buffer] list.
    _fresh()
    bus = machine.I2C(pico.I2C_ID, scl=machine.Pin(pico.PIN_SCL),
                      sda=machine.Pin(pico.PIN_SDA), freq=400000)
    eq(bus.scan(), [pico.OLED_ADDR], "display found")
    temp = bytearray(2)
    for cmd in (0xAE, 0xAF):
        temp[0] = 0x80
        temp[1] = cmd
        bus.writeto(pico.OLED_ADDR, temp)
    frame = bytearray(1024)
    frame[5] = 0xFF
    write_list = [b"\x40", None]
    write_list[1] = frame
    eq(bus.writevto(pico.OLED_ADDR, write_list), 1025, "bytes sent")
    eq(bus.log[0], (pico.OLED_ADDR, b"\x80\xae"), "first command kept, not aliased")
    eq(bus.log[1], (pico.OLED_ADDR, b"\x80\xaf"), "second command")
    eq(bus.log[2][1][:7], b"\x40\x00\x00\x00\x00\x00\xff", "frame data")
    eq(bus.bytes_written, 1029, "byte count")
    e = raises(OSError, bus.writeto, 0x3D, b"\x00")
    eq(e.args[0], 19, "absent device: ENODEV")
    true(machine.i2c(pico.I2C_ID) is bus, "test-side lookup")


def check_wdt_cannot_be_stopped_and_counts_feeds():
    _fresh()
    eq(machine.watchdog(), None, "no watchdog before WDT()")
    w = machine.WDT(timeout=2000)
    true(not hasattr(w, "deinit") and not hasattr(w, "stop"), "no way to stop it")
    w.feed()
    w.feed()
    eq(w.feeds, 2, "feeds")
    eq(machine.elapse(1999), False, "still within timeout")
    w.feed()
    eq(machine.elapse(1999), False, "fed in time")
    eq(machine.elapse(1), True, "starved")
    eq(machine.reset_cause(), machine.WDT_RESET, "next boot sees a WDT reset")
    raises(ValueError, machine.WDT, 0, 0)
    raises(ValueError, machine.WDT, 0, machine.WDT_MAX_MS + 1)
    eq(machine.watchdog().timeout_ms, 2000, "a refused WDT() changes nothing")


def check_reset_cause_freq_sleep_unique_id():
    for cause in (machine.PWRON_RESET, machine.HARD_RESET, machine.WDT_RESET,
                  machine.DEEPSLEEP_RESET, machine.SOFT_RESET):
        _fresh(cause)
        eq(machine.reset_cause(), cause, "reset cause")
    eq(len(set((machine.PWRON_RESET, machine.HARD_RESET, machine.WDT_RESET,
                machine.DEEPSLEEP_RESET, machine.SOFT_RESET))), 5, "distinct causes")
    _fresh()
    eq(machine.freq(), 125000000, "default clock")
    machine.freq(133000000)
    eq(machine.freq(), 133000000, "clock set")
    machine.lightsleep(10)
    raises(machine.ResetCalled, machine.deepsleep, 500)
    eq(machine.SLEEPS, [("light", 10), ("deep", 500)], "sleeps recorded")
    eq(machine.reset_cause(), machine.DEEPSLEEP_RESET, "deep sleep wakes as a reset")
    raises(machine.ResetCalled, machine.reset)
    eq(len(machine.unique_id()), 8, "unique id bytes")
    try:
        machine.reset()
    except Exception:
        true(False, "reset() was caught by except Exception")
    except BaseException:
        pass


def check_history_is_bounded():
    _fresh()
    p = machine.Pin(OUT_A, machine.Pin.OUT)
    for i in range(machine.HISTORY_MAX + 10):
        p.value(i & 1)
    eq(len(p.history), machine.HISTORY_MAX, "per-pin history capped")
    eq(p.history[-1], (machine.HISTORY_MAX + 9) & 1, "newest kept")
