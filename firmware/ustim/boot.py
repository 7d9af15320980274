# Boot and control loop on a board. main.py has already driven every output
# low before importing this; run() then:
#   1. loads and validates the board file (ustim.board.load; those checks
#      are then dropped from RAM)
#   2. builds the hardware bundle (ustim.hal.device.DeviceHw)
#   3. self-tests: sense baseline readable and idle, output pins low,
#      pulse program loaded (rp2) / engine constructed and stopped
#   4. builds the App (channels OFF at 0 uA; the splash is its first screen)
#   5. starts machine.WDT (WDT_TIMEOUT_MS) and runs App.step every TICK_MS
# A board or self-test problem halts: outputs low, the problem on the screen,
# the console and in error.txt, no watchdog (a reset would only repeat it, and
# the REPL stays free to fix the board file). Any other exception, in the boot
# or the loop: outputs off, the error written and shown, then machine.reset().
# See docs/device-app.md.
import sys

import machine
import micropython
from micropython import const

from ustim import VERSION
from ustim.app import ERROR_FILE, TICK_MS, App, reset_cause_name, show_error
from ustim.core.ticks import ticks_add, ticks_diff
from ustim.core.watchdog import config

# 4 s: long against the 10 ms tick (a tick may run late by the ~25 ms of a full
# OLED frame or a flash write of the usage log without a false reset), short
# enough that a hung controller is reset in seconds. The pulse engine's own
# dead-man stops the output within 2 pulses already; the watchdog brings the
# controller back. RP2040 maximum: 8388 ms.
WDT_TIMEOUT_MS = const(4000)
ERROR_SHOW_MS = const(2000)   # the error stays on the OLED this long before the reset
MAINT_BUTTON = const(1)       # MODE held at power-on: no app, no watchdog (for mpremote)

class _Halt(Exception):
    # A board file or self-test problem: the text is what error.txt records.
    pass


def checked_board(board_mod):
    """The validated board module (raises _Halt with the problems). The
    checks are some 12 KB of bytecode in RAM: imported here, for the boot
    only, and dropped again, so the running firmware has that RAM."""
    from ustim import board as checks
    try:
        return checks.load(board_mod).module
    except checks.BoardError as e:
        raise _Halt("BoardError: %s" % e) from None
    finally:
        sys.modules.pop("ustim.board", None)
        import ustim
        if getattr(ustim, "board", None) is checks:
            del ustim.board


def selftest(board, hw):
    """Problems found with every output off, as readable strings ([] = good).
    board: the validated board module."""
    out = []
    try:
        hw.sense.read()
    except Exception as e:      # noqa: BLE001 - reported, not raised
        return ["sense unreadable: %s" % e]
    idle = config(board).idle_ua
    for ch in range(board.CHANNELS):
        if hw.sense.i_ua[ch] > idle:
            out.append("ch%d: %d uA flows with the output off" % (ch + 1, hw.sense.i_ua[ch]))
        if hw.pulses.running(ch):
            out.append("ch%d: pulse engine running at boot" % (ch + 1))
        if hw.amp.ua[ch] != 0:
            out.append("ch%d: amplitude %d uA at boot" % (ch + 1, hw.amp.ua[ch]))
    for p in list(board.PIN_A) + list(board.PIN_B) + [board.PIN_HV_EN]:
        # Pin(p) with no mode changes nothing; value() reads the pad.
        if machine.Pin(p).value() != 0:
            out.append("output pin %d not low at idle" % p)
    if board.PLATFORM == "rp2":
        try:
            import rp2

            from ustim.hal.pio_biphasic import biphasic
            # Loaded now so a full PIO instruction memory shows at boot, not at
            # the first start; StateMachine.init reuses the loaded copy.
            rp2.PIO(0).add_program(biphasic)
        except Exception as e:   # noqa: BLE001
            out.append("PIO program not loaded: %s" % e)
    return out


def record_failure(text, hw, storage):
    """Before an App exists: the error to error.txt (only if it changed, so a
    reset loop does not wear the flash), the OLED and the console. Never raises."""
    try:
        if storage.read(ERROR_FILE) != text.encode():
            storage.write_atomic(ERROR_FILE, text.encode())
    except Exception:           # noqa: BLE001 - storage may be what failed
        pass
    if hw is None:
        print(text)
        return
    try:
        hw.console.write(text + "\n")
        # No control tick will send it: now, waiting if need be (outputs are off).
        flush = getattr(hw.console, "flush", None)
        if flush is not None:
            flush()
    except Exception:           # noqa: BLE001
        pass
    show_error(hw.display, "off. Halted.", text)


def maintenance_requested(board):
    pin = machine.Pin(board.PIN_BUTTONS[MAINT_BUTTON], machine.Pin.IN, machine.Pin.PULL_UP)
    return pin.value() == 0


def _make_storage():
    from ustim.hal.storage import FileStorage
    return FileStorage()


def _make_hw(board):
    from ustim.hal.device import DeviceHw
    return DeviceHw(board)


def run(board_mod, storage=None, make_hw=_make_hw):
    """Boot and run until a failure; then reset (never returns normally,
    except after a halt or a maintenance boot)."""
    import time
    cause = machine.reset_cause()
    if storage is None:
        storage = _make_storage()
    hw = None
    app = None
    try:
        # Validated as a whole; the App and the bundle then take the module
        # itself (ustim.board.Board keeps no WATCHDOG thresholds).
        board = checked_board(board_mod)
        if maintenance_requested(board):
            # Ctrl-C back (main.py turned it off) for mpremote and the REPL.
            micropython.kbd_intr(3)
            print("uStim: maintenance boot (MODE held): outputs low, no watchdog")
            return "maintenance"
        hw = make_hw(board)
        problems = selftest(board, hw)
        if problems:
            raise _Halt("SelfTestError: self-test: " + "; ".join(problems))
        app = App(board, hw, storage, cause, time.ticks_ms())
        hw.console.write("uStim %s on %s, reset cause: %s\n" % (
            VERSION, board.NAME, reset_cause_name(cause)))
        if app.error_text:
            hw.console.write("last error: %s\n" % app.error_text.decode())
        hw.wdt = machine.WDT(timeout=WDT_TIMEOUT_MS)
        loop(app, time)
    except _Halt as e:
        if hw is not None:
            _quiet(hw.outputs_off)
        record_failure(str(e), hw, storage)
        return "halted"
    except Exception as e:      # noqa: BLE001 - every failure ends the same way
        if app is not None:
            app.fail(e)         # outputs off, error.txt, OLED
        else:
            if hw is not None:
                _quiet(hw.outputs_off)
            record_failure("%s: %s" % (type(e).__name__, e), hw, storage)
    time.sleep_ms(ERROR_SHOW_MS)
    machine.reset()


def loop(app, clock):
    """App.step every TICK_MS until a step fails (App.fail has then run). The
    watchdog is fed inside App.step, only after a complete tick."""
    due = clock.ticks_ms()
    while True:
        if not app.step(clock.ticks_ms()):
            return
        due = ticks_add(due, TICK_MS)
        wait = ticks_diff(due, clock.ticks_ms())
        if wait > 0:
            clock.sleep_ms(wait)
        elif wait < -TICK_MS:
            # Far behind (a slow flash write): start afresh rather than run a
            # burst of ticks back to back.
            due = clock.ticks_ms()


def _quiet(fn):
    try:
        fn()
    except Exception:           # noqa: BLE001
        pass
