# The battery rules of the controller on both runtimes: below start_min_pct a
# new start is refused with the reason and nothing changes; a running session
# goes on; at stop_pct every channel that ramps, runs or is paused ramps down
# (STOPPING) and ends OFF with its session record, and nothing starts again by
# itself when the battery recovers.
from dualcheck import eq, true
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.controller import Controller


def _ctl():
    ctl = Controller(limits.Envelope())
    ctl.start_min_pct = limits.BATTERY_START_PCT
    ctl.stop_pct = limits.BATTERY_STOP_PCT
    ctl.tick(0)
    for ch in (0, 1):
        eq(ctl.select(ch, "tens"), None, "select")
        eq(ctl.set_amp(ch, 20000), None, "amplitude")
    return ctl


def _run(ctl, t0, t1):
    t = t0
    while t <= t1:
        ctl.tick(t)
        t += 10


def check_low_battery_refuses_a_new_start():
    ctl = _ctl()
    eq(ctl.battery(9), False, "nothing to stop")
    r = ctl.start(0)
    eq(r[0], "not_allowed", "refused")
    true(r[1].startswith("Battery low 9%") and "10% or more" in r[1], "reason: %s", r[1])
    eq(ctl.chans[0].ch.state, C.OFF, "still off")
    eq(ctl.chans[0].ch.target_ua, 20000, "target unchanged")
    ctl.battery(10)
    eq(ctl.start(0), None, "starts again at the level")


def check_running_session_goes_on_then_stops_at_the_brownout_level():
    ctl = _ctl()
    ctl.battery(50)
    for ch in (0, 1):
        eq(ctl.start(ch), None, "start")
        eq(ctl.electrode_check(ch, True), None, "check")
    _run(ctl, 0, 3000)
    eq(ctl.battery(5), False, "low but above the stop level: goes on")
    eq([c.ch.state for c in ctl.chans], [C.RUNNING, C.RUNNING], "running")
    eq(ctl.start(0)[0], "not_allowed", "a running channel is not restarted")
    eq(ctl.battery(3), True, "stop level")
    eq([c.ch.state for c in ctl.chans], [C.STOPPING, C.STOPPING], "ramping down")
    _run(ctl, 3010, 4200)
    eq([c.ch.state for c in ctl.chans], [C.OFF, C.OFF], "off")
    eq(len(ctl.finished), 2, "a session record per channel")
    eq(ctl.battery(80), False, "recovered")
    _run(ctl, 4210, 5000)
    eq([c.out.ua for c in ctl.chans], [0, 0], "nothing resumes by itself")
    eq([c.ch.state for c in ctl.chans], [C.OFF, C.OFF], "still off")


def check_paused_channel_is_stopped_too():
    ctl = _ctl()
    ctl.start(0)
    ctl.electrode_check(0, True)
    _run(ctl, 0, 2500)
    eq(ctl.pause(0), None, "pause")
    eq(ctl.battery(2), True, "stopped")
    eq(ctl.chans[0].ch.state, C.OFF, "a paused channel goes off at once")
    eq(ctl.resume(0)[0], "not_allowed", "no resume after the battery stop")
