# The knee features through the whole App on both runtimes (the models of
# check_app_run.py): the battery rules read once a second, the key lock and
# the channel lock from the buttons and the console, the pain diary asked
# before and after a session started from the menu, and the skin reminder
# from the pad time kept in the usage log across a reboot.
import hostpaths  # noqa: F401  (tools.* and the machine shim on MicroPython)
from check_app_run import Board, _console_app, _press, _run
from dualcheck import eq, true
from tools.sim.models.flash import MemStorage
from ustim.app import App
from ustim.core import buttons as B
from ustim.core import channel as C
from ustim.core import settings as S
from ustim.core import usage_log as U
from ustim.core.ui import menu as M
from ustim.core.ui.view import SET_DIARY, SET_LOCK


def _send(app, hw, clock, now, text, ticks=5):
    hw.console.inbox.append(text.encode() + b"\n")
    return _run(app, hw, clock, now, ticks)


def _battery(hw, pct):
    hw.battery_pct = lambda: pct


def _states(app):
    return [c.ch.state for c in app.ctl.chans]


def _chord(app, hw, clock, now):
    # UP and DOWN held together for 2.15 s, then released.
    hw.buttons.level[B.B_UP] = True
    hw.buttons.level[B.B_DOWN] = True
    now = _run(app, hw, clock, now, 215)
    hw.buttons.level[B.B_UP] = False
    hw.buttons.level[B.B_DOWN] = False
    return now


def _ready(app, hw, clock):
    now = _run(app, hw, clock, 0, 300)          # past the splash
    for line in ("select 1 tens", "select 2 tens", "amp 1 20", "amp 2 20"):
        now = _send(app, hw, clock, now, line)
    return now


def check_battery_rules_in_the_app():
    app, hw, clock = _console_app()
    now = _ready(app, hw, clock)
    now = _send(app, hw, clock, now, "start 1", 400)
    eq(_states(app), [C.RUNNING, C.OFF], "channel 1 runs")
    _battery(hw, 8)
    now = _run(app, hw, clock, now, 110)          # read once a second
    now = _send(app, hw, clock, now, "start 2", 50)
    eq(_states(app), [C.RUNNING, C.OFF], "no new start below 10 %; the session goes on")
    now = _press(app, hw, clock, now, B.B_UP)
    _battery(hw, 2)
    now = _run(app, hw, clock, now, 110)
    eq(_states(app)[0], C.STOPPING, "ramping down at the stop level")
    true("Battery empty" in app.notices[-1], "notice: %r", app.notices[-1])
    now = _run(app, hw, clock, now, 100)
    eq(_states(app), [C.OFF, C.OFF], "off")
    rec = app.log.newest(1)[0]
    eq((rec.channel, rec.end), (0, U.END_BATTERY), "the record says why")
    _battery(hw, 90)
    now = _run(app, hw, clock, now, 300)
    eq(_states(app), [C.OFF, C.OFF], "nothing resumes when the battery recovers")
    eq(hw.amp.ua, [0, 0], "amplitudes 0")


def check_key_lock_and_channel_lock_in_the_app():
    app, hw, clock = _console_app()
    now = _ready(app, hw, clock)
    now = _send(app, hw, clock, now, "start all", 400)
    eq(_states(app), [C.RUNNING, C.RUNNING], "both run")
    targets = [c.ch.target_ua for c in app.ctl.chans]
    # UP and DOWN held together for 2.1 s: the keys lock (the chord's own
    # presses are one step up and one down: no change).
    now = _chord(app, hw, clock, now)
    now = _run(app, hw, clock, now, 20)
    true(app.menu.keys_locked, "locked")
    eq([c.ch.target_ua for c in app.ctl.chans], targets, "the chord changed no amplitude")
    now = _press(app, hw, clock, now, B.B_UP)
    eq([c.ch.target_ua for c in app.ctl.chans], targets, "a locked UP does nothing")
    eq(app.notices[-1], "Keys locked: hold UP+DOWN 2 s to unlock", "the screen says how")
    # The console's channel lock, saved like the menu's setting.
    now = _send(app, hw, clock, now, "lock on")
    true(app.settings.lock and app.view.settings[SET_LOCK] == 1, "lock on")
    true(S.load(app.storage)[0].lock, "saved")
    # Unlock the keys: UP now raises both channels, each by its own step.
    now = _chord(app, hw, clock, now)
    now = _run(app, hw, clock, now, 30)
    true(not app.menu.keys_locked, "unlocked")
    now = _press(app, hw, clock, now, B.B_UP)
    eq([c.ch.target_ua for c in app.ctl.chans], [targets[0] + C.STEP_UA, targets[1] + C.STEP_UA],
       "linked: both up one step")
    now = _send(app, hw, clock, now, "lock off")
    now = _press(app, hw, clock, now, B.B_DOWN)
    eq([c.ch.target_ua for c in app.ctl.chans], [targets[0], targets[1] + C.STEP_UA],
       "unlinked: the focused channel only")
    # POWER/STOP stops everything, locked or not.
    now = _chord(app, hw, clock, now)
    now = _run(app, hw, clock, now, 30)
    true(app.menu.keys_locked, "locked again")
    hw.buttons.level[B.B_POWER] = True
    now = _run(app, hw, clock, now, 4)
    eq(_states(app), [C.OFF, C.OFF], "stopped at once while locked")
    eq(hw.amp.ua, [0, 0], "output off")
    hw.buttons.level[B.B_POWER] = False
    _run(app, hw, clock, now, 10)


def check_pain_diary_before_and_after_a_session():
    app, hw, clock = _console_app()
    # The menu's path for a setting (Settings, Diary, on).
    app._setting(SET_DIARY, 1)
    true(app.settings.diary and S.load(app.storage)[0].diary, "diary on, saved")
    now = _ready(app, hw, clock)
    now = _send(app, hw, clock, now, "timer 1")
    now = _press(app, hw, clock, now, B.B_MODE, 1500)     # the menu, on Start
    now = _press(app, hw, clock, now, B.B_MODE)           # Start: the pain screen
    eq(app.menu.screen, M.S_PAIN, "asked before")
    eq(_states(app), [C.OFF, C.OFF], "nothing starts before the answer")
    now = _press(app, hw, clock, now, B.B_UP)
    now = _press(app, hw, clock, now, B.B_UP)
    now = _press(app, hw, clock, now, B.B_MODE)           # 7: saved, channel 1 starts
    true(_states(app)[0] in (C.ARMED, C.RAMPING), "started: %r" % _states(app))
    now = _run(app, hw, clock, now, 6500)                 # the 1-minute session ends
    eq(_states(app), [C.OFF, C.OFF], "ended")
    eq(app.menu.screen, M.S_PAIN, "asked after")
    true(app.menu.pain_after, "the after question")
    rec = app.log.newest(1)[0]
    eq((rec.pain_before, rec.pain_after, rec.end), (7, U.NO_PAIN, U.END_TIMER), "written")
    for _ in range(3):
        now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)           # 2
    eq(app.menu.screen, M.S_HOME, "home")
    rec = app.log.newest(1)[0]
    eq((rec.pain_before, rec.pain_after), (7, 2), "amended with the pain after")
    # A skipped question leaves the record without a score.
    now = _press(app, hw, clock, now, B.B_MODE, 1500)
    now = _press(app, hw, clock, now, B.B_MODE)
    now = _press(app, hw, clock, now, B.B_MODE, 1500)     # held: skipped, starts
    now = _run(app, hw, clock, now, 6500)
    now = _press(app, hw, clock, now, B.B_MODE, 1500)     # skipped after
    rec = app.log.newest(1)[0]
    eq((rec.pain_before, rec.pain_after), (U.NO_PAIN, U.NO_PAIN), "both skipped")


def check_skin_reminder_from_the_pad_time_in_the_log():
    store = MemStorage()
    log = U.UsageLog(store, slots=Board.USAGE_LOG_SLOTS)
    eq(log.open(), None, "log")
    # Channel 1's pads have 5 h on them (30 x 10 min), channel 2's 1 h.
    eq(log.append(0, 1, 0, 1800, 20000, 20000, 1, 0, U.END_TIMER, U.NO_PAIN, U.NO_PAIN, 30),
       None, "ch1 record")
    eq(log.append(0, 1, 1, 1800, 20000, 20000, 1, 0, U.END_TIMER, U.NO_PAIN, U.NO_PAIN, 6),
       None, "ch2 record")
    app, hw, clock = _console_app(store)
    eq(app.pad_s, [18000, 3600], "pad time from the log")
    now = _run(app, hw, clock, 0, 300)
    eq(app.menu.screen, M.S_SKIN, "reminder after the splash (4 h default)")
    now = _press(app, hw, clock, now, B.B_MODE)           # pads moved
    eq(app.menu.screen, M.S_HOME, "home")
    eq(app.pad_s, [0, 3600], "channel 1's pad time reset")
    eq(app.notices[-1], "Pad time reset", "notice")
    again = App(app.board, hw, store, 0, now)
    eq(again.pad_s, [0, 3600], "kept over a reboot")
    _run(again, hw, clock, now, 300)
    eq(again.menu.screen, M.S_HOME, "no reminder after the reboot")
