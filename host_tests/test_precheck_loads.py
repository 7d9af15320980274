"""Pre-start electrode check in the closed loop: probe pulses at <= 2 mA pass
500 ohm .. 5 kohm loads (and the FDA 10 k load) and refuse open and shorted
electrodes with a reason, leaving the output off."""

import pytest

from tools.sim.models.electrode import Electrode, healthy, resistor
from tools.perf.fault_loop import FaultLoop
from ustim.core import channel as C
from ustim.core.precheck import R_OPEN, R_SHORT


def _armed_result(el, hz, **kw):
    lp = FaultLoop(el, hz=hz, amp_ua=10000, **kw)
    lp.start()
    probe = lp.set_ua
    assert 0 < probe <= 2000
    while lp.ch.state == C.ARMED and lp.now_ms < 5000:
        lp.step()
        assert lp.ch.state != C.ARMED or lp.set_ua == probe
    return lp


@pytest.mark.parametrize("hz", (2, 100))
@pytest.mark.parametrize("ohm", (500, 1000, 2000, 3300, 5000, 10000))
def test_resistive_loads_pass(ohm, hz):
    for seed in range(1, 6):
        lp = _armed_result(resistor(ohm, seed=seed), hz)
        assert lp.ch.state == C.RAMPING, (ohm, seed, lp.ch.check_reason)
        assert lp.events[0][1] == C.CHECK_OK
        z = lp.guard.precheck.z_ohm
        assert abs(z - ohm) <= ohm // 10 + 30, z


@pytest.mark.parametrize("seed", range(1, 9))
def test_healthy_pads_pass(seed):
    lp = _armed_result(healthy(seed), 50)
    assert lp.ch.state == C.RAMPING, lp.ch.check_reason


@pytest.mark.parametrize("hz", (2, 100))
@pytest.mark.parametrize("seed", (1, 2, 3))
def test_open_electrode_refused(hz, seed):
    el = Electrode(seed=seed).lift_off(0)
    lp = _armed_result(el, hz)
    assert lp.ch.state == C.OFF
    assert lp.ch.check_reason == R_OPEN
    assert lp.ch.output_ua() == 0 and lp.set_ua == 0


@pytest.mark.parametrize("hz", (2, 100))
@pytest.mark.parametrize("short_ohm", (1.0, 5.0, 30.0))
def test_shorted_electrode_refused(hz, short_ohm):
    el = Electrode(rs=100, rp=1000, cp_nf=200, seed=7).short(0, short_ohm)
    lp = _armed_result(el, hz)
    assert lp.ch.state == C.OFF
    assert lp.ch.check_reason == R_SHORT
    assert lp.set_ua == 0


def test_lifted_during_the_check_then_reattached_passes_next_time():
    el = Electrode(seed=2).lift_off(0)
    lp = _armed_result(el, 100)
    assert lp.ch.check_reason == R_OPEN
    el.reattach(lp.now_ms)
    lp.start()
    lp.run_until(lp.now_ms + 500)
    assert lp.ch.state == C.RAMPING and lp.ch.check_reason is None
