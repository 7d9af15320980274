"""An exception in any part of the control tick, on the device hardware bundle
(ustim.hal.device.DeviceHw over the machine/rp2/esp32 shims): every output off
in that same tick (bridge pins low, amplitude 0, HV off, engine stopped), the
watchdog no longer fed, the error in error.txt; the next boot with the same
flash starts OFF at 0 uA and shows the previous error."""

import json
import sys

import machine
import pytest

import device_rig as R
from boards import esp32_devkitc, pico
from tools.sim.models.flash import MemStorage
from ustim import app as app_mod
from ustim.core import settings as S
from ustim.core.sequencer import Sequencer
from ustim.core.ui import menu as M
from ustim.core.ui import screens
from ustim.core.watchdog import Watchdog
from ustim.hal.device import DeviceHw, find_display
from ustim.hal.stdio_console import StdioConsole


class ListConsole:
    def __init__(self):
        self.inbox = []
        self.out = []

    def read(self):
        return self.inbox.pop(0) if self.inbox else None

    def write(self, text):
        self.out.append(text)


class Bench:
    """One boot of a board: DeviceHw, a started watchdog and the App."""

    def __init__(self, board, storage, cause=machine.PWRON_RESET):
        R.fresh_board(board, cause)
        self.board = board
        self.us = [0]
        self.console = ListConsole()
        self.hw = DeviceHw(board, console=self.console, ticks_us=lambda: self.us[0])
        self.hw.wdt = machine.WDT(timeout=4000)
        self.now = 0
        self.app = app_mod.App(board, self.hw, storage, cause, self.now)

    def tick(self):
        self.now += 10
        self.us[0] = self.now * 1000
        R.drain_pio()
        R.sync_rmt(self)
        return self.app.step(self.now)

    def ticks_us(self):
        return self.us[0]

    def feeds(self):
        return machine.watchdog().feeds

    def start_both(self):
        ctl = self.app.ctl
        # The second program sweeps its rate: its sequencer works every tick
        # (a one-rate program's has nothing to do once running).
        for ch in range(self.board.CHANNELS):
            assert ctl.select(ch, ("tens", "mod")[ch % 2]) is None
            assert ctl.set_amp(ch, 10000) is None
            assert ctl.start(ch) is None
        for _ in range(600):
            assert self.tick()
            if all(c.ch.state_name() == "RUNNING" for c in ctl.chans):
                return
        raise AssertionError("channels never reached RUNNING")


def _storage():
    st = MemStorage()
    s = S.Settings()
    S.save(st, s)
    return st


def _raise(what):
    def fail(*args, **kw):
        raise RuntimeError("injected in " + what)
    return fail


# part -> how to break it (monkeypatch, bench) and the tick it breaks in
PARTS = {
    # Whichever drawing the UI look does next (ui_due -1: the look's second
    # tick, the screen's): a screen part or the home fields.
    "ui render": lambda mp, b: (mp.setattr(screens, "draw_part", _raise("ui render")),
                                mp.setattr(screens, "update_home", _raise("ui render")),
                                setattr(b.app, "ui_due", -1)),
    "console": lambda mp, b: mp.setattr(b.app.console, "poll", _raise("console")),
    "sequencer": lambda mp, b: mp.setattr(Sequencer, "tick", _raise("sequencer")),
    "watchdog": lambda mp, b: mp.setattr(Watchdog, "step", _raise("watchdog")),
    "pulse engine service": lambda mp, b: mp.setattr(b.hw.pulses, "service",
                                                     _raise("pulse engine service")),
    "sense": lambda mp, b: mp.setattr(b.hw.sense, "read", _raise("sense")),
    "buttons": lambda mp, b: mp.setattr(b.hw.buttons, "poll_into", _raise("buttons")),
}
BOARDS = {"pico": pico, "esp32": esp32_devkitc}


def _assert_failed_safe(bench, feeds_before, text):
    b = bench.board
    app = bench.app
    assert app.failed == text
    assert bench.feeds() == feeds_before, "the failing tick fed the watchdog"
    assert R.outputs_are_off(b)
    for ch in range(b.CHANNELS):
        assert not bench.hw.pulses.running(ch)
        assert bench.hw.amp.ua[ch] == 0
    assert machine.pin(b.PIN_HV_EN).level == 0


def _assert_next_boot_is_off(board, storage, text):
    nxt = Bench(board, storage, machine.WDT_RESET)
    app = nxt.app
    for _ in range(300):
        assert nxt.tick()
    for c in app.ctl.chans:
        assert c.ch.state_name() == "OFF"
        assert c.ch.target_ua == 0 and c.out.ua == 0
    for ch in range(board.CHANNELS):
        assert not nxt.hw.pulses.running(ch)
    assert set(machine.pin(board.PIN_HV_EN).history) == {0}
    for p in getattr(board, "PIN_AMP_PWM", ()):
        assert set(machine.pwm(p).history) == {0}
    if text is not None:
        assert "Last error: " + text[:40] in app.notices
    assert app.reset_cause == machine.WDT_RESET
    assert nxt.feeds() == 300


@pytest.mark.parametrize("part", sorted(PARTS))
@pytest.mark.parametrize("board", sorted(BOARDS))
def test_exception_in_a_part_stops_everything_in_the_same_tick(part, board, monkeypatch):
    board = BOARDS[board]
    storage = _storage()
    bench = Bench(board, storage)
    bench.start_both()
    assert machine.pin(board.PIN_HV_EN).level == 1
    feeds = bench.feeds()
    with monkeypatch.context() as mp:
        PARTS[part](mp, bench)
        assert bench.tick() is False
        text = "RuntimeError: injected in " + part
        _assert_failed_safe(bench, feeds, text)
        # A failed App is not stepped again by main.py; if it were, nothing
        # would be fed either: the step fails the same way.
    assert storage.read("error.txt") == text.encode()
    _assert_next_boot_is_off(board, storage, text)


def test_exception_in_storage_while_writing_the_log(monkeypatch):
    storage = _storage()
    bench = Bench(pico, storage)
    bench.start_both()
    feeds = bench.feeds()
    monkeypatch.setattr(storage, "write_at", _raise("storage"))
    monkeypatch.setattr(storage, "write_atomic", _raise("storage"))
    ctl = bench.app.ctl
    ctl.stop(0)
    for _ in range(1000):
        feeds = bench.feeds()
        if not bench.tick():
            break
    else:
        raise AssertionError("the session never ended into the usage log")
    _assert_failed_safe(bench, feeds, "RuntimeError: injected in storage")
    # The flash is what failed: error.txt could not be written either.
    assert storage.read("error.txt") is None
    monkeypatch.undo()
    _assert_next_boot_is_off(pico, storage, None)


def test_a_full_flash_is_a_notice_not_a_failure(monkeypatch):
    storage = _storage()
    bench = Bench(pico, storage)
    bench.start_both()

    def full(*a):
        raise OSError(28)

    monkeypatch.setattr(storage, "write_at", full)
    bench.app.ctl.stop(0)
    for _ in range(600):
        assert bench.tick()
    assert bench.app.failed is None
    assert bench.app.ctl.chans[1].ch.state_name() == "RUNNING"


# -- the bundle's own parts ------------------------------------------------------------

def test_outputs_off_runs_every_step_even_when_one_fails(monkeypatch):
    storage = _storage()
    bench = Bench(pico, storage)
    bench.start_both()
    monkeypatch.setattr(bench.hw.pulses, "stop_all", _raise("engine stop"))
    with pytest.raises(RuntimeError):
        bench.hw.outputs_off()
    assert machine.pin(pico.PIN_HV_EN).level == 0
    assert R.outputs_are_off(pico)


def test_console_reads_only_what_is_there():
    pipe = R.StdinPipe()
    try:
        out = []
        con = StdioConsole(pipe.reader,
                           type("W", (), {"write": lambda s, t: out.append(bytes(t))})())
        assert con.read() is None
        pipe.send("status")
        assert con.read() == b"status\n"
        assert con.read() is None
        pipe.send("x" * 100)
        assert con.read() == b"x" * 64
        assert con.read() == b"x" * 36 + b"\n"
        # Replies wait for the next read, and leave in whole 64-byte blocks.
        con.write("ok\n")
        assert out == []
        assert con.read() is None
        assert out == [b"ok" + b" " * 61 + b"\n"]
    finally:
        pipe.close()


def test_no_oled_means_no_display(monkeypatch):
    R.fresh_board(pico)
    def no_device(self, addr, buf, stop=True):
        raise OSError(19)   # ENODEV: nothing acknowledged the address

    monkeypatch.setattr(machine.I2C, "writeto", no_device)
    assert find_display(pico) is None
    monkeypatch.undo()
    R.fresh_board(pico)
    disp = find_display(pico)
    assert disp is not None
    # The probe is one SSD1306 NOP command to the board's address, before the driver's set-up.
    assert disp.drv.i2c.log[0] == (pico.OLED_ADDR, b"\x00\xe3")


def test_battery_percent_from_the_adc():
    R.fresh_board(pico)
    hw = DeviceHw(pico, console=ListConsole(), display=False, ticks_us=lambda: 0)
    for mv, pct in ((4150, 100), (4400, 100), (3300, 0), (3000, 0), (3725, 50)):
        machine.set_adc(pico.PIN_BATTERY, mv * 65535 // pico.BATTERY_MV_FULL_SCALE)
        assert abs(hw.battery_pct() - pct) <= 1, mv


def test_power_down_sleeps_until_power_is_pressed_then_resets(monkeypatch):
    R.fresh_board(pico)
    clock = R.FakeTime()
    monkeypatch.setitem(sys.modules, "time", clock)
    hw = DeviceHw(pico, console=ListConsole(), display=False, ticks_us=lambda: 0)
    hw.wdt = machine.WDT(timeout=4000)
    power = machine.pin(pico.PIN_BUTTONS[0])
    power.drive(0)                        # still held from the long press
    clock.on_sleep = lambda ms: power.drive(None) if clock.ms >= 500 else None
    sleeps = []

    def lightsleep(ms):
        sleeps.append(ms)
        if len(sleeps) == 5:
            power.drive(0)                # pressed again: wake up

    monkeypatch.setattr(machine, "lightsleep", lightsleep)
    with pytest.raises(machine.ResetCalled):
        hw.power_down()
    assert clock.ms == 500                # waited for the release first
    assert sleeps == [200] * 5
    assert machine.watchdog().feeds == 5


def test_power_held_past_the_release_wait_does_not_wake_the_board(monkeypatch):
    # POWER held 5 s after the power-down, beyond the 2 s awake wait: the board
    # sleeps on; only the press after the release resets it.
    R.fresh_board(pico)
    clock = R.FakeTime()
    monkeypatch.setitem(sys.modules, "time", clock)
    hw = DeviceHw(pico, console=ListConsole(), display=False, ticks_us=lambda: 0)
    power = machine.pin(pico.PIN_BUTTONS[0])
    power.drive(0)
    slept = []

    def lightsleep(ms):
        slept.append(ms)
        t = clock.ms + sum(slept)
        power.drive(0 if t < 5000 or t >= 6000 else None)

    monkeypatch.setattr(machine, "lightsleep", lightsleep)
    with pytest.raises(machine.ResetCalled):
        hw.power_down()
    assert clock.ms == 2000               # the awake wait, all of it: never released
    assert clock.ms + sum(slept) == 6000  # reset at the first look after the new press


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_the_engine_is_fed_before_a_console_reply_in_its_tick(board, monkeypatch):
    # A reply takes milliseconds on the board, more than the pulses left in
    # the FIFO may cover at high rates: the FIFO is topped up first.
    b = Bench(board, _storage())
    b.start_both()
    order = []
    service, poll = b.hw.pulses.service, b.app.console.poll
    monkeypatch.setattr(b.hw.pulses, "service", lambda: order.append("service") or service())
    monkeypatch.setattr(b.app.console, "poll", lambda: order.append("poll") or poll())
    assert b.tick()
    assert order == ["poll", "service"]           # nothing asked: one feed, after
    order.clear()
    b.console.inbox.append(b"status\n")
    assert b.tick()
    assert order == ["service", "service"]        # read: answered in the next tick
    assert not b.console.out
    order.clear()
    assert b.tick()
    assert order == ["service", "poll", "service"]
    assert b.console.out
    assert json.loads(b.console.out[-1])["channels"][0]["state"] == "RUNNING"


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_a_line_is_answered_at_most_a_tick_late(board):
    # A line in every tick (a host that pipelines): each is answered in the
    # tick after the one that read it, whatever that tick reads.
    b = Bench(board, _storage())
    for k in range(6):
        b.console.inbox.append(b"status\n")
        assert b.tick()
        assert len(b.console.out) == k
    for _ in range(6):
        assert b.tick()
    assert len(b.console.out) == 6


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_the_lease_ends_in_a_tick_that_answers_no_line(board, monkeypatch):
    b = Bench(board, _storage())
    con = b.app.console
    ended = []
    monkeypatch.setattr(con, "_lease_over", lambda: ended.append(b.now))
    con.lease(0)
    con._due = b.now + 10
    b.console.inbox.append(b"sta")           # bytes read, no line yet: no answer due
    assert b.tick()
    assert ended == [b.now]


def _heavy_outputs(b):
    """heavy(us): the App's outputs step taking us more of the tick, as a level
    change waiting for its quiet moment would."""
    outputs = b.app._outputs

    def heavy(us):
        def run():
            outputs()
            b.us[0] += us
        return run
    return heavy


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_the_screen_waits_after_a_heavy_start_at_most_its_holds(board, monkeypatch):
    b = Bench(board, _storage())
    b.start_both()
    disp = b.hw.display
    assert disp is not None
    sent = []
    flush = disp.flush
    monkeypatch.setattr(disp, "flush", lambda *a: sent.append(a) or flush(*a))
    used = []
    heavy = _heavy_outputs(b)
    ui = b.app._ui
    monkeypatch.setattr(b.app, "_ui", lambda now, u: used.append(u) or ui(now, u))
    chunk = app_mod.FLUSH_CHUNK_US
    b.app.ui_due = 12           # flush ticks ahead, no look
    monkeypatch.setattr(b.app, "_outputs", heavy(0))
    assert b.tick()
    assert sent == [()] and used[-1] <= app_mod.UI_END_US - 3 * chunk   # light: a whole flush
    for chunks in (2, 1):
        # The chunks that fit before UI_END_US.
        monkeypatch.setattr(b.app, "_outputs", heavy(app_mod.UI_END_US - chunks * chunk))
        assert b.tick()
        assert sent[-1] == (16 * chunks,)
    n = len(sent)
    monkeypatch.setattr(b.app, "_outputs", heavy(app_mod.UI_END_US - chunk + 1))
    assert app_mod.UI_END_US - chunk + 1 > app_mod.UI_FORCE_US
    for _ in range(2 * app_mod.UI_HOLDS):
        assert b.tick()
        assert len(sent) == n                   # no room for a chunk: the screen waits
    assert b.tick()
    assert sent[-1] == (16,)                    # heavy still: one chunk, not none
    assert b.tick()
    assert len(sent) == n + 1                   # and the holds begin again


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_a_drawing_piece_waits_for_room_at_most_its_holds(board, monkeypatch):
    b = Bench(board, _storage())
    b.start_both()
    app = b.app
    outputs = app._outputs
    heavy = _heavy_outputs(b)
    looks = []
    fill = app._fill_view
    monkeypatch.setattr(app, "_fill_view", lambda: looks.append(b.now) or fill())
    monkeypatch.setattr(app, "_outputs", heavy(app_mod.UI_END_US - app_mod.UI_PART_US + 1))
    app.ui_due = 0              # the look is due
    for _ in range(app_mod.UI_HOLDS):
        assert b.tick()
        assert looks == []      # no room for it: it waits
    assert b.tick()
    assert len(looks) == 1      # at most UI_HOLDS ticks, in one under UI_FORCE_US
    monkeypatch.setattr(app, "_outputs", outputs)
    app.ui_due = 0
    assert b.tick()
    assert len(looks) == 2      # with room, in its tick
    monkeypatch.setattr(app, "_outputs", heavy(app_mod.UI_FORCE_US + 1))
    app.ui_due = 0
    for _ in range(2 * app_mod.UI_HOLDS):
        assert b.tick()
        assert len(looks) == 2  # past UI_FORCE_US: twice as long
    assert b.tick()
    assert len(looks) == 3      # then in any tick


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_a_level_change_with_a_long_wait_is_made_at_the_tick_end(board, monkeypatch):
    b = Bench(board, _storage())
    b.start_both()
    amp = b.hw.amp
    order = []
    waits = []
    amp.attach(b.hw.pulses, waits.append)   # as on a board (the host's time has no sleep_us)
    quiet_in, write, ui = amp._quiet_in, amp.write, b.app._ui

    def far(ch, settle):
        w = quiet_in(ch, settle)
        return w if w < 0 else app_mod.LEVEL_NOW_US + 1 + w
    monkeypatch.setattr(amp, "_quiet_in", far)
    monkeypatch.setattr(amp, "write",
                        lambda ch, code: order.append(("write", ch)) or write(ch, code))
    monkeypatch.setattr(b.app, "_ui", lambda *a: order.append("ui") or ui(*a))
    assert b.app.ctl.set_amp(0, 12000) is None
    before = amp.ua[0]
    for _ in range(50):
        order.clear()
        assert b.tick(), b.app.failed
        if ("write", 0) in order:
            break
    assert order.index("ui") < order.index(("write", 0))   # the screen's piece came first
    assert waits and min(waits) > app_mod.LEVEL_NOW_US       # and then the whole wait
    assert amp.ua[0] > before
    assert b.app.ran_ua[0] == amp.ua[0] and not b.app._late


@pytest.mark.parametrize("board", BOARDS.values(), ids=BOARDS.keys())
def test_the_home_screen_update_goes_on_in_the_next_tick_when_time_is_short(board, monkeypatch):
    b = Bench(board, _storage())
    b.start_both()
    app = b.app
    assert app.menu.screen == app._shown == M.S_HOME
    parts = []
    update = screens.update_home

    def slow(fb, m, v, part=-1):
        parts.append((b.now, part))
        b.us[0] += app_mod.UI_PART_US + 1   # each part longer than a tick's share
        return update(fb, m, v, part)
    monkeypatch.setattr(screens, "update_home", slow)
    marks = []
    mark = b.hw.display.mark
    monkeypatch.setattr(b.hw.display, "mark", lambda: marks.append(b.now) or mark())
    app.ui_due = -1
    for _ in range(4):
        assert b.tick()
    ticks = sorted({t for t, _ in parts})
    assert [p for _, p in parts] == list(range(b.board.CHANNELS + 1))
    assert len(ticks) == b.board.CHANNELS + 1       # a part a tick
    assert marks == [ticks[-1]]                     # marked once, complete

