# Every screen, drawn onto a framebuf.FrameBuffer-compatible object (128x64,
# 8x8 font: 16 columns x 8 rows). draw(fb, menu, view) draws the menu's screen.
#
# Core code: only FrameBuffer methods are used, so the same drawing runs on the
# device, on CPython (tools/shims/framebuf.py) and in the tests against the real
# framebuf. Numbers are drawn digit by digit from preallocated strings, so the
# home screen, redrawn while stimulating, allocates nothing for them.
#
# A full drawing costs 1.5-4 ms of an RP2040, too much for one control tick
# beside the rest: the device draws a screen in parts, one per tick
# (draw_part), on a frame cleared beforehand. The home screen, the one shown
# while stimulating, is made of fields that remember what they show
# (view.drawn): update_home() redraws only the fields whose values changed.
from micropython import const

from ustim.core.ui import menu as M
from ustim.core.ui.view import (CHANNELS, ELECTRODE_CHARS, HOME_FIELDS, N_SETTINGS, SET_LEASE,
                                SET_MAX_MA, SET_PAD, SET_SESSION, SET_SKIN, STATE_LABELS)

W = const(128)
H = const(64)
COLS = const(16)
ROWS = const(8)

_DIGITS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
_BAR_X = const(52)
_BAR_W = const(76)

SAFETY_LINE = "Never head/chest"   # the splash's one-line reminder (docs/safety-limits.md)
HINT_LIST = "MODE:ok hold:esc"
HINT_HOME = "hold MODE: menu"
HINT_KEYS_LOCKED = "UP+DN 2s:unlock"   # the keys are locked: how to unlock them
LINKED = "1+2"                        # channel lock in force (view.linked)

# A notice longer than a line is cut at spaces into at most NOTICE_LINES
# lines, shown in turn on the home screen's bottom line, each for NOTICE_LOOKS
# UI looks (100 ms each): 1.5 s a line, a 4-line reason read in 6 s.
NOTICE_LINES = const(4)
NOTICE_LOOKS = const(15)

# What happened / what to do, by ustim.core.channel fault kind (2 lines each).
FAULT_WHAT = ("", "Electrode off", "Leads shorted", "Over-current", "Sense failure",
              "Internal error")
FAULT_DO = (("", ""),
            ("Press pad down,", "check the lead"),
            ("Pads too close?", "Check the lead"),
            ("Check pads, lead", "then lower amp"),
            ("Restart device;", "if again: stop"),
            ("Restart device;", "if again: stop"))


# -- drawing helpers --------------------------------------------------------

def text(fb, s, col, row, c=1):
    fb.text(s, col * 8, row * 8, c)


def num(fb, value, col, row, width, zero_pad=False, c=1):
    """value right-aligned in `width` columns ending before col + width."""
    x = (col + width - 1) * 8
    y = row * 8
    if value < 0:
        value = 0
    n = 0
    while n < width:
        if n and value == 0 and not zero_pad:
            break
        fb.text(_DIGITS[value % 10], x, y, c)
        value //= 10
        x -= 8
        n += 1


def amp_ma(fb, ua, col, row):
    """ua as mA with one decimal: 'dd.dmA', 6 columns."""
    if ua < 0:
        ua = 0
    num(fb, ua // 1000, col, row, 2)
    text(fb, ".", col + 2, row)
    text(fb, _DIGITS[ua % 1000 // 100], col + 3, row)
    text(fb, "mA", col + 4, row)


def title(fb, s):
    fb.fill_rect(0, 0, W, 8, 1)
    text(fb, s, 0, 0, 0)


def hint(fb, s):
    text(fb, s, 0, ROWS - 1)


def right(fb, s, row, end_col=COLS, c=1):
    text(fb, s, end_col - len(s), row, c)


def bar(fb, row, level, target, full):
    y = row * 8
    fb.rect(_BAR_X, y, _BAR_W, 7, 1)
    if full <= 0:
        return
    inner = _BAR_W - 2
    if level > full:
        level = full
    if target > full:
        target = full
    fb.fill_rect(_BAR_X + 1, y + 1, inner * level // full, 5, 1)
    # The target as a tick through the bar: seen while the level ramps to it.
    fb.vline(_BAR_X + 1 + (inner - 1) * target // full, y, 7, 1)


def battery(fb, x, y, pct):
    """A 15x7 battery icon at (x, y), filled in proportion to pct."""
    if pct < 0:
        pct = 0
    elif pct > 100:
        pct = 100
    fb.rect(x, y, 13, 7, 1)
    fb.fill_rect(x + 13, y + 2, 2, 3, 1)
    fb.fill_rect(x + 2, y + 2, (9 * pct + 50) // 100, 3, 1)


def _channel_label(fb, focus, row, c=1):
    # Right-aligned: "both" or "CH1".
    if focus == M.CH_ALL:
        text(fb, "both", COLS - 4, row, c)
    else:
        text(fb, "CH", COLS - 3, row, c)
        text(fb, _DIGITS[focus + 1], COLS - 1, row, c)


# -- screens ------------------------------------------------------------------

def splash(fb, m, v, part=0):
    title(fb, " uStim TENS/EMS ")
    text(fb, "2 channels", 0, 2)
    text(fb, v.version, 0, 3)
    text(fb, SAFETY_LINE, 0, 5)
    hint(fb, "MODE: continue")
    return True


# Home screen fields. view.drawn holds what each field shows, None when the
# frame was cleared (then nothing needs erasing first). Per channel, at
# _CH_SLOTS * ch: focus mark, state, electrode, program, target, level, max.
_CH_SLOTS = const(7)
_T_SLOT = const(14)          # remaining time, battery, hint line, link (HOME_FIELDS in all)


def _home_channel(fb, m, v, ch):
    # Each field compares its slot with what it would show (a value equal to
    # itself or None: drawn anew) and redraws only on a difference; the checks
    # are written out, a helper call per field would cost more than the field.
    d = v.drawn
    b = ch * _CH_SLOTS
    row = ch * 3
    y = row * 8
    clean = d[b] is None
    if clean:
        text(fb, _DIGITS[ch + 1], 1, row)
    mark = m.focus == ch or m.focus == M.CH_ALL or v.linked
    if d[b] != mark:
        d[b] = mark
        if not clean:
            fb.fill_rect(0, y, 8, 8, 0)
        if mark:
            text(fb, ">", 0, row)
    st = v.state[ch]
    if d[b + 1] != st:
        d[b + 1] = st
        if not clean:
            fb.fill_rect(24, y, 48, 8, 0)
        text(fb, STATE_LABELS[st] if 0 <= st < len(STATE_LABELS) else "?", 3, row)
    e = v.electrode[ch]
    if d[b + 2] != e:
        d[b + 2] = e
        if not clean:
            fb.fill_rect(W - ELECTRODE_CHARS * 8, y, ELECTRODE_CHARS * 8, 8, 0)
        right(fb, e[:ELECTRODE_CHARS] if len(e) > ELECTRODE_CHARS else e, row)
    p = v.program[ch]
    if d[b + 3] != p:
        d[b + 3] = p
        if not clean:
            fb.fill_rect(0, y + 8, W, 8, 0)
        text(fb, p, 0, row + 1)
    target = v.target_ua[ch]
    level = v.level_ua[ch]
    full = v.max_ua[ch]
    redraw_bar = False
    if d[b + 4] != target:
        d[b + 4] = target
        if not clean:
            fb.fill_rect(0, y + 16, 48, 8, 0)
        amp_ma(fb, target, 0, row + 2)
        redraw_bar = True            # the bar shows the target too
    if d[b + 5] != level or d[b + 6] != full or redraw_bar:
        d[b + 5] = level
        d[b + 6] = full
        if not clean:
            fb.fill_rect(_BAR_X + 1, y + 17, _BAR_W - 2, 5, 0)
        bar(fb, row + 2, level, target, full)


def _home_bottom(fb, m, v):
    d = v.drawn
    clean = d[_T_SLOT] is None
    s = v.remaining_s
    if d[_T_SLOT] != s:
        d[_T_SLOT] = s
        if not clean:
            fb.fill_rect(0, 48, 40, 8, 0)
        if s > 0:
            num(fb, s // 60, 0, 6, 2)
            text(fb, ":", 2, 6)
            num(fb, s % 60, 3, 6, 2, True)
        else:
            text(fb, "--:--", 0, 6)
    pct = v.battery_pct
    if d[_T_SLOT + 1] != pct:
        d[_T_SLOT + 1] = pct
        if not clean:
            fb.fill_rect(78, 48, W - 78, 8, 0)
        battery(fb, 78, 49, pct)
        num(fb, pct, 12, 6, 3)
        text(fb, "%", 15, 6)
    note = v.notice
    if not note:
        line = HINT_KEYS_LOCKED if m.keys_locked else HINT_HOME
    else:
        # Cut into lines once per notice (post_notice; here, an identity test
        # per look); then only a count per look, and a redraw when the next
        # line is due.
        if note is not v.notice_text:
            post_notice(v, note)
        lines = v.notice_lines
        if len(lines) > 1:
            v.notice_looks += 1
            if v.notice_looks >= NOTICE_LOOKS:
                v.notice_looks = 0
                v.notice_at = (v.notice_at + 1) % len(lines)
        line = lines[v.notice_at] if lines else HINT_HOME
    if d[_T_SLOT + 2] != line:
        d[_T_SLOT + 2] = line
        if not clean:
            fb.fill_rect(0, 56, W, 8, 0)
        hint(fb, line)
    link = v.linked
    if d[_T_SLOT + 3] != link:
        d[_T_SLOT + 3] = link
        # Between the time (columns 0-4) and the battery icon (x 78).
        if not clean:
            fb.fill_rect(48, 48, 24, 8, 0)
        if link:
            text(fb, LINKED, 6, 6)


def wrap(s, cols=COLS):
    """s cut at spaces into lines of at most `cols` characters (a word longer
    than a line is cut), at most NOTICE_LINES of them; what does not fit is
    left out (host_tests/test_notice_fits.py keeps every notice within)."""
    out = []
    n = len(s)
    i = 0
    while len(out) < NOTICE_LINES:
        while i < n and s[i] == " ":
            i += 1
        if i >= n:
            break
        end = i + cols
        if end >= n:
            out.append(s[i:].rstrip())
            break
        j = s.rfind(" ", i, end + 1)
        if j <= i:
            j = end
        out.append(s[i:j].rstrip())
        i = j
    return tuple(out)


def post_notice(v, note):
    """The home screen's notice set and cut into lines now: cutting makes strings,
    which the event that posts a notice may allocate, not a later tick."""
    v.notice = note
    v.notice_text = note
    v.notice_lines = wrap(note)
    v.notice_at = 0
    v.notice_looks = 0


def home(fb, m, v, part=0):
    """One part of the home screen: channel 1, channel 2, the bottom rows.
    Returns True when the last part is drawn."""
    if part < CHANNELS:
        _home_channel(fb, m, v, part)
        return False
    _home_bottom(fb, m, v)
    return True


def forget_home(v):
    """The frame was cleared: every home field has to be drawn afresh."""
    d = v.drawn
    for i in range(HOME_FIELDS):
        d[i] = None


def update_home(fb, m, v, part=-1):
    """Redraw the home fields that changed since they were drawn: those of
    one part (as home()'s; True after the last), or with part -1 all of them.
    A part takes up to 1.5 ms on an RP2040: the App goes on to the next one
    while its tick has time, else in the next tick."""
    if part >= 0:
        return home(fb, m, v, part)
    for ch in range(CHANNELS):
        _home_channel(fb, m, v, ch)
    _home_bottom(fb, m, v)
    return True


def _list(fb, m, names, n, first, last):
    # List lines first..last-1 (0..LIST_ROWS) of a list screen.
    for i in range(first, last):
        k = m.top + i
        if k >= n:
            break
        row = 1 + i
        # Full width for 16-character names; the cursor line is inverted.
        if k == m.cursor:
            fb.fill_rect(0, row * 8, W, 8, 1)
            text(fb, names[k], 0, row, 0)
        else:
            text(fb, names[k], 0, row)


_HALF = const(3)     # list screens are drawn in two parts: lines 0-2, then 3-5


def main_menu(fb, m, v, part=0):
    if part == 0:
        title(fb, "Menu")
        _channel_label(fb, m.focus, 0, 0)
        _list(fb, m, M.MENU_ITEMS, len(M.MENU_ITEMS), 0, _HALF)
        return False
    _list(fb, m, M.MENU_ITEMS, len(M.MENU_ITEMS), _HALF, M.LIST_ROWS)
    hint(fb, HINT_LIST)
    return True


def program(fb, m, v, part=0):
    if part == 0:
        title(fb, "Program")
        _channel_label(fb, m.focus, 0, 0)
        if v.programs:
            _list(fb, m, v.programs, len(v.programs), 0, _HALF)
        else:
            text(fb, "(none)", 1, 2)
        return False
    _list(fb, m, v.programs, len(v.programs), _HALF, M.LIST_ROWS)
    hint(fb, HINT_LIST)
    return True


def timer(fb, m, v, part=0):
    title(fb, "Session timer")
    num(fb, M.TIMER_CHOICES[m.timer_index], 4, 3, 2)
    text(fb, "min", 7, 3)
    text(fb, "UP/DOWN: change", 0, 5)
    hint(fb, HINT_LIST)
    return True


def _setting_value(fb, v, sid, value, row, end_col=COLS, c=1):
    if sid == SET_MAX_MA:
        num(fb, value, end_col - 4, row, 2, False, c)
        text(fb, "mA", end_col - 2, row, c)
    elif sid == SET_PAD:
        name = v.pad_names[value] if 0 <= value < len(v.pad_names) else "?"
        right(fb, name, row, end_col, c)
    elif sid == SET_SESSION:
        num(fb, value, end_col - 5, row, 2, False, c)
        text(fb, "min", end_col - 3, row, c)
    elif sid == SET_LEASE:
        num(fb, value, end_col - 4, row, 2, False, c)
        text(fb, "s", end_col - 1, row, c)
    elif sid == SET_SKIN:
        if value:
            num(fb, value, end_col - 3, row, 2, False, c)
            text(fb, "h", end_col - 1, row, c)
        else:
            right(fb, "off", row, end_col, c)
    elif sid in M.ON_OFF_SETTINGS:
        right(fb, "on" if value else "off", row, end_col, c)
    else:
        num(fb, value, end_col - 3, row, 3, False, c)


def settings(fb, m, v, part=0):
    if part == 0:
        title(fb, "Settings")
    n = len(M.SETTING_LABELS)
    for i in range(0, _HALF) if part == 0 else range(_HALF, M.LIST_ROWS):
        k = m.top + i
        if k >= n:
            break
        row = 1 + i
        c = 1
        if k == m.cursor:
            fb.fill_rect(0, row * 8, W, 8, 1)
            c = 0
        text(fb, M.SETTING_LABELS[k], 1, row, c)
        _setting_value(fb, v, k, v.settings[k], row, COLS, c)
    if part == 0:
        return False
    hint(fb, HINT_LIST)
    return True


def edit(fb, m, v, part=0):
    sid = m.edit_id
    title(fb, M.SETTING_TITLES[sid])
    value = M.setting_value(v, sid, m.edit_index)
    text(fb, "<", 3, 3)
    _setting_value(fb, v, sid, value, 3, 11)
    text(fb, ">", 12, 3)
    text(fb, "now:", 0, 5)
    _setting_value(fb, v, sid, v.settings[sid], 5, 10)
    hint(fb, "MODE:set hold:x")
    return True


def fault(fb, m, v, part=0):
    title(fb, "FAULT")
    text(fb, "CH", 11, 0, 0)
    text(fb, _DIGITS[v.fault_ch + 1] if 0 <= v.fault_ch < CHANNELS else "?", 13, 0, 0)
    k = v.fault_kind if 0 <= v.fault_kind < len(FAULT_WHAT) else len(FAULT_WHAT) - 1
    text(fb, FAULT_WHAT[k], 0, 2)
    text(fb, FAULT_DO[k][0], 0, 3)
    text(fb, FAULT_DO[k][1], 0, 4)
    text(fb, "Output is off", 0, 5)
    hint(fb, "MODE: clear")
    return True


def log(fb, m, v, part=0):
    n = M.log_lines(v)
    if part == 0:
        title(fb, "Usage log")
        if n == 0:
            text(fb, "(empty)", 1, 2)
    for i in range(0, _HALF) if part == 0 else range(_HALF, M.LIST_ROWS):
        k = m.top + i
        if k >= n:
            break
        text(fb, v.log[k], 0, 1 + i)
    if part == 0:
        return False
    hint(fb, "MODE: back")
    return True


def low_battery(fb, m, v, part=0):
    title(fb, "BATTERY LOW")
    num(fb, v.battery_pct, 5, 2, 3)
    text(fb, "%", 8, 2)
    text(fb, "Charge before", 0, 4)
    text(fb, "next session", 0, 5)
    if v.battery_pct < v.start_min_pct:
        # Why a start is refused now, whoever asks for it.
        text(fb, "starts need", 0, 6)
        num(fb, v.start_min_pct, 11, 6, 3)
        text(fb, "%", 14, 6)
    hint(fb, "MODE: OK")
    return True


def placement(fb, m, v, part=0):
    # Where the pads go for the program just selected (programs.PLACEMENTS).
    k = m.place
    title(fb, v.programs[k] if 0 <= k < len(v.programs) else "Pads")
    place = v.program_place[k] if 0 <= k < len(v.program_place) else 0
    lines = v.placements[place] if 0 <= place < len(v.placements) else ()
    for i in range(len(lines)):
        if i < ROWS - 2:
            text(fb, lines[i], 0, 1 + i)
    hint(fb, "MODE: ok")
    return True


def pain(fb, m, v, part=0):
    title(fb, "Pain after" if m.pain_after else "Pain before")
    text(fb, "How much pain?", 0, 1)
    text(fb, "<", 5, 3)
    num(fb, m.pain, 7, 3, 2)
    text(fb, ">", 10, 3)
    text(fb, "0 none 10 worst", 0, 5)
    text(fb, "hold MODE: skip", 0, 6)
    hint(fb, "MODE: save")
    return True


def skin(fb, m, v, part=0):
    title(fb, "Skin care")
    text(fb, "Pads on one spot", 0, 1)
    h = v.settings[SET_SKIN]
    wide = 2 if h > 9 else 1
    text(fb, "for", 0, 2)
    num(fb, h, 4, 2, wide)
    text(fb, "h or more:", 4 + wide, 2)
    text(fb, "move them a bit,", 0, 3)
    text(fb, "check the skin.", 0, 4)
    text(fb, "hold MODE: later", 0, 6)
    hint(fb, "MODE: pads moved")
    return True


DRAW = (splash, home, main_menu, program, timer, settings, edit, fault, log, low_battery,
        placement, pain, skin)


def signature(m, v):
    """A number that changes when what the menu's screen shows of the view
    changes (the home screen follows its fields instead; menu moves set
    m.changed). Small ints only: it is computed every UI period."""
    s = m.screen
    if s == M.S_FAULT:
        return v.fault_kind * 8 + v.fault_ch
    if s == M.S_LOW_BATTERY:
        return v.battery_pct
    if s == M.S_LOG:
        return v.log_serial
    if s == M.S_SETTINGS or s == M.S_EDIT:
        # Seven fields do not pack into a small int (32 bits): mixed instead. A
        # change is missed with odds of one in 8 million, and the menu's own
        # edits set m.changed anyway.
        st = v.settings
        h = 0
        for i in range(N_SETTINGS):
            h = (h * 131 + st[i]) & 0x7FFFFF
        return h
    if s == M.S_PROGRAM:
        return len(v.programs)
    if s == M.S_PAIN:
        return m.pain
    return 0


def draw_part(fb, m, v, part):
    """Part `part` (0, 1, ...) of the menu's screen onto a cleared frame;
    True when the screen is complete."""
    if part == 0:
        forget_home(v)
        m.changed = False
    return DRAW[m.screen](fb, m, v, part)


def draw(fb, m, v):
    """The whole screen at once (tools, tests, the error screen path)."""
    fb.fill(0)
    part = 0
    while not draw_part(fb, m, v, part):
        part += 1
