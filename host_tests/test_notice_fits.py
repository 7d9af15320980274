"""Every notice the firmware can raise fits the OLED: the home screen's bottom
line shows it cut at spaces into at most screens.NOTICE_LINES lines of 16
columns, one after another, no word cut and nothing left out.

The texts are not a list kept here: they come from the firmware's own paths.
The App's notice calls are spied on while the test drives every path that
raises one (boots with each kind of bad settings, programs, usage log, error
file and reset cause; every controller command the buttons reach, in every
channel state; every refusal reason the channel and the electrode check
define, through the controller's own wording; the settings, the session cap,
the flash errors, the console lease). An AST scan of app.py then proves each
notice call in the source was reached, so a new one cannot go untested."""

import ast
import builtins
import json
import sys
from pathlib import Path

import machine
import pytest

import device_rig as R
from boards import pico
from tools.sim.models.flash import MemStorage
from ustim import app as app_mod
from ustim.core import channel as C
from ustim.core import precheck
from ustim.core import settings as S
from ustim.core import usage_log
from ustim.core.crc import crc32
from ustim.core.ui import menu as M
from ustim.core.ui import screens, view
from ustim.hal.device import DeviceHw

APP_SRC = Path(app_mod.__file__)
# Notice calls no input can reach, with why (the scan below names the rest).
UNREACHABLE = {
    # the boot's session cap is min(setting, envelope cap): never refused
    "self._report(self.ctl.set_session_cap(min(self.settings.session_s(), "
    "self.env.max_session_s)))",
    # the cap is a checked setting (1-80 mA) under the envelope's: never refused
    "self._report(self.ctl.set_cap(min(self.settings.max_ua(), self.env.max_peak_ua)))",
    # every pad choice has a positive area
    "self._report(self.ctl.set_area(self.settings.area_mm2()))",
    # STOP is taken in every channel state
    "self._report(ctl.stop(ch))",
    # _report's own notice: counted at each _report call
    "self._notice(refusal[1])",
}


class _Console:
    def read(self):
        return None

    def write(self, text):
        pass


class _FailingStorage(MemStorage):
    """Flash that fails: reads raise `read_error`, writes raise `write_error`."""

    def __init__(self, read_error=None, write_error=None, files=None):
        super().__init__()
        self.files.update(files or {})
        self.read_error = read_error
        self.write_error = write_error

    def read(self, name):
        if self.read_error is not None and name != app_mod.PROGRAMS_FILE:
            raise self.read_error
        return super().read(name)

    def write_atomic(self, name, data):
        if self.write_error is not None:
            raise self.write_error
        super().write_atomic(name, data)

    def write_at(self, name, offset, data):
        if self.write_error is not None:
            raise self.write_error
        super().write_at(name, offset, data)


class Spy:
    """What each notice call of app.py put on the view, by call line."""

    def __init__(self, monkeypatch):
        self.shown = {}      # app.py line -> texts
        notice = app_mod.App._notice
        report = app_mod.App._report
        spy = self

        def _notice(app, text, short=None):
            spy._seen(sys._getframe(1), short or text)
            notice(app, text, short)

        def _report(app, refusal):
            spy._seen(sys._getframe(1), refusal[1] if refusal is not None else None)
            report(app, refusal)

        monkeypatch.setattr(app_mod.App, "_notice", _notice)
        monkeypatch.setattr(app_mod.App, "_report", _report)

    def _seen(self, frame, text):
        code = frame.f_code
        if code.co_filename == str(APP_SRC):
            if code.co_name == "_report":
                return      # _report's own _notice: counted at _report's caller
            where = frame.f_lineno
        else:
            where = code.co_name     # this test's sweep of the refusal reasons
        if text:
            self.shown.setdefault(where, set()).add(text)

    def texts(self):
        out = set()
        for t in self.shown.values():
            out |= t
        return out


def boot(storage=None, cause=machine.PWRON_RESET):
    R.fresh_board(pico, cause)
    hw = DeviceHw(pico, console=_Console(), ticks_us=lambda: 0)
    return app_mod.App(pico, hw, storage if storage is not None else MemStorage(), cause, 0)


def _settings_file(obj):
    body = json.dumps(obj).encode()[:-1]
    return body + b', "crc": ' + ("%d}" % crc32(body)).encode()


def _good_settings():
    return {name: getattr(S.Settings(), name) for name, *_ in S.FIELDS}


def _boots():
    """Every boot that says something: settings, programs, log, error, reset."""
    yield MemStorage(), machine.PWRON_RESET
    for data in (b"\xff\x00", b"[1]", json.dumps(_good_settings()).encode(),
                 _settings_file(dict(_good_settings(), version=99)),
                 _settings_file(_good_settings())[:-3] + b"1}"):
        st = MemStorage()
        st.files[S.FILE_NAME] = bytearray(data)
        yield st, machine.PWRON_RESET
    for name, *_ in S.FIELDS:
        for obj in (dict(_good_settings(), **{name: "bad"}),
                    {k: v for k, v in _good_settings().items() if k != name}):
            st = MemStorage()
            st.files[S.FILE_NAME] = bytearray(_settings_file(obj))
            yield st, machine.PWRON_RESET
    yield _FailingStorage(read_error=OSError(5)), machine.PWRON_RESET
    yield _FailingStorage(read_error=ValueError("x")), machine.PWRON_RESET
    # usage log: damaged records, and flash too full to make the ring full size
    st = MemStorage()
    st.files[usage_log.FILE_NAME] = bytearray(b"\x01" * usage_log.RECORD_SIZE * 3)
    yield st, machine.PWRON_RESET
    yield _FailingStorage(write_error=OSError(28)), machine.PWRON_RESET
    # the previous run's error, for every exception type a run can end with
    for exc in vars(builtins).values():
        if isinstance(exc, type) and issubclass(exc, BaseException):
            st = MemStorage()
            st.files[app_mod.ERROR_FILE] = bytearray(
                ("%s: %s" % (exc.__name__, "x" * 40)).encode())
            yield st, machine.PWRON_RESET
    for cause in sorted({getattr(machine, n) for n, _ in app_mod._CAUSES
                         if hasattr(machine, n)} | {12345}):
        yield MemStorage(), cause
    st = MemStorage()
    st.files[app_mod.PROGRAMS_FILE] = bytearray(_bad_programs())
    yield st, machine.PWRON_RESET
    for data in (b"{", b'{"programs": 1}', b" " * 20000):
        st = MemStorage()
        st.files[app_mod.PROGRAMS_FILE] = bytearray(data)
        yield st, machine.PWRON_RESET


def _bad_programs():
    """programs.json entries refused for each field, with the longest ids."""
    good = {"id": "abcdefgh", "name": "N", "kind": "TENS", "freq_hz": 100, "phase_us": 200}
    entries = [dict(good, **{"y" * 40: 1}), dict(good, id="x" * 9), dict(good, name="n" * 17),
               dict(good, kind="x"), dict(good, freq_hz=1000), dict(good, phase_us=1),
               dict(good, gap_us=500), dict(good, burst_hz=2), dict(good, ramp_s=2),
               dict(good, on_s=0, off_s=1), dict(good, kind="EMS", on_s=5, off_s=5,
                                                 ramp_up_s=4, ramp_down_s=4),
               {"id": 9999}, "text", dict(good, minutes=1000), dict(good, sweep_hz="1")]
    entries += [dict(good, id="p%d" % i) for i in range(40)]
    return json.dumps({"programs": entries}).encode()


def _sweep_commands(app):
    """Every button action on each channel in each state, and each refusal
    reason of the channel and the electrode check through the controller."""
    ctl = app.ctl
    reasons = [getattr(C, n) for n in dir(C) if n.startswith("R_")]
    reasons += [getattr(precheck, n) for n in dir(precheck) if n.startswith("R_")]
    actions = (M.A_START, M.A_STOP, M.A_UP, M.A_DOWN, M.A_PROGRAM, M.A_CLEAR_FAULT)
    for prog in (None, ctl.programs[0]):
        for state in range(C.N_STATES):
            for ch in range(len(ctl.chans)):
                c = ctl.chans[ch]
                c.program = prog
                c.ch.state = state
                c.max_ua = 80000
                for action in actions:
                    app.menu.arg = ch
                    app.menu.arg2 = len(ctl.programs) - 1
                    c.ch.state = state
                    app._act(action)
                for r in reasons:
                    c.ch.state = state
                    app._report(ctl._refused(c, r))
                c.ch.state = C.ARMED
                for r in reasons:
                    app._guard_event(ch, C.CHECK_FAIL, r)
                    c.ch.state = C.ARMED
                c.ch.state = C.OFF
    for minutes in M.TIMER_CHOICES + (0, 61, 1000):
        app.menu.arg = minutes
        app._act(M.A_TIMER)
    app._act(M.A_STUCK)


def _sweep_settings(app):
    for sid in range(view.N_SETTINGS):
        for value in (0, 1, 10 ** 6, -1):
            if sid == view.SET_PAD and not 0 <= value < len(S.PAD_CHOICES):
                continue
            app._setting(sid, value)
    app.ctl.env.max_session_s = 1800
    app._setting(view.SET_SESSION, 60)
    for err in (OSError(28), OSError(5), OSError()):
        app.storage = app.log.storage = _FailingStorage(write_error=err)
        app._setting(view.SET_CONTRAST, 100)
        app.log.opened = False
        app.ctl.finished.append((0, 1, 60, 10000, 9000, 100, 0, usage_log.END_TIMER))
        app._write_log(60000)


def _sweep_console(app):
    # The lease: a channel the console started, with no line since.
    app.settings.console = True
    app.console.lease_ms = 10
    for ch in range(len(app.ctl.chans)):
        c = app.ctl.chans[ch]
        c.ch.state = C.OFF
        assert app.ctl.select_program(ch, app.ctl.programs[0]) is None
        assert app.ctl.start(ch) is None
        app.console.lease(ch)
    app.console.last_ms = -10 ** 6
    app.console._lease_over()


def _sweep_knee(app):
    # Key lock, the battery stop, and the diary's and skin reminder's amends
    # of a record no longer in the log.
    for locked in (True, False):
        app.menu.keys_locked = locked
        app._act(M.A_KEYLOCK)
    app._act(M.A_LOCKED)
    ctl = app.ctl
    assert ctl.select_program(0, ctl.programs[0]) is None
    assert ctl.start(0) is None
    app.hw.battery_pct = lambda: 2
    app._bat_due = 0
    app._fill_view()
    app._ask_after = [999]
    app._pain_after(5)
    app._skin = 1
    app.log.last_seq[0] = 999
    app._pads_moved()


def _sweep_stall(app):
    # A running channel's train that stopped coming out (test_main_boot drives
    # it through a frozen state machine).
    ctl = app.ctl
    assert ctl.select_program(1, ctl.programs[0]) is None
    assert ctl.start(1) is None
    app._stalled(1)


@pytest.fixture(scope="module")
def harvest():
    mp = pytest.MonkeyPatch()
    try:
        spy = Spy(mp)
        for storage, cause in _boots():
            boot(storage, cause)
        app = boot()
        _sweep_commands(app)
        _sweep_console(boot())
        _sweep_settings(boot())
        _sweep_knee(boot())
        _sweep_stall(boot())
        yield spy
    finally:
        mp.undo()


def _notice_calls():
    """(line, source) of every notice call in app.py."""
    src = APP_SRC.read_text()
    out = []
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("_notice", "_report")
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
            out.append((node.lineno, ast.get_source_segment(src, node)))
    return out


def fits(text):
    lines = screens.wrap(text)
    return (all(len(line) <= screens.COLS for line in lines)
            and " ".join(lines) == " ".join(text.split()))


def test_every_notice_call_in_the_app_is_reached(harvest):
    calls = _notice_calls()
    assert len(calls) > 15
    missed = [src for line, src in calls
              if line not in harvest.shown and " ".join(src.split()) not in UNREACHABLE]
    assert not missed, "notice paths this test does not reach: %s" % missed


def test_every_notice_fits_the_screen(harvest):
    texts = harvest.texts()
    assert len(texts) > 100, len(texts)
    # Texts with a word over a line are only the error types on the next boot.
    long_words = {t for t in texts if max(len(w) for w in t.split()) > screens.COLS}
    assert all(t.startswith("Last error: ") for t in long_words), long_words
    bad = [(t, screens.wrap(t)) for t in sorted(texts - long_words) if not fits(t)]
    assert not bad, bad
    for t in long_words:
        lines = screens.wrap(t)
        assert all(len(line) <= screens.COLS for line in lines)
        assert "".join(lines).replace(" ", "") == t.replace(" ", ""), (t, lines)


def test_the_refused_up_reaches_the_user(harvest):
    # The case that was cut to "channel 1: elect": every word is on the screen.
    text = "channel 1: %s (RUNNING)" % C.R_HIGH_Z
    assert text in harvest.texts()
    assert fits(text)


@pytest.mark.parametrize("text,lines", [
    ("", ()),
    ("Button stuck: ignored", ("Button stuck:", "ignored")),
    ("exactly sixteen!", ("exactly sixteen!",)),
    ("a" * 20, ("a" * 16, "aaaa")),
    ("  two  spaces  ", ("two  spaces",)),
])
def test_wrap(text, lines):
    assert screens.wrap(text) == lines


def test_a_notice_beyond_the_lines_is_cut_not_overflowing():
    lines = screens.wrap("word " * 40)
    assert len(lines) == screens.NOTICE_LINES
    assert all(len(line) <= screens.COLS for line in lines)


def test_the_home_screen_shows_each_line_in_turn():
    # The bottom row over the UI looks of a refused UP: each line for
    # NOTICE_LOOKS looks, then the next, then round again.
    import framebuf
    from oled_text import frame_lines

    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    m = M.Menu()
    m.screen = M.S_HOME
    v = view.View()
    v.notice = "channel 1: %s (RUNNING)" % C.R_HIGH_Z
    screens.draw(fb, m, v)
    rows = [frame_lines(buf)[7]]
    for _ in range(5 * screens.NOTICE_LOOKS):
        screens.update_home(fb, m, v)
        rows.append(frame_lines(buf)[7])
    want = ["channel 1:", "impedance high:", "increase blocked", "(RUNNING)", "channel 1:"]
    shown = [rows[0]] + [rows[k] for k in range(1, len(rows)) if rows[k] != rows[k - 1]]
    assert [r.rstrip() for r in shown[:5]] == want
    # Each stays its full time (the first also on the drawing that showed it).
    changes = [k for k in range(1, len(rows)) if rows[k] != rows[k - 1]]
    gaps = {changes[k + 1] - changes[k] for k in range(len(changes) - 1)}
    assert gaps == {screens.NOTICE_LOOKS}
    # A new notice starts from its first line; no notice: the menu hint.
    v.notice = "Button stuck: ignored"
    screens.update_home(fb, m, v)
    assert frame_lines(buf)[7].rstrip() == "Button stuck:"
    v.notice = ""
    screens.update_home(fb, m, v)
    assert frame_lines(buf)[7].rstrip() == screens.HINT_HOME
