"""The campaign's invariant checks catch what they are meant to: each test
makes the board emit one thing the firmware must never do (a pulse while OFF,
an overlapping pulse, a pulse outside the envelope, an amplitude step, a pulse
the dose does not count) and expects the rig to report it. Without these a
campaign that finds nothing would prove nothing."""

import pytest

from campaign_rig import Rig, Violation, rate_bound_ua_s
from ustim.core import channel as C
from ustim.core import limits


def _running_rig():
    rig = Rig()
    for line in ("select 1 tens", "amp 1 20", "start 1"):
        rig.console(line)
    rig.run(400)
    assert rig.states()[0] == C.RUNNING
    rig.check()
    return rig


def _emit(rig, ch, start, pos, gap, neg):
    rig.inject_pulse(ch, start, pos, gap, neg)
    rig.run(2)
    rig.flush()


def test_clean_run_passes():
    rig = _running_rig()
    rig.console("stop 1")
    rig.run(200)
    rig.flush()
    rig.check()
    assert rig.stats["pulses"] > 300 and rig.stats["dose_checks"] > 300


def test_pulse_while_off_is_caught():
    rig = Rig()
    rig.run(10)
    _emit(rig, 0, rig.sim.now_us + 5000, 200, 0, 200)
    with pytest.raises(Violation, match="while channel 1 was OFF"):
        rig.check()


def test_overlapping_pulses_are_caught():
    rig = _running_rig()
    last = rig.prev[0][0]          # the latest pulse judged on channel 1
    nxt = last[1] + 10000
    while nxt < rig.sim.now_us:
        nxt += 10000
    # Into the next pulse of the train: its A phase while this one's B is high.
    _emit(rig, 0, nxt - 300, 200, 0, 200)
    with pytest.raises(Violation, match="overlaps|high together"):
        rig.check()


def test_pulse_outside_the_envelope_is_caught():
    rig = Rig()
    for line in ("select 2 tens", "amp 2 20", "start 2"):
        rig.console(line)
    rig.run(400)
    last = rig.prev[1][0]
    t = last[1] + 10000
    while t < rig.sim.now_us:
        t += 10000
    # Between two pulses of channel 2's 100 Hz train: one with a 500 us phase
    # (the envelope's cap is 400 us).
    _emit(rig, 1, t + 3000, 500, 0, 500)
    rig.run(3)
    rig.flush()
    with pytest.raises(Violation, match="outside the envelope: phase width 500"):
        rig.check()


def test_amplitude_step_is_caught():
    rig = _running_rig()
    amp = rig.sim.app.hw.amp
    amp.set(0, 0)
    amp.set(0, 15000)
    rig.tick()
    rig.tick()
    with pytest.raises(Violation, match="amplitude 0 -> 149"):
        rig.check()


def test_pulse_missing_from_the_dose_is_caught():
    rig = _running_rig()
    last = rig.prev[0][0]
    t = last[1] + 10000
    while t < rig.sim.now_us:
        t += 10000
    _emit(rig, 0, t + 4000, 200, 0, 200)
    rig.console("stop 1")
    rig.run(200)
    rig.flush()
    with pytest.raises(Violation, match="dose"):
        rig.check()


def test_rate_bound_follows_the_channel_constants():
    env = limits.Envelope()
    assert rate_bound_ua_s(80000, False, env) == 80000 * 1000 // C.RAMP_MS
    assert rate_bound_ua_s(1000, False, env) == C.SLEW_UP_UA_S
    assert rate_bound_ua_s(80000, True, env) == (80000 * 1000 // C.RAMP_MS
                                                  + 80000 * 1000 // env.min_ramp_ms)
