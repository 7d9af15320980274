"""firmware/main.py on the host: outputs low before the first heavy import, the
watchdog fed once per healthy tick, an exception ending in outputs off, the
error recorded and machine.reset(), and nothing resuming on the next boot.
main.py runs unchanged through runpy with the machine/rp2/esp32 shims, a pipe
as the serial console and FakeTime as MicroPython's time module."""

import sys
import types

import machine
import pytest
import rp2

import device_rig as R
from boards import esp32_devkitc, pico
from ustim.core import settings as S

BOARDS = {"pico": pico, "esp32": esp32_devkitc}


class Rig:
    def __init__(self, board, stdin):
        self.board = board
        self.ticks = 0
        self.stop_after = None
        self.at_tick = {}          # tick number -> callable run before that tick's sleep ends
        self.apps = []
        self.stdin = stdin
        self.time = R.FakeTime(self._slept)
        self.long_sleeps = []

    def _slept(self, ms):
        if ms > 10:
            self.long_sleeps.append((ms, machine.watchdog().feeds if machine.watchdog() else 0))
            return
        self.ticks += 1
        R.drain_pio()
        R.sync_rmt(self.time)
        fn = self.at_tick.get(self.ticks)
        if fn is not None:
            fn()
        if self.stop_after is not None and self.ticks >= self.stop_after:
            raise R.StopRun()

    def run(self, ticks=None):
        self.stop_after = ticks
        return R.run_main_outcome()

    @property
    def app(self):
        return self.apps[-1]

    def feeds(self):
        w = machine.watchdog()
        return 0 if w is None else w.feeds


def _settings_bytes(console=True):
    st = S.Settings()
    st.set("console", console)
    return S.encode(st)


@pytest.fixture(params=sorted(BOARDS))
def rig(request, monkeypatch, tmp_path):
    yield from _make_rig(BOARDS[request.param], monkeypatch, tmp_path)


@pytest.fixture
def pico_rig(monkeypatch, tmp_path):
    yield from _make_rig(pico, monkeypatch, tmp_path)


def _make_rig(board, monkeypatch, tmp_path):
    settings = _settings_bytes()
    saved = {k: sys.modules[k] for k in R.ustim_modules()}
    for k in saved:
        del sys.modules[k]
    monkeypatch.chdir(tmp_path)
    (tmp_path / S.FILE_NAME).write_bytes(settings)
    R.fresh_board(board)
    monkeypatch.setitem(sys.modules, "board", board)
    stdin = R.StdinPipe()
    monkeypatch.setattr(sys, "stdin", stdin.reader)
    rig = Rig(board, stdin)
    monkeypatch.setitem(sys.modules, "time", rig.time)
    try:
        yield rig
    finally:
        stdin.close()
        for k in R.ustim_modules():
            del sys.modules[k]
        sys.modules.update(saved)


def _capture_apps(rig, monkeypatch):
    from ustim import boot
    loop = boot.loop

    def capturing(app, clock):
        rig.apps.append(app)
        return loop(app, clock)

    monkeypatch.setattr(boot, "loop", capturing)
    return boot


# -- before the first heavy import --------------------------------------------

class _FirstUstimImport:
    def __init__(self):
        self.pins = None
        self.writes = None
        self.wdt = None

    def find_spec(self, name, path=None, target=None):
        if self.pins is None and (name == "ustim" or name.startswith("ustim.")):
            self.pins = {p: (g.mode, g.level, len(g.history))
                         for p, g in machine.state().pins.items()}
            self.writes = list(machine.WRITES)
            self.wdt = machine.watchdog()
        return None


def test_outputs_low_before_the_first_ustim_import(rig):
    hook = _FirstUstimImport()
    sys.meta_path.insert(0, hook)
    try:
        assert rig.run(ticks=5) == "stopped"
    finally:
        sys.meta_path.remove(hook)
    assert hook.pins is not None, "main.py never imported ustim"
    b = rig.board
    for p in R.output_pins(b) + list(getattr(b, "PIN_AMP_DAC", ())):
        mode, level, writes = hook.pins.get(p, (None, None, 0))
        assert mode == machine.Pin.OUT and level == 0 and writes >= 1, (
            "pin %d not driven low before ustim was imported: %r" % (p, (mode, level)))
    # HV enable first, and nothing but the outputs touched yet.
    assert hook.writes[0] == (b.PIN_HV_EN, 0)
    assert set(hook.pins) == set(R.output_pins(b)) | set(getattr(b, "PIN_AMP_DAC", ()))
    assert hook.wdt is None


# -- the healthy loop ----------------------------------------------------------

def test_watchdog_fed_once_per_healthy_tick_and_finally_drives_pins_low(rig, monkeypatch):
    _capture_apps(rig, monkeypatch)
    for line in ("select 1 tens", "amp 1 10", "start 1"):
        rig.stdin.send(line)
    hv_seen = []
    rig.at_tick[450] = lambda: hv_seen.append(machine.pin(rig.board.PIN_HV_EN).level)
    assert rig.run(ticks=500) == "stopped"
    app = rig.app
    assert machine.watchdog().timeout_ms == 4000
    assert rig.feeds() == app.ticks == 500
    assert app.ctl.chans[0].ch.state_name() == "RUNNING"
    assert app.hw.pulses.fed[0] > 100
    assert hv_seen == [1]
    assert app.failed is None
    # Stopped from outside while running (a BaseException): main.py's finally
    # took every output pin back as GPIO, low.
    assert R.pins_low(rig.board)


def test_loop_keeps_the_tick_period(pico_rig, monkeypatch):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    assert rig.run(ticks=200) == "stopped"
    assert rig.time.sleeps[:200] == [10] * 200
    assert rig.app.overruns == 0


# -- a train that stops ---------------------------------------------------------------

def test_a_train_that_stops_coming_out_is_cut_and_faulted(pico_rig, monkeypatch):
    # ch1's state machine stops at tick 450 (no instruction issues: the drive
    # of the pulse in progress frozen, as a stalled or desynchronised machine
    # would hold it): the engine still says it is on, the channel RUNNING.
    # Within two 10 ms cycles and the margin the App stops the train, sets 0
    # and faults the channel (ustim.app._stalled).
    from ustim import app as app_mod
    from ustim.core import channel as C
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    for line in ("select 1 tens", "amp 1 10", "start 1"):
        rig.stdin.send(line)
    seen = []

    def look():
        app = rig.app
        ch = app.ctl.chans[0].ch
        seen.append((rig.ticks, ch.state_name(), ch.fault_kind, app.hw.pulses.on[0],
                     app.hw.pulses.fed[0], R.amp_ua(rig.board, 0),
                     machine.pin(rig.board.PIN_HV_EN).level,
                     machine.pin(rig.board.PIN_A[0]).level, machine.pin(rig.board.PIN_B[0]).level))

    def freeze():
        look()
        monkeypatch.setattr(rig.app.hw.pulses._sm[0].ex, "run_until", lambda t_end: None)
        monkeypatch.setattr(R, "drain_pio", lambda: None)   # the rig's stand-in for running

    rig.at_tick[450] = freeze
    for t in range(451, 470):
        rig.at_tick[t] = look
    assert rig.run(ticks=470) == "stopped"
    app = rig.app
    limit_ticks = app_mod.stall_limit_ms(app.ctl.chans[0].out.spec) // 10
    frozen = seen[0]
    assert frozen[1:4] == ("RUNNING", C.FAULT_NONE, True) and frozen[4] > 100
    cut = [s for s in seen if s[1] == "FAULT"]
    assert cut, "still %s after %d ticks without a pulse" % (seen[-1][1], len(seen))
    # The count rose last at the tick that froze it or the next; the bound is
    # passed one tick after it is reached.
    assert cut[0][0] - 450 <= limit_ticks + 2
    # Train stopped and amplitude 0 at once (a pulse pulled before the freeze
    # may count in the stop's last count); HV off from the next tick.
    assert cut[0][1:4] == ("FAULT", C.FAULT_INTERNAL, False)
    assert frozen[4] <= cut[0][4] <= frozen[4] + 1 and cut[0][5] == 0
    assert len(cut) > 2 and all(s[1:] == cut[1][1:] for s in cut[1:]), "it stays off"
    assert cut[1][1:] == cut[0][1:6] + (0, 0, 0)
    assert cut[0][7:] == (0, 0), "both bridge pins low"
    assert "ch1: pulses stopped coming: off" in app.notices
    assert app.failed is None


# -- failures ------------------------------------------------------------------------

def _break_ui_at(rig, monkeypatch, tick):
    from ustim.core.ui import screens
    armed = [True]

    def breaking(real):
        def failing(*args):
            if armed[0] and rig.ticks >= tick - 1:
                raise RuntimeError("injected in the UI")
            return real(*args)
        return failing

    # Both ways the UI draws: a screen part, or the home screen's fields.
    monkeypatch.setattr(screens, "draw_part", breaking(screens.draw_part))
    monkeypatch.setattr(screens, "update_home", breaking(screens.update_home))
    return armed


def test_exception_in_a_tick_turns_outputs_off_records_and_resets(rig, monkeypatch, tmp_path):
    _capture_apps(rig, monkeypatch)
    for line in ("select 1 tens", "amp 1 10", "start 1"):
        rig.stdin.send(line)
    _break_ui_at(rig, monkeypatch, 200)
    assert rig.run() == "reset"
    app = rig.app
    assert app.failed == "RuntimeError: injected in the UI"
    assert machine.state().resets == 1
    # The failing tick fed nothing, and nothing fed the watchdog while the
    # error was shown before the reset.
    assert rig.feeds() == app.ticks - 1
    assert rig.long_sleeps == [(2000, rig.feeds())]
    assert R.outputs_are_off(rig.board)
    assert R.pins_low(rig.board)
    assert not any(app.hw.pulses.running(ch) for ch in range(rig.board.CHANNELS))
    assert (tmp_path / "error.txt").read_bytes() == b"RuntimeError: injected in the UI"


def test_after_the_reset_nothing_resumes_and_the_error_is_shown(rig, monkeypatch, capsys):
    _capture_apps(rig, monkeypatch)
    for line in ("select 1 tens", "select 2 tens", "amp 1 10", "amp 2 10", "start all"):
        rig.stdin.send(line)
    armed = _break_ui_at(rig, monkeypatch, 200)
    running = []
    rig.at_tick[150] = lambda: running.append(rig.app.ctl.chans[0].out.ua)
    assert rig.run() == "reset"
    assert running[0] > 0
    armed[0] = False
    # The watchdog of the old boot: the next boot sees a WDT reset.
    R.fresh_board(rig.board, machine.WDT_RESET)
    rig.ticks = 0
    capsys.readouterr()
    assert rig.run(ticks=300) == "stopped"
    app = rig.app
    b = rig.board
    for c in app.ctl.chans:
        assert c.ch.state_name() == "OFF"
        assert c.ch.target_ua == 0 and c.out.ua == 0
    assert machine.pin(b.PIN_HV_EN).history and set(machine.pin(b.PIN_HV_EN).history) == {0}
    for ch in range(b.CHANNELS):
        assert R.amp_ua(b, ch) == 0
        assert not app.hw.pulses.running(ch)
    if hasattr(b, "PIN_AMP_PWM"):
        for p in b.PIN_AMP_PWM:
            assert set(machine.pwm(p).history) == {0}
    out = capsys.readouterr().out
    assert "reset cause: watchdog" in out
    assert "last error: RuntimeError: injected in the UI" in out
    assert any(n.startswith("Last error: RuntimeError") for n in app.notices)
    assert rig.feeds() == 300


def test_exception_during_boot_records_and_resets(pico_rig, monkeypatch, tmp_path):
    rig = pico_rig
    boot = _capture_apps(rig, monkeypatch)

    def broken_app(*args):
        raise MemoryError("injected at boot")

    monkeypatch.setattr(boot, "App", broken_app)
    assert rig.run() == "reset"
    assert machine.watchdog() is None      # never started: the loop was not reached
    assert R.pins_low(rig.board)
    assert (tmp_path / "error.txt").read_bytes() == b"MemoryError: injected at boot"
    # Shown on the OLED: the error text is in the frame sent to the panel.
    i2c = machine.i2c(rig.board.I2C_ID)
    assert i2c.bytes_written > 1024


def test_same_boot_error_is_not_rewritten(pico_rig, monkeypatch, tmp_path):
    rig = pico_rig
    boot = _capture_apps(rig, monkeypatch)
    monkeypatch.setattr(boot, "App", lambda *a: (_ for _ in ()).throw(MemoryError("again")))
    assert rig.run() == "reset"
    before = (tmp_path / "error.txt").stat().st_mtime_ns
    R.fresh_board(rig.board, machine.HARD_RESET)
    assert rig.run() == "reset"
    # A reset loop does not write the flash at every boot.
    assert (tmp_path / "error.txt").stat().st_mtime_ns == before


def test_bad_board_halts_without_watchdog_or_reset(pico_rig, monkeypatch, tmp_path):
    rig = pico_rig
    bad = types.ModuleType("board")
    for k in dir(pico):
        if k.isupper():
            setattr(bad, k, getattr(pico, k))
    bad.PIN_HV_EN = pico.PIN_BUTTONS[0]     # a button pin as the HV enable
    monkeypatch.setitem(sys.modules, "board", bad)
    assert rig.run() == "returned"
    assert machine.watchdog() is None
    assert machine.state().resets == 0
    text = (tmp_path / "error.txt").read_text()
    assert text.startswith("BoardError:") and "PIN_HV_EN" in text
    assert machine.pin(pico.PIN_BUTTONS[0]).level == 0


def test_current_at_idle_fails_the_self_test(pico_rig, tmp_path):
    rig = pico_rig
    R.install_load(pico, idle_ua=5000)
    assert rig.run() == "returned"
    assert machine.watchdog() is None
    text = (tmp_path / "error.txt").read_text()
    assert text.startswith("SelfTestError:") and "flows with the output off" in text
    assert R.pins_low(pico)


def test_mode_held_at_power_on_is_a_maintenance_boot(pico_rig, monkeypatch):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    machine.Pin(pico.PIN_BUTTONS[1]).drive(0)
    assert rig.run() == "returned"
    assert machine.watchdog() is None
    assert rig.apps == []
    assert R.pins_low(pico)


def test_runs_without_a_display(pico_rig, monkeypatch):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    def no_device(self, addr, buf, stop=True):
        raise OSError(19)   # ENODEV: no acknowledge at the address

    monkeypatch.setattr(machine.I2C, "writeto", no_device)
    for line in ("select 1 tens", "amp 1 10", "start 1"):
        rig.stdin.send(line)
    assert rig.run(ticks=500) == "stopped"
    app = rig.app
    assert app.hw.display is None
    assert app.ctl.chans[0].ch.state_name() == "RUNNING"
    assert rig.feeds() == 500


def test_pio_program_loaded_by_the_self_test(pico_rig, monkeypatch):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    added = []
    monkeypatch.setattr(rp2.PIO, "add_program", lambda self, p: added.append((self.id, p)))
    assert rig.run(ticks=3) == "stopped"
    from ustim.hal.pio_biphasic import biphasic
    assert added == [(0, biphasic)]


def test_full_pio_memory_fails_the_self_test(pico_rig, monkeypatch, tmp_path):
    rig = pico_rig

    def full(self, p):
        raise OSError(12)

    monkeypatch.setattr(rp2.PIO, "add_program", full)
    assert rig.run() == "returned"
    assert "PIO program not loaded" in (tmp_path / "error.txt").read_text()


def test_reset_cause_names():
    from ustim.boot import reset_cause_name
    assert reset_cause_name(machine.PWRON_RESET) == "power-on"
    assert reset_cause_name(machine.WDT_RESET) == "watchdog"
    assert reset_cause_name(machine.HARD_RESET) == "reset pin"
    assert reset_cause_name(machine.DEEPSLEEP_RESET) == "deep sleep wake"
    assert reset_cause_name(machine.SOFT_RESET) == "soft reset"
    assert reset_cause_name(99) == "unknown (99)"


# -- boots the App must survive, and what it must still show ------------------

def test_a_fresh_board_without_settings_boots(pico_rig, monkeypatch, tmp_path):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    (tmp_path / S.FILE_NAME).unlink()
    assert rig.run(ticks=20) == "stopped"
    assert rig.app.failed is None and rig.feeds() == 20


def test_the_reset_cause_is_shown_on_the_screen(pico_rig, monkeypatch):
    rig = pico_rig
    _capture_apps(rig, monkeypatch)
    R.fresh_board(pico, machine.WDT_RESET)
    assert rig.run(ticks=20) == "stopped"
    app = rig.app
    shown = " ".join(app.notices) + " " + app.view.notice
    assert "watchdog" in shown.lower()
