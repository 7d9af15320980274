# What the screens show, filled in by the app. The UI reads only this object
# (never the channels, programs or settings modules), so it does not depend on
# their APIs. Every field exists from __init__; per-channel fields are lists
# the app updates in place. Strings must fit the field widths below (the app
# cuts longer ones: 16 characters is a full OLED line), but for the notice,
# which the home screen shows line by line (screens.wrap).
from micropython import const

CHANNELS = const(2)
NAME_CHARS = const(16)       # program names, log lines
ELECTRODE_CHARS = const(5)   # electrode status per channel ("OK", "HIGH", "OPEN")
LOG_LINES = const(12)
BATTERY_LOW_PCT = const(15)  # project choice: below this the low-battery screen shows
HOME_FIELDS = const(18)      # values the home screen's fields remember (screens.py)

# Channel states, as in ustim.core.channel (numbers only: no import needed).
STATE_LABELS = ("OFF", "CHECK", "RAMP", "ON", "PAUSED", "ENDING", "FAULT")  # <= 6 chars

# Settings the settings screen edits, in screen order.
SET_MAX_MA = const(0)
SET_PAD = const(1)
SET_CONTRAST = const(2)
SET_CONSOLE = const(3)
SET_BENCH = const(4)
SET_SESSION = const(5)
SET_LEASE = const(6)
SET_LOCK = const(7)
SET_DIARY = const(8)
SET_SKIN = const(9)
N_SETTINGS = const(10)
NO_PAIN = const(255)         # no pain score (usage_log.NO_PAIN)


class View:
    def __init__(self):
        n = CHANNELS
        self.program = [""] * n        # program name per channel
        self.state = [0] * n           # channel state number (0 OFF .. 6 FAULT)
        self.target_ua = [0] * n       # amplitude the user set
        self.level_ua = [0] * n        # amplitude output now
        self.max_ua = [80000] * n      # bound for this channel now (envelope, cap)
        self.electrode = ["--"] * n    # electrode status text per channel
        self.remaining_s = 0           # session time left (0: none running)
        self.linked = False            # channel lock in force now (menu.linked), for the screen
        self.timer_min = 30            # session length the timer screen starts from
        self.battery_pct = 100
        self.start_min_pct = 0         # below this no session starts (board battery rules)
        self.fault_kind = 0            # ustim.core.channel FAULT_* (0: no fault)
        self.fault_ch = 0              # channel of that fault
        self.log = [""] * LOG_LINES    # usage log lines, newest first
        self.log_count = 0
        self.programs = ()             # program names offered by the program screen
        self.program_index = [0] * n   # selected program per channel (index in programs)
        self.program_place = ()        # placement id per program (0: none), as programs
        self.placements = ((),)        # lines of each placement id (programs.PLACEMENTS)
        # settings: values by SET_* index; the pad setting is an index in pad_names
        self.settings = [50, 1, 128, 0, 0, 60, 5, 0, 0, 4]
        self.pad_names = ("4x4", "5x5", "5x9", "5x10", "10x10")
        self.board_max_ma = 80
        self.notice = ""               # what the home screen's bottom line says ("": none)
        # The notice cut into lines (screens.wrap) and the one shown: kept
        # here, so the screens module itself holds no state.
        self.notice_text = ""          # the notice notice_lines were cut from
        self.notice_lines = ()
        self.notice_at = 0             # index in notice_lines of the line shown
        self.notice_looks = 0          # UI looks it has been shown for
        self.version = ""
        self.log_serial = 0            # bumped whenever the log lines are rewritten
        # What each home screen field shows now (screens.update_home): kept
        # here so the screens module itself holds no state.
        self.drawn = [None] * HOME_FIELDS
