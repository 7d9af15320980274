# The menu state machine: button events in, (screen, cursor) and actions out.
#
# Table-driven: TABLE[screen] holds one handler per menu key (UP, DOWN, SELECT
# = MODE short, BACK = MODE held). A handler changes the menu and returns an
# action code; its arguments are left in menu.arg and menu.arg2 (preallocated
# ints). The app maps actions to channel events and fills the View.
#
# POWER/STOP does not go through the table: its press returns A_STOP_ALL from
# every screen and every edit state (an unsaved edit is dropped), its long
# press A_POWER_DOWN. The app may also act on is_emergency(ev) before calling
# key(): the stop never depends on what the menu is doing.
#
# Key lock: UP and DOWN held together (buttons EV_CHORD) lock every key but
# POWER/STOP, and unlock them again; a locked key returns A_LOCKED (on its
# press only) so the app can say how to unlock. Channel lock (the SET_LOCK
# setting): while both channels ramp or run, UP/DOWN on the home screen act on
# both whatever the focus (each channel still meets its own envelope and slew).
from micropython import const

from ustim.core import buttons as B
from ustim.core.ticks import ticks_diff
from ustim.core.ui.view import (
    BATTERY_LOW_PCT,
    N_SETTINGS,
    NO_PAIN,
    SET_BENCH,
    SET_CONSOLE,
    SET_CONTRAST,
    SET_DIARY,
    SET_LEASE,
    SET_LOCK,
    SET_MAX_MA,
    SET_PAD,
    SET_SESSION,
    SET_SKIN,
)

S_SPLASH = const(0)
S_HOME = const(1)
S_MENU = const(2)
S_PROGRAM = const(3)
S_TIMER = const(4)
S_SETTINGS = const(5)
S_EDIT = const(6)
S_FAULT = const(7)
S_LOG = const(8)
S_LOW_BATTERY = const(9)
S_PLACE = const(10)        # where the pads go for the program just selected
S_PAIN = const(11)         # the diary's pain score, before or after a session
S_SKIN = const(12)         # the skin care reminder: move the pads a little
N_SCREENS = const(13)
SCREEN_NAMES = ("splash", "home", "menu", "program", "timer", "settings", "edit", "fault",
                "log", "low_battery", "placement", "pain", "skin")

K_UP = const(0)
K_DOWN = const(1)
K_SELECT = const(2)
K_BACK = const(3)
K_NONE = const(-1)
KEY_NAMES = ("up", "down", "select", "back")

A_NONE = const(0)
A_STOP_ALL = const(1)      # emergency stop, every channel, output off at once
A_POWER_DOWN = const(2)
A_START = const(3)         # arg: channel or CH_ALL; arg2: pain before (NO_PAIN: none)
A_STOP = const(4)          # arg: channel or CH_ALL (ramped stop)
A_UP = const(5)            # arg: channel or CH_ALL
A_DOWN = const(6)          # arg: channel or CH_ALL
A_PROGRAM = const(7)       # arg: channel or CH_ALL, arg2: index in view.programs
A_TIMER = const(8)         # arg: session minutes
A_SETTING = const(9)       # arg: SET_* id, arg2: value
A_CLEAR_FAULT = const(10)  # arg: channel
A_STUCK = const(11)        # arg: button (ustim.core.buttons B_*)
A_KEYLOCK = const(12)      # the key lock changed: menu.keys_locked says to what
A_LOCKED = const(13)       # a key was pressed while the keys are locked
A_PAIN = const(14)         # arg2: pain after the session (NO_PAIN: skipped)
A_PADS_MOVED = const(15)   # the skin reminder answered: the pads were moved
ACTION_NAMES = ("none", "stop_all", "power_down", "start", "stop", "up", "down", "program",
                "timer", "setting", "clear_fault", "stuck", "keylock", "locked", "pain",
                "pads_moved")

CH_ALL = const(2)
FOCUS_ORDER = (0, 1, CH_ALL)

SPLASH_MS = const(2500)
LIST_ROWS = const(6)       # list lines between the title row and the hint row

MENU_ITEMS = ("Start", "Stop", "Program", "Timer", "Settings", "Usage log", "Power off")
M_START = const(0)
M_STOP = const(1)
M_PROGRAM = const(2)
M_TIMER = const(3)
M_SETTINGS = const(4)
M_LOG = const(5)
M_POWER = const(6)

_MENU_ITEM_OF = ((S_PROGRAM, M_PROGRAM), (S_TIMER, M_TIMER), (S_SETTINGS, M_SETTINGS),
                 (S_LOG, M_LOG))

TIMER_CHOICES = (5, 10, 15, 20, 25, 30, 40, 45, 50, 60)   # minutes; 60 is the hard cap
SETTING_LABELS = ("Max amp", "Pad", "Contrast", "Console", "Bench", "Max time", "Lease",
                  "Ch lock", "Diary", "Skin care")
SETTING_TITLES = ("Max amplitude", "Electrode pad", "Contrast", "Console control",
                  "Bench mode", "Longest session", "Console lease", "Channel lock",
                  "Pain diary", "Move pads after")
MAX_MA_CHOICES = (1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80)
CONTRAST_CHOICES = (0, 32, 64, 96, 128, 160, 192, 224, 255)
LEASE_CHOICES = (1, 2, 3, 5, 10, 15, 20, 30, 45, 60)    # seconds (settings.lease_s: 1-60)
SKIN_CHOICES = (0, 2, 4, 6, 8, 12, 24)    # hours of stimulation on one pad spot (0: off)
PAIN_START = const(5)      # the score the pain screen starts from (middle of 0-10)


def is_emergency(ev):
    return ev == B.event(B.EV_PRESS, B.B_POWER)


def setting_choice_count(view, sid):
    if sid == SET_MAX_MA:
        n = 0
        for v in MAX_MA_CHOICES:
            if v <= view.board_max_ma:
                n += 1
        return n
    if sid == SET_PAD:
        return len(view.pad_names)
    if sid == SET_CONTRAST:
        return len(CONTRAST_CHOICES)
    if sid == SET_SESSION:
        return len(TIMER_CHOICES)
    if sid == SET_LEASE:
        return len(LEASE_CHOICES)
    if sid == SET_SKIN:
        return len(SKIN_CHOICES)
    return 2


def setting_value(view, sid, index):
    if sid == SET_MAX_MA:
        return MAX_MA_CHOICES[index]
    if sid == SET_CONTRAST:
        return CONTRAST_CHOICES[index]
    if sid == SET_SESSION:
        return TIMER_CHOICES[index]
    if sid == SET_LEASE:
        return LEASE_CHOICES[index]
    if sid == SET_SKIN:
        return SKIN_CHOICES[index]
    return index   # pad index, or 0/1 for the on/off settings


def _index_of(view, sid, value):
    # The choice equal to value, else the largest below it (never above a cap).
    best = 0
    for i in range(setting_choice_count(view, sid)):
        if setting_value(view, sid, i) <= value:
            best = i
    return best


class Menu:
    def __init__(self, now_ms=0):
        self.screen = S_SPLASH
        self.focus = 0            # channel UP/DOWN act on: 0, 1 or CH_ALL
        self.cursor = 0
        self.top = 0              # first list line shown
        self.edit_id = 0
        self.edit_index = 0
        self.timer_index = 0
        self.arg = 0
        self.arg2 = 0
        self.battery_acked = False
        self.keys_locked = False
        self.place = 0            # program index the placement screen shows
        self.pain = PAIN_START    # pain score being entered
        self.pain_after = False   # the pain screen asks after a session (else before)
        self.t0 = now_ms
        self.changed = True       # the screen needs drawing

    # -- inputs ----------------------------------------------------------

    def key(self, ev, view, now_ms=0):
        """A button event (ustim.core.buttons). Returns an action code."""
        kind = B.kind_of(ev)
        button = B.button_of(ev)
        self.arg = 0
        self.arg2 = 0
        if button == B.B_POWER:
            if kind == B.EV_PRESS:
                self.arg = CH_ALL
                if self.screen != S_FAULT:
                    self._go(S_HOME)
                return A_STOP_ALL
            if kind == B.EV_LONG:
                return A_POWER_DOWN
            if kind == B.EV_STUCK:
                self.arg = button
                return A_STUCK
            return A_NONE
        if kind == B.EV_STUCK:
            self.arg = button
            return A_STUCK
        if kind == B.EV_CHORD:
            self.keys_locked = not self.keys_locked
            self.changed = True
            return A_KEYLOCK
        if self.keys_locked:
            return A_LOCKED if kind == B.EV_PRESS else A_NONE
        k = _KEYS[ev] if 0 <= ev < len(_KEYS) else K_NONE
        if k == K_NONE:
            return A_NONE
        return self.press(k, view)

    def press(self, k, view):
        """A menu key (K_*) straight into the table."""
        self.arg = 0
        self.arg2 = 0
        self.changed = True
        return TABLE[self.screen][k](self, view)

    def tick(self, view, now_ms):
        """Screens that come by themselves: fault, low battery, splash end."""
        if view.fault_kind:
            if self.screen != S_FAULT:
                self._go(S_FAULT)
            return A_NONE
        if self.screen == S_FAULT:
            self._go(S_HOME)
        if view.battery_pct >= BATTERY_LOW_PCT + 5:
            self.battery_acked = False
        elif (view.battery_pct < BATTERY_LOW_PCT and not self.battery_acked
              and self.screen != S_SPLASH and self.screen != S_LOW_BATTERY
              and self.screen != S_PAIN):
            self._go(S_LOW_BATTERY)
        if self.screen == S_SPLASH and ticks_diff(now_ms, self.t0) >= SPLASH_MS:
            self._go(S_HOME)
        return A_NONE

    def ask_pain_after(self):
        """The diary's question at the end of a session (the app asks)."""
        self._go(S_PAIN)
        self.pain = PAIN_START
        self.pain_after = True

    def remind_skin(self):
        self._go(S_SKIN)

    def _go(self, screen):
        self.screen = screen
        self.cursor = 0
        self.top = 0
        self.changed = True

    def _move(self, n, delta):
        c = self.cursor + delta
        if c < 0 or c >= n:
            return
        self.cursor = c
        if c < self.top:
            self.top = c
        elif c >= self.top + LIST_ROWS:
            self.top = c - LIST_ROWS + 1


# Key codes by buttons event (kind << 2 | button): UP/DOWN press and repeat move,
# MODE short selects, MODE long goes back. Everything else is no menu key.
def _key_map():
    m = [K_NONE] * 24
    for kind in (B.EV_PRESS, B.EV_REPEAT):
        m[kind * 4 + B.B_UP] = K_UP
        m[kind * 4 + B.B_DOWN] = K_DOWN
    m[B.EV_SHORT * 4 + B.B_MODE] = K_SELECT
    m[B.EV_LONG * 4 + B.B_MODE] = K_BACK
    return tuple(m)


_KEYS = _key_map()


# -- handlers: (menu, view) -> action -----------------------------------------

def _nothing(m, v):
    m.changed = False
    return A_NONE


def _to_home(m, v):
    m._go(S_HOME)
    return A_NONE


def _to_menu(m, v):
    # Back from a sub-screen lands on the item that opened it.
    came_from = m.screen
    m._go(S_MENU)
    for screen, item in _MENU_ITEM_OF:
        if screen == came_from:
            while m.cursor < item:
                m._move(len(MENU_ITEMS), 1)
    return A_NONE


def linked(v):
    """Channel lock in force: the setting is on and both channels ramp or run."""
    return v.settings[SET_LOCK] and 2 <= v.state[0] <= 3 and 2 <= v.state[1] <= 3


def _home_up(m, v):
    m.arg = CH_ALL if linked(v) else m.focus
    return A_UP


def _home_down(m, v):
    m.arg = CH_ALL if linked(v) else m.focus
    return A_DOWN


def _home_focus(m, v):
    m.focus = FOCUS_ORDER[(FOCUS_ORDER.index(m.focus) + 1) % len(FOCUS_ORDER)]
    return A_NONE


def _up(m, v):
    m._move(_list_len(m, v), -1)
    return A_NONE


def _down(m, v):
    m._move(_list_len(m, v), 1)
    return A_NONE


def _list_len(m, v):
    s = m.screen
    if s == S_MENU:
        return len(MENU_ITEMS)
    if s == S_PROGRAM:
        return len(v.programs)
    return N_SETTINGS


def log_lines(v):
    return v.log_count if v.log_count < len(v.log) else len(v.log)


def _log_up(m, v):
    if m.top > 0:
        m.top -= 1
    return A_NONE


def _log_down(m, v):
    if m.top + LIST_ROWS < log_lines(v):
        m.top += 1
    return A_NONE


def _menu_select(m, v):
    item = m.cursor
    if item == M_START and v.settings[SET_DIARY]:
        # The diary asks first: the pain screen's answer starts the channels.
        m._go(S_PAIN)
        m.pain = PAIN_START
        m.pain_after = False
        return A_NONE
    if item == M_START or item == M_STOP:
        m.arg = m.focus
        m._go(S_HOME)
        if item == M_STOP:
            return A_STOP
        m.arg2 = NO_PAIN
        return A_START
    if item == M_PROGRAM:
        m._go(S_PROGRAM)
        ch = 0 if m.focus == CH_ALL else m.focus
        sel = v.program_index[ch]
        if 0 <= sel < len(v.programs):
            for _ in range(sel):
                m._move(len(v.programs), 1)
    elif item == M_TIMER:
        m._go(S_TIMER)
        m.timer_index = 0
        for i in range(len(TIMER_CHOICES)):
            if TIMER_CHOICES[i] <= v.timer_min:
                m.timer_index = i
    elif item == M_SETTINGS:
        m._go(S_SETTINGS)
    elif item == M_LOG:
        m._go(S_LOG)
    elif item == M_POWER:
        return A_POWER_DOWN
    return A_NONE


def _program_select(m, v):
    if not v.programs:
        m.changed = False
        return A_NONE
    m.arg = m.focus
    m.arg2 = m.cursor
    place = v.program_place[m.cursor] if m.cursor < len(v.program_place) else 0
    if place:
        m._go(S_PLACE)
        m.place = m.arg2
    else:
        m._go(S_HOME)
    return A_PROGRAM


def _timer_up(m, v):
    if m.timer_index < len(TIMER_CHOICES) - 1:
        m.timer_index += 1
    return A_NONE


def _timer_down(m, v):
    if m.timer_index > 0:
        m.timer_index -= 1
    return A_NONE


def _timer_select(m, v):
    m.arg = TIMER_CHOICES[m.timer_index]
    m._go(S_HOME)
    return A_TIMER


def _settings_select(m, v):
    sid = m.cursor
    m.edit_id = sid
    m.edit_index = _index_of(v, sid, v.settings[sid])
    m.screen = S_EDIT      # keep cursor: back returns to the same line
    return A_NONE


def _back_to_settings(m, v):
    cur, top = m.cursor, m.top
    m._go(S_SETTINGS)
    m.cursor, m.top = cur, top
    return A_NONE


def _edit_up(m, v):
    if m.edit_index < setting_choice_count(v, m.edit_id) - 1:
        m.edit_index += 1
    return A_NONE


def _edit_down(m, v):
    if m.edit_index > 0:
        m.edit_index -= 1
    return A_NONE


def _edit_select(m, v):
    m.arg = m.edit_id
    m.arg2 = setting_value(v, m.edit_id, m.edit_index)
    _back_to_settings(m, v)
    return A_SETTING


def _fault_clear(m, v):
    # The screen stays until the app has cleared the fault (tick() then leaves).
    m.arg = v.fault_ch
    return A_CLEAR_FAULT


def _battery_ack(m, v):
    m.battery_acked = True
    m._go(S_HOME)
    return A_NONE


def _pain_up(m, v):
    if m.pain < 10:
        m.pain += 1
    return A_NONE


def _pain_down(m, v):
    if m.pain > 0:
        m.pain -= 1
    return A_NONE


def _pain_answer(m, v, score):
    m.arg2 = score
    m._go(S_HOME)
    if m.pain_after:
        return A_PAIN
    m.arg = m.focus
    return A_START


def _pain_select(m, v):
    return _pain_answer(m, v, m.pain)


def _pain_skip(m, v):
    return _pain_answer(m, v, NO_PAIN)


def _pads_moved(m, v):
    m._go(S_HOME)
    return A_PADS_MOVED


def _splash_any(m, v):
    m._go(S_HOME)
    return A_NONE


#          UP            DOWN          SELECT             BACK
TABLE = (
    (_splash_any, _splash_any, _splash_any, _splash_any),          # S_SPLASH
    (_home_up, _home_down, _home_focus, _to_menu),                 # S_HOME
    (_up, _down, _menu_select, _to_home),                          # S_MENU
    (_up, _down, _program_select, _to_menu),                       # S_PROGRAM
    (_timer_up, _timer_down, _timer_select, _to_menu),             # S_TIMER
    (_up, _down, _settings_select, _to_menu),                      # S_SETTINGS
    (_edit_up, _edit_down, _edit_select, _back_to_settings),       # S_EDIT
    (_nothing, _nothing, _fault_clear, _nothing),                  # S_FAULT
    (_log_up, _log_down, _to_menu, _to_menu),                      # S_LOG
    (_nothing, _nothing, _battery_ack, _battery_ack),              # S_LOW_BATTERY
    (_nothing, _nothing, _to_home, _to_home),                      # S_PLACE
    (_pain_up, _pain_down, _pain_select, _pain_skip),              # S_PAIN
    (_nothing, _nothing, _pads_moved, _to_home),                   # S_SKIN
)

# Settings the on/off editor shows as "on"/"off" rather than a number.
ON_OFF_SETTINGS = (SET_CONSOLE, SET_BENCH, SET_LOCK, SET_DIARY)
