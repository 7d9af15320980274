# The menu state machine driven by button events, on both runtimes: every menu
# path as a key sequence, and the emergency stop from every screen and every
# edit state.
from dualcheck import eq, true
from ustim.core import buttons as B
from ustim.core.ui import menu as M
from ustim.core.ui.view import (NO_PAIN, SET_CONTRAST, SET_DIARY, SET_LEASE, SET_MAX_MA, SET_PAD,
                                SET_SESSION, View)

UP = B.event(B.EV_PRESS, B.B_UP)
UP_REP = B.event(B.EV_REPEAT, B.B_UP)
DOWN = B.event(B.EV_PRESS, B.B_DOWN)
SEL = B.event(B.EV_SHORT, B.B_MODE)
BACK = B.event(B.EV_LONG, B.B_MODE)
STOP = B.event(B.EV_PRESS, B.B_POWER)
POWER_LONG = B.event(B.EV_LONG, B.B_POWER)
MODE_PRESS = B.event(B.EV_PRESS, B.B_MODE)

PROGRAMS = ("Conventional", "Acupuncture-like", "Burst TENS", "Alternate 2/100",
            "Modulated TENS", "NMES quad OA", "NMES post-TKR", "NMES short cycle")


def _view():
    v = View()
    v.programs = PROGRAMS
    return v


def _home(v=None):
    v = v or _view()
    m = M.Menu(0)
    m.key(SEL, v)          # any key leaves the splash
    eq(m.screen, M.S_HOME, "home after splash")
    return m, v


def _keys(m, v, keys):
    """Feed events; returns the list of (action, arg, arg2) that were not none."""
    acts = []
    for ev in keys:
        a = m.key(ev, v)
        if a != M.A_NONE:
            acts.append((a, m.arg, m.arg2))
    return acts


def check_splash_ends_by_key_or_by_time():
    v = _view()
    m = M.Menu(1000)
    m.tick(v, 1000 + M.SPLASH_MS - 1)
    eq(m.screen, M.S_SPLASH, "still splash")
    m.tick(v, 1000 + M.SPLASH_MS)
    eq(m.screen, M.S_HOME, "home after timeout")
    m = M.Menu(0)
    eq(_keys(m, v, (DOWN,)), [], "a key on the splash does nothing else")
    eq(m.screen, M.S_HOME, "home after key")


def check_home_amplitude_and_focus():
    m, v = _home()
    eq(_keys(m, v, (UP, UP_REP, DOWN)),
       [(M.A_UP, 0, 0), (M.A_UP, 0, 0), (M.A_DOWN, 0, 0)], "CH1 steps")
    _keys(m, v, (SEL,))
    eq(m.focus, 1, "focus CH2")
    eq(_keys(m, v, (UP,)), [(M.A_UP, 1, 0)], "CH2 step")
    _keys(m, v, (SEL,))
    eq(m.focus, M.CH_ALL, "focus both")
    eq(_keys(m, v, (DOWN,)), [(M.A_DOWN, M.CH_ALL, 0)], "both step")
    _keys(m, v, (SEL,))
    eq(m.focus, 0, "focus wraps to CH1")
    eq(_keys(m, v, (MODE_PRESS,)), [], "MODE press alone is no key")


def check_main_menu_start_and_stop():
    m, v = _home()
    eq(_keys(m, v, (BACK,)), [], "open menu")
    eq(m.screen, M.S_MENU, "menu")
    eq(_keys(m, v, (SEL,)), [(M.A_START, 0, NO_PAIN)], "start CH1 (no diary: no pain score)")
    eq(m.screen, M.S_HOME, "back home after start")
    _keys(m, v, (SEL, SEL))             # focus both
    eq(_keys(m, v, (BACK, DOWN, SEL)), [(M.A_STOP, M.CH_ALL, 0)], "stop both")
    _keys(m, v, (BACK,))
    _keys(m, v, (BACK,))
    eq(m.screen, M.S_HOME, "menu back goes home")


def check_menu_cursor_clamps_and_scrolls():
    m, v = _home()
    _keys(m, v, (BACK, UP))
    eq(m.cursor, 0, "no move above the first item")
    _keys(m, v, (DOWN,) * 20)
    eq(m.cursor, len(M.MENU_ITEMS) - 1, "stops at the last item")
    true(m.top <= m.cursor < m.top + M.LIST_ROWS, "cursor visible")
    eq(m.top, len(M.MENU_ITEMS) - M.LIST_ROWS, "scrolled")


def check_program_select_path():
    m, v = _home()
    v.program_index[1] = 6
    _keys(m, v, (SEL,))                          # focus CH2
    _keys(m, v, (BACK, DOWN, DOWN, SEL))         # menu > Program
    eq(m.screen, M.S_PROGRAM, "program screen")
    eq(m.cursor, 6, "opens on the channel's program")
    true(m.top <= 6 < m.top + M.LIST_ROWS, "and shows it")
    eq(_keys(m, v, (DOWN, SEL)), [(M.A_PROGRAM, 1, 7)], "select program 8 for CH2")
    eq(m.screen, M.S_HOME, "home after select")
    _keys(m, v, (BACK, DOWN, DOWN, SEL, UP, BACK))
    eq((m.screen, m.cursor), (M.S_MENU, M.M_PROGRAM), "back on the Program item")
    v.programs = ()
    _keys(m, v, (SEL,))
    eq(_keys(m, v, (SEL, DOWN)), [], "no programs: nothing to select")
    eq(m.screen, M.S_PROGRAM, "stays")


def check_timer_path():
    m, v = _home()
    v.timer_min = 30
    _keys(m, v, (BACK, DOWN, DOWN, DOWN, SEL))
    eq(m.screen, M.S_TIMER, "timer screen")
    eq(M.TIMER_CHOICES[m.timer_index], 30, "starts at the current length")
    eq(_keys(m, v, (UP, UP, SEL)), [(M.A_TIMER, 45, 0)], "30 -> 45 min")
    _keys(m, v, (BACK, DOWN, DOWN, DOWN, SEL))
    acts = _keys(m, v, (UP,) * 30 + (SEL,))
    eq(acts, [(M.A_TIMER, 60, 0)], "never above the 60 min cap")
    _keys(m, v, (BACK, DOWN, DOWN, DOWN, SEL))
    eq(_keys(m, v, (DOWN,) * 30 + (SEL,)), [(M.A_TIMER, M.TIMER_CHOICES[0], 0)], "minimum")
    _keys(m, v, (BACK, DOWN, DOWN, DOWN, SEL, BACK))
    eq(m.screen, M.S_MENU, "back cancels")


def _to_settings(m, v):
    _keys(m, v, (BACK,) + (DOWN,) * 4 + (SEL,))
    eq(m.screen, M.S_SETTINGS, "settings screen")


def check_settings_edit_paths():
    m, v = _home()
    v.settings[SET_MAX_MA] = 50
    v.board_max_ma = 60
    _to_settings(m, v)
    _keys(m, v, (SEL,))
    eq(m.screen, M.S_EDIT, "edit max amp")
    eq(M.setting_value(v, SET_MAX_MA, m.edit_index), 50, "starts at the current value")
    acts = _keys(m, v, (UP,) * 10 + (SEL,))
    eq(acts, [(M.A_SETTING, SET_MAX_MA, 60)], "cap never above the board maximum")
    eq((m.screen, m.cursor), (M.S_SETTINGS, SET_MAX_MA), "back on the same line")
    # pad: next size
    v.settings[SET_PAD] = 1
    eq(_keys(m, v, (DOWN, SEL, UP, SEL)), [(M.A_SETTING, SET_PAD, 2)], "pad 5x5 -> 5x9")
    # contrast: down one step from 128
    v.settings[SET_CONTRAST] = 128
    eq(_keys(m, v, (DOWN, SEL, DOWN, SEL)), [(M.A_SETTING, SET_CONTRAST, 96)], "contrast")
    # console and bench toggles
    eq(_keys(m, v, (DOWN, SEL, UP, SEL)), [(M.A_SETTING, 3, 1)], "console on")
    eq(_keys(m, v, (DOWN, SEL, UP, UP, SEL)), [(M.A_SETTING, 4, 1)], "bench on")
    eq(_keys(m, v, (SEL, DOWN, BACK)), [], "edit cancelled by hold")
    eq((m.screen, m.cursor), (M.S_SETTINGS, 4), "cancel keeps the line")
    _keys(m, v, (BACK,))
    eq(m.screen, M.S_MENU, "settings back to menu")


def check_longest_session_setting():
    m, v = _home()
    eq(v.settings[SET_SESSION], 60, "default: the 60-minute cap")
    _to_settings(m, v)
    _keys(m, v, (DOWN,) * SET_SESSION + (SEL,))
    eq((m.screen, m.edit_id), (M.S_EDIT, SET_SESSION), "edit the longest session")
    eq(M.setting_value(v, SET_SESSION, m.edit_index), 60, "starts at the current value")
    eq(_keys(m, v, (DOWN, DOWN, SEL)), [(M.A_SETTING, SET_SESSION, 45)], "60 -> 45 min")
    v.settings[SET_SESSION] = 45
    eq(_keys(m, v, (SEL,) + (UP,) * 20 + (SEL,)), [(M.A_SETTING, SET_SESSION, 60)],
       "at most the 60-minute cap")
    eq(_keys(m, v, (SEL,) + (DOWN,) * 20 + (SEL,)), [(M.A_SETTING, SET_SESSION, 5)],
       "at least 5 min")
    v.settings[SET_SESSION] = 33
    _keys(m, v, (SEL,))
    eq(M.setting_value(v, SET_SESSION, m.edit_index), 30, "33 min shows as 30")


def check_console_lease_setting():
    m, v = _home()
    eq(v.settings[SET_LEASE], 5, "default: 5 s")
    _to_settings(m, v)
    _keys(m, v, (DOWN,) * SET_LEASE)
    eq((m.cursor, m.top), (SET_LEASE, 1), "the last line: the list scrolled by one")
    _keys(m, v, (SEL,))
    eq((m.screen, m.edit_id), (M.S_EDIT, SET_LEASE), "edit the console lease")
    eq(_keys(m, v, (UP, SEL)), [(M.A_SETTING, SET_LEASE, 10)], "5 -> 10 s")
    eq(_keys(m, v, (SEL,) + (UP,) * 20 + (SEL,)), [(M.A_SETTING, SET_LEASE, 60)], "at most 60 s")
    eq(_keys(m, v, (SEL,) + (DOWN,) * 20 + (SEL,)), [(M.A_SETTING, SET_LEASE, 1)], "at least 1 s")
    eq((m.screen, m.cursor, m.top), (M.S_SETTINGS, SET_LEASE, 1), "back on its line")


def check_value_between_choices_rounds_down():
    v = _view()
    v.settings[SET_MAX_MA] = 33
    m, v = _home(v)
    _to_settings(m, v)
    _keys(m, v, (SEL,))
    eq(M.setting_value(v, SET_MAX_MA, m.edit_index), 30, "33 mA shows as 30, not 35")


def check_usage_log_path():
    m, v = _home()
    for i in range(10):
        v.log[i] = "line %d" % i
    v.log_count = 10
    _keys(m, v, (BACK,) + (DOWN,) * 5 + (SEL,))
    eq(m.screen, M.S_LOG, "log screen")
    _keys(m, v, (DOWN,) * 10)
    eq(m.top, 10 - M.LIST_ROWS, "scrolls to the last lines only")
    _keys(m, v, (UP,) * 10)
    eq(m.top, 0, "back to the top")
    _keys(m, v, (SEL,))
    eq((m.screen, m.cursor), (M.S_MENU, M.M_LOG), "MODE leaves the log")


def check_power_off_from_menu_and_long_power():
    m, v = _home()
    eq(_keys(m, v, (BACK,) + (DOWN,) * 6 + (SEL,)), [(M.A_POWER_DOWN, 0, 0)], "menu power off")
    eq(_keys(m, v, (POWER_LONG,)), [(M.A_POWER_DOWN, 0, 0)], "hold POWER")


def check_fault_screen_comes_and_clears():
    m, v = _home()
    _keys(m, v, (BACK, DOWN, DOWN, DOWN, DOWN, SEL, SEL))   # deep in a settings edit
    eq(m.screen, M.S_EDIT, "editing")
    v.fault_kind = 1
    v.fault_ch = 1
    m.tick(v, 100)
    eq(m.screen, M.S_FAULT, "fault interrupts the edit")
    eq(_keys(m, v, (UP, DOWN, BACK)), [], "only clear works")
    eq(_keys(m, v, (SEL,)), [(M.A_CLEAR_FAULT, 1, 0)], "clear CH2")
    m.tick(v, 200)
    eq(m.screen, M.S_FAULT, "stays until the app cleared it")
    v.fault_kind = 0
    m.tick(v, 300)
    eq(m.screen, M.S_HOME, "home after clear")


def check_low_battery_shows_once_per_episode():
    m, v = _home()
    v.battery_pct = 14
    m.tick(v, 0)
    eq(m.screen, M.S_LOW_BATTERY, "low battery")
    _keys(m, v, (SEL,))
    eq(m.screen, M.S_HOME, "acknowledged")
    m.tick(v, 10)
    eq(m.screen, M.S_HOME, "not again at once")
    v.battery_pct = 25
    m.tick(v, 20)
    v.battery_pct = 10
    m.tick(v, 30)
    eq(m.screen, M.S_LOW_BATTERY, "again after recharge and a new drop")


def check_stuck_button_is_reported_from_anywhere():
    m, v = _home()
    for b in range(B.N_BUTTONS):
        eq(_keys(m, v, (B.event(B.EV_STUCK, b),)), [(M.A_STUCK, b, 0)], "stuck %d", b)


def _reach_every_state():
    """(label, menu, view) for every screen, and for the edit of every setting."""
    out = []
    v = _view()
    out.append(("splash", M.Menu(0), v))
    paths = (
        ("home", ()),
        ("menu", (BACK,)),
        ("program", (BACK, DOWN, DOWN, SEL)),
        ("timer", (BACK, DOWN, DOWN, DOWN, SEL)),
        ("settings", (BACK, DOWN, DOWN, DOWN, DOWN, SEL)),
        ("log", (BACK,) + (DOWN,) * 5 + (SEL,)),
    )
    for label, keys in paths:
        m, v = _home()
        _keys(m, v, keys)
        out.append((label, m, v))
    for sid in range(5):
        m, v = _home()
        _keys(m, v, (BACK, DOWN, DOWN, DOWN, DOWN, SEL) + (DOWN,) * sid + (SEL, UP))
        eq(m.screen, M.S_EDIT, "edit %d", sid)
        out.append(("edit", m, v))
    m, v = _home()
    v.fault_kind, v.fault_ch = 3, 0
    m.tick(v, 0)
    out.append(("fault", m, v))
    m, v = _home()
    v.battery_pct = 5
    m.tick(v, 0)
    out.append(("low_battery", m, v))
    m, v = _home()
    v.program_place = (1,) * len(PROGRAMS)
    _keys(m, v, (BACK, DOWN, DOWN, SEL, SEL))
    out.append(("placement", m, v))
    m, v = _home()
    v.settings[SET_DIARY] = 1
    _keys(m, v, (BACK, SEL))
    out.append(("pain", m, v))
    m, v = _home()
    m.remind_skin()
    out.append(("skin", m, v))
    return out


def check_every_screen_is_reached_by_keys():
    seen = set(m.screen for _, m, _ in _reach_every_state())
    eq(len(seen), M.N_SCREENS, "screens reached: %r", seen)


def check_emergency_stop_from_every_screen_and_state():
    for label, m, v in _reach_every_state():
        was_fault = m.screen == M.S_FAULT
        eq(m.key(STOP, v), M.A_STOP_ALL, "stop from %s", label)
        eq(m.arg, M.CH_ALL, "every channel")
        true(M.is_emergency(STOP), "emergency")
        eq(m.screen, M.S_FAULT if was_fault else M.S_HOME, "screen after stop (%s)", label)
        # An unsaved edit was dropped: the next SELECT saves nothing.
        acts = _keys(m, v, (SEL,))
        true(all(a[0] != M.A_SETTING for a in acts), "edit dropped (%s)", label)


def check_table_is_complete():
    eq(len(M.TABLE), M.N_SCREENS, "one row per screen")
    for row in M.TABLE:
        eq(len(row), 4, "one handler per key")
        for h in row:
            true(callable(h), "handler")
