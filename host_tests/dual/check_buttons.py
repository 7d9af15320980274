# Button logic on both runtimes: debounce, short/long press, UP/DOWN repeat
# and its rate limit, stuck buttons, buttons held at boot, the tick wrap, and
# no allocation per poll.
import sys

from dualcheck import Lcg, eq, true
from ustim.core import buttons as B
from ustim.core.ticks import TICKS_PERIOD, ticks_add, ticks_diff

STARTS = (0, TICKS_PERIOD - 3000)
TICK = 10


def _run(presses, dur, t0=0, dt=TICK, bounce=None):
    """Poll every dt ms for dur ms. presses: ((button, start, end), ...) in ms
    from t0; bounce: ((button, at), ...) single-sample glitches. Returns
    [(ms from t0, event)]."""
    btn = B.Buttons()
    out = []
    lv = [0, 0, 0, 0]
    t = 0
    while t <= dur:
        for i in range(4):
            lv[i] = 0
        for b, s, e in presses:
            if s <= t < e:
                lv[b] = 1
        if bounce:
            for b, at in bounce:
                if at == t:
                    lv[b] ^= 1
        btn.poll(lv[0], lv[1], lv[2], lv[3], ticks_add(t0, t))
        ev = btn.get()
        while ev:
            out.append((t, ev))
            ev = btn.get()
        t += dt
    return out


def _events(out):
    return [ev for _, ev in out]


E = B.event


def check_short_press_of_mode():
    for t0 in STARTS:
        out = _run(((B.B_MODE, 100, 300),), 600, t0)
        eq(_events(out), [E(B.EV_PRESS, B.B_MODE), E(B.EV_SHORT, B.B_MODE)], "mode short")
        t_press = out[0][0]
        true(100 + B.DEBOUNCE_MS <= t_press <= 100 + B.DEBOUNCE_MS + TICK,
             "press seen after debounce: %d", t_press)


def check_bounces_shorter_than_debounce_are_ignored():
    glitches = ((B.B_MODE, 100), (B.B_UP, 200), (B.B_POWER, 300), (B.B_DOWN, 400))
    eq(_run((), 600, bounce=glitches, dt=5), [], "single-sample glitches")
    # A press that chatters at its start still gives exactly one press.
    chatter = ((B.B_MODE, 100), (B.B_MODE, 105), (B.B_MODE, 110))
    out = _run(((B.B_MODE, 100, 400),), 700, bounce=chatter, dt=5)
    eq(_events(out), [E(B.EV_PRESS, B.B_MODE), E(B.EV_SHORT, B.B_MODE)], "chatter")


def check_long_press_of_mode_and_power():
    for b in (B.B_MODE, B.B_POWER):
        out = _run(((b, 100, 1800),), 2200)
        eq(_events(out), [E(B.EV_PRESS, b), E(B.EV_LONG, b)], "long %d" % b)
        t_long = out[1][0]
        true(100 + B.LONG_MS <= t_long <= 100 + B.LONG_MS + TICK, "long at %d", t_long)


def check_power_press_is_reported_at_once_not_on_release():
    out = _run(((B.B_POWER, 100, 5000),), 400)
    eq(_events(out), [E(B.EV_PRESS, B.B_POWER)], "press while still held")
    true(out[0][0] <= 100 + B.DEBOUNCE_MS + TICK, "stop within debounce + one tick")


def check_up_repeats_no_faster_than_the_channel_slews():
    for t0 in STARTS:
        out = _run(((B.B_UP, 100, 3100),), 3500, t0)
        evs = _events(out)
        eq(evs[0], E(B.EV_PRESS, B.B_UP), "first is the press")
        true(all(e == E(B.EV_REPEAT, B.B_UP) for e in evs[1:]), "then repeats")
        # press at ~120, repeats from 600 every 250 ms up to 3100
        eq(len(evs), 1 + 1 + (3100 - 600) // B.REPEAT_MS, "count")
        for i in range(1, len(out)):
            true(out[i][0] - out[i - 1][0] >= B.UP_MIN_MS, "gap %d", out[i][0] - out[i - 1][0])
    true(B.REPEAT_MS >= B.UP_MIN_MS, "repeat not faster than a step can slew")


def check_held_up_stops_repeating_down_does_not():
    # Held 8 s: UP repeats only for its first UP_REPEAT_MAX_MS, DOWN all along.
    for b in (B.B_UP, B.B_DOWN):
        out = _run(((b, 100, 8100),), 8500)
        last = out[-1][0]
        if b == B.B_UP:
            true(last <= 100 + B.UP_REPEAT_MAX_MS + TICK, "last UP repeat at %d", last)
        else:
            true(last >= 8000, "DOWN still repeating at %d", last)


def check_fast_up_taps_are_rate_limited_down_taps_are_not():
    rng = Lcg(7)
    taps = []
    t = 100
    for _ in range(25):
        on = rng.between(30, 60)
        taps.append((B.B_UP, t, t + on))
        t += on + rng.between(30, 60)
    out = _run(tuple(taps), t + 200)
    true(len(out) > 3, "some taps counted")
    for i in range(1, len(out)):
        true(out[i][0] - out[i - 1][0] >= B.UP_MIN_MS, "UP gap %d", out[i][0] - out[i - 1][0])
    down = tuple((B.B_DOWN, s, e) for _, s, e in taps)
    eq(len(_run(down, t + 200)), len(taps), "every DOWN tap counts")


def check_stuck_button_is_reported_then_ignored_until_released():
    out = _run(((B.B_MODE, 100, 12000), (B.B_MODE, 12500, 12700)), 13000)
    eq(_events(out), [E(B.EV_PRESS, B.B_MODE), E(B.EV_LONG, B.B_MODE),
                      E(B.EV_STUCK, B.B_MODE),
                      E(B.EV_PRESS, B.B_MODE), E(B.EV_SHORT, B.B_MODE)], "stuck mode")
    t_stuck = out[2][0]
    true(100 + B.STUCK_MS <= t_stuck <= 100 + B.STUCK_MS + TICK, "stuck at %d", t_stuck)
    out = _run(((B.B_UP, 100, 15000),), 15500)
    eq(out[-1][1], E(B.EV_STUCK, B.B_UP), "stuck UP reported last")
    true(out[-2][0] < 100 + B.STUCK_MS, "no repeats after stuck")


def check_stuck_mask_while_held():
    btn = B.Buttons()
    t = 0
    while t <= 10200:
        btn.poll(0, 0, 0, 1, t)
        t += TICK
    eq(btn.stuck_mask, 1 << B.B_DOWN, "down stuck")
    btn.poll(0, 0, 0, 0, t)
    btn.poll(0, 0, 0, 0, t + 30)
    eq(btn.stuck_mask, 0, "released")


def check_button_held_at_boot_does_nothing_until_released():
    out = _run(((B.B_UP, 0, 2000), (B.B_UP, 2500, 2600)), 3000)
    eq(_events(out), [E(B.EV_PRESS, B.B_UP)], "only the press after release")
    true(out[0][0] >= 2500, "and it is the later press")
    out = _run(((B.B_POWER, 0, 400),), 600)
    eq(out, [], "power held at boot")


def check_poll_allocates_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    btn = B.Buttons()
    now = TICKS_PERIOD - 500
    btn.poll(0, 0, 0, 0, now)
    before = gc.mem_alloc()
    for i in range(1500):
        now = ticks_add(now, TICK)
        k = i % 300
        btn.poll(k < 120, 100 < k < 150, k > 200, 50 < k < 60, now)
        while btn.get():
            pass
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 1500 polls")
    true(ticks_diff(now, TICKS_PERIOD - 500) > 0, "crossed the wrap")


def check_event_encoding():
    for b in range(B.N_BUTTONS):
        for k in range(1, 6):
            ev = B.event(k, b)
            eq((B.kind_of(ev), B.button_of(ev)), (k, b), "round trip")
            true(0 < ev < 256, "fits a byte")
    eq(B.event_name(B.event(B.EV_LONG, B.B_MODE)), "MODE long", "name")
