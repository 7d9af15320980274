# Key lock and channel lock on both runtimes: UP and DOWN held together for
# CHORD_MS send one chord (no repeats on the way, the keys count again only once
# released); the menu then ignores every key but POWER/STOP, whose press still
# stops everything; the same chord unlocks. With the channel lock on and both
# channels running, UP/DOWN on the home screen act on both channels.
from check_ui_menu import BACK, DOWN, POWER_LONG, SEL, STOP, UP
from dualcheck import eq, true
from ustim.core import buttons as B
from ustim.core.ui import menu as M
from ustim.core.ui.view import SET_LOCK, View

CHORD = B.event(B.EV_CHORD, B.B_UP)


def _poll(b, t0, t1, power=0, mode=0, up=0, down=0):
    # Polls every 10 ms from t0 to t1 (exclusive); the events that came.
    evs = []
    t = t0
    while t < t1:
        b.poll(power, mode, up, down, t)
        ev = b.get()
        while ev:
            evs.append(ev)
            ev = b.get()
        t += 10
    return evs


def check_chord_after_two_seconds_without_repeats():
    b = B.Buttons()
    _poll(b, 0, 100)
    evs = _poll(b, 100, 100 + B.CHORD_MS + 200, up=1, down=1)
    eq(evs.count(CHORD), 1, "one chord")
    eq([e for e in evs if B.kind_of(e) == B.EV_REPEAT], [], "no repeats while both held")
    eq([e for e in evs if B.kind_of(e) == B.EV_PRESS], [UP, DOWN], "the two presses only")
    # Held on past the chord, then DOWN released: UP held alone sends nothing
    # until it too has been released.
    evs = _poll(b, 2400, 4000, up=1)
    eq(evs, [], "UP after the chord counts only once released")
    _poll(b, 4000, 4100)
    eq(_poll(b, 4100, 4200, up=1), [UP], "counts again after release")


def check_chord_needs_the_full_hold():
    b = B.Buttons()
    _poll(b, 0, 100)
    evs = _poll(b, 100, 100 + B.CHORD_MS - 100, up=1, down=1)
    eq(evs.count(CHORD), 0, "no chord before CHORD_MS")
    _poll(b, 2000, 2100)
    evs = _poll(b, 2100, 2100 + B.CHORD_MS - 100, up=1, down=1)
    eq(evs.count(CHORD), 0, "the hold starts again after a release")


def _home():
    v = View()
    v.programs = ("Conventional",)
    m = M.Menu(0)
    m.key(SEL, v)
    eq(m.screen, M.S_HOME, "home")
    return m, v


def check_locked_keys_do_nothing_but_stop():
    m, v = _home()
    eq(m.key(CHORD, v), M.A_KEYLOCK, "lock")
    true(m.keys_locked, "locked")
    for ev in (UP, DOWN, B.event(B.EV_PRESS, B.B_MODE)):
        eq(m.key(ev, v), M.A_LOCKED, "locked key %d", ev)
    for ev in (SEL, BACK, B.event(B.EV_REPEAT, B.B_UP), B.event(B.EV_REPEAT, B.B_DOWN)):
        eq(m.key(ev, v), M.A_NONE, "locked event %d", ev)
    eq(m.screen, M.S_HOME, "still home")
    eq(m.key(STOP, v), M.A_STOP_ALL, "POWER/STOP stops while locked")
    eq(m.arg, M.CH_ALL, "every channel")
    eq(m.key(POWER_LONG, v), M.A_POWER_DOWN, "power down while locked")
    eq(m.key(CHORD, v), M.A_KEYLOCK, "unlock")
    true(not m.keys_locked, "unlocked")
    eq(m.key(UP, v), M.A_UP, "UP works again")


def check_channel_lock_moves_both_only_when_both_run():
    m, v = _home()
    m.focus = 0
    v.state = [3, 3]
    eq((m.key(UP, v), m.arg), (M.A_UP, 0), "lock off: the focused channel")
    v.settings[SET_LOCK] = 1
    eq((m.key(UP, v), m.arg), (M.A_UP, M.CH_ALL), "lock on, both running: both")
    eq((m.key(DOWN, v), m.arg), (M.A_DOWN, M.CH_ALL), "down: both")
    v.state = [2, 3]
    eq((m.key(UP, v), m.arg), (M.A_UP, M.CH_ALL), "ramping counts as running")
    for states in ([3, 0], [0, 3], [3, 4], [1, 3], [3, 6]):
        v.state = states
        eq((m.key(UP, v), m.arg), (M.A_UP, 0), "not both running %r", states)
    true(not M.linked(v), "not linked with a channel faulted")
