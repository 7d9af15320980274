# Session timer: default length from the program, user-set within the
# envelope's 60 min cap, counts only running time, survives the 2**30 wrap of
# the tick counter, ramps the amplitude scale down over the last 3 s.
from dualcheck import eq, true

from ustim.core import limits, programs
from ustim.core.session import END_RAMP_MS, Session
from ustim.core.ticks import TICKS_PERIOD, ticks_add

ENV = limits.Envelope()


def _run(ses, now, ms, step=10):
    t = 0
    while t < ms:
        now = ticks_add(now, step)
        ses.tick(now)
        t += step
    return now


def check_default_length_from_program():
    ses = Session(ENV)
    for prog in programs.PRESETS:
        eq(ses.load(prog), None, "%s length accepted", prog.pid)
        eq(ses.length_s, prog.session_s, "%s default", prog.pid)
        eq(ses.remaining_s(), prog.session_s, "%s remaining before start", prog.pid)
        true(not ses.running and not ses.expired, "%s loaded idle", prog.pid)


def check_user_length_and_cap():
    ses = Session(ENV, 600)
    eq(ses.set_length(3600), None, "60 min accepted")
    r = ses.set_length(3601)
    eq((r.limit, r.value, r.bound), ("session length", 3601, 3600), "61 min refused")
    eq(ses.length_s, 3600, "length kept after refusal")
    eq(ses.set_length(0).limit, "session length", "0 refused")
    short = Session(limits.Envelope({"max_session_s": 1200}), 1800)
    eq(short.length_s, 1200, "a board cap below the default wins")
    eq(short.set_length(1500).bound, 1200, "board cap refuses")


def check_expires_across_tick_wrap():
    ses = Session(ENV, 60)
    now = TICKS_PERIOD - 25000   # the counter wraps 25 s into the session
    ses.start(now)
    now = _run(ses, now, 59990)
    true(not ses.expired, "not yet")
    eq(ses.remaining_s(), 1, "10 ms left shows 1 s")
    true(now < 60000, "counter wrapped")
    now = _run(ses, now, 10)
    true(ses.expired and not ses.running, "expired at 60 s")
    eq(ses.remaining_s(), 0, "nothing left")
    eq(ses.elapsed_ms, 60000, "elapsed")
    ses.start(now)
    true(not ses.running, "an expired session does not restart by itself")


def check_pause_does_not_count():
    ses = Session(ENV, 10)
    now = 1000
    ses.start(now)
    now = _run(ses, now, 4000)
    ses.pause(now)
    now = _run(ses, now, 30000)
    eq(ses.elapsed_ms, 4000, "paused time not counted")
    ses.start(now)
    now = _run(ses, now, 5990)
    true(not ses.expired, "9.99 s run")
    now = _run(ses, now, 10)
    true(ses.expired, "10 s run")


def check_clock_step_back_ignored_and_late_tick_counted():
    ses = Session(ENV, 100)
    ses.start(5000)
    ses.tick(4000)
    eq(ses.elapsed_ms, 0, "backwards step ignored")
    ses.tick(5000 + 2500)
    eq(ses.elapsed_ms, 2500, "a late tick counts the whole gap")
    ses.tick(5000 + 200000)   # a stalled loop: expires at once
    true(ses.expired, "expired after the stall")


def check_shortening_below_elapsed_expires():
    ses = Session(ENV, 600)
    ses.start(0)
    _run(ses, 0, 120000, step=1000)
    eq(ses.set_length(60), None, "accepted")
    ses.tick(120000)
    true(ses.expired, "expired on the next tick")


def check_end_ramp():
    ses = Session(ENV, 10)
    now = 0
    ses.start(now)
    now = _run(ses, now, 10000 - END_RAMP_MS)
    eq(ses.scale(), 1000, "full until the ramp")
    last = 1000
    while not ses.expired:
        now = _run(ses, now, 10)
        s = ses.scale()
        true(s <= last, "monotonic down: %d after %d", s, last)
        true(last - s <= 1000 * 10 // END_RAMP_MS + 1, "smooth: %d -> %d", last, s)
        last = s
    eq(ses.scale(), 0, "zero at expiry")
