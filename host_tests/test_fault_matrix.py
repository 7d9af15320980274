"""The fault matrix in the closed loop (electrode model -> hal sense -> guard ->
channel): each fault kind x pulse rate x low/high amplitude, and each preset,
stops the output within budget, latches, and clearing restarts from 0."""

import pytest

from tools.sim.models.electrode import Electrode
from tools.perf.fault_loop import FaultLoop
from ustim.core import channel as C
from ustim.core.programs import PRESETS

RATES = (2, 10, 50, 100, 150)
AMPS = (5000, 40000)
KINDS = {"lift_off": C.FAULT_OPEN, "short": C.FAULT_SHORT, "overcurrent": C.FAULT_OVERCURRENT}


def _electrode(seed=1):
    # About 1.4 kohm: takes 40 mA under the 80 V compliance.
    return Electrode(rs=200, rp=1500, cp_nf=100, seed=seed)


def _inject(el, kind, t):
    if kind == "lift_off":
        el.lift_off(t)
    elif kind == "short":
        el.short(t)
    else:
        el.stage_fault(t)


def _settled(lp, until_ms):
    lp.start()
    lp.run_until(until_ms)
    assert lp.ch.state == C.RUNNING, lp.events
    assert lp.guard.watchdog.baseline_ohm > 0


def _check_budget(lp, hz):
    r = lp.reaction()
    assert r is not None, "output never went off"
    assert r["pulses_after"] <= 2, r
    if hz >= 10:
        assert r["from_pulse_ms"] is not None and r["from_pulse_ms"] <= 20, r
    return r


def _check_latched_then_restart(lp, el, kind):
    assert lp.ch.state == C.FAULT
    assert lp.ch.fault_kind == KINDS[kind]
    assert lp.set_ua == 0
    pulses = lp.pulses_total
    lp.run_until(lp.now_ms + 1500)
    assert lp.ch.state == C.FAULT and lp.pulses_total == pulses, "latched, no pulses"
    el.reattach(lp.now_ms)
    el.events = [e for e in el.events if e[1] != "stage_fault"]   # stage repaired
    lp.clear_and_restart()
    assert lp.ch.fault_kind == C.FAULT_NONE
    lp.run_until(lp.now_ms + 2000)
    assert lp.ch.state in (C.RAMPING, C.RUNNING), lp.events
    # Restarted through the check and a ramp from 0, not at the old level.
    assert lp.events[-1][1] == C.CHECK_OK
    lp.run_until(lp.now_ms + 3000)
    assert lp.ch.state == C.RUNNING and lp.guard.watchdog.tripped == C.FAULT_NONE


@pytest.mark.parametrize("amp", AMPS)
@pytest.mark.parametrize("hz", RATES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fault_stops_within_budget_latches_and_restarts(kind, hz, amp):
    for lag_us, offset in ((0, 0.3), (4700, 1000.0 / hz / 2 + 0.1), (9900, 1000.0 / hz - 0.2)):
        el = _electrode(seed=hz + amp)
        lp = FaultLoop(el, hz=hz, amp_ua=amp, lag_us=lag_us)
        _settled(lp, 9000)
        t = 9000 + offset
        _inject(el, kind, t)
        lp.mark(t)
        lp.run_until(t + 1500, stop_on_fault=True)
        _check_budget(lp, hz)
    _check_latched_then_restart(lp, el, kind)


@pytest.mark.parametrize("amp", AMPS)
@pytest.mark.parametrize("hz", RATES)
def test_peel_stops_by_full_lift_off(hz, amp):
    el = _electrode(seed=3)
    lp = FaultLoop(el, hz=hz, amp_ua=amp)
    _settled(lp, 9000)
    el.peel(9000.3, 3000)
    lp.mark(12000.3)          # the moment the pad is fully off
    lp.run_until(14000, stop_on_fault=True)
    r = lp.reaction()
    assert r is not None and r["fault"] == "open"
    assert r["pulses_after"] <= 2, r
    assert lp.ch.fault_kind == C.FAULT_OPEN


@pytest.mark.parametrize("amp", AMPS)
def test_drying_warns_blocks_increases_and_keeps_running(amp):
    el = _electrode(seed=4)
    lp = FaultLoop(el, hz=100, amp_ua=amp)
    _settled(lp, 9000)
    el.dry(9000, 20000, 3.0)
    lp.mark(9000)
    lp.run_until(32000, stop_on_fault=True)
    assert lp.high_ms is not None, "HIGH warned"
    assert lp.ch.handle(C.UP, 0, lp.now_ms) in (C.R_HIGH_Z, C.R_FAULT)
    if amp == 5000:
        # 3x drier is high impedance, not lift-off: the output keeps going.
        assert lp.ch.state == C.RUNNING and lp.ch.inhibit_up
        assert lp.ch.handle(C.DOWN, 0, lp.now_ms) is None


def _active_since(lp, amp, limit_ms):
    # Run until the program is delivering near its plateau amplitude.
    while lp.now_ms < limit_ms:
        lp.step()
        if lp.ch.state == C.RUNNING and lp.set_ua >= amp * 9 // 10:
            return True
    return False


@pytest.mark.parametrize("amp", AMPS)
@pytest.mark.parametrize("prog", PRESETS, ids=[p.pid for p in PRESETS])
def test_each_preset_fault_matrix(prog, amp):
    for kind in sorted(KINDS):
        el = _electrode(seed=11)
        lp = FaultLoop(el, prog=prog, amp_ua=amp, lag_us=3300)
        lp.start()
        assert _active_since(lp, amp, 20000), (prog.pid, lp.events)
        lp.run_until(lp.now_ms + 500)
        assert lp.set_ua > 0
        t = lp.now_ms + 0.7
        _inject(el, kind, t)
        lp.mark(t)
        lp.run_until(t + 3000, stop_on_fault=True)
        r = lp.reaction()
        assert r is not None, (prog.pid, kind)
        assert lp.ch.fault_kind == KINDS[kind]
        assert r["pulses_after"] <= 2, r
        assert r["from_pulse_ms"] <= 20, r


@pytest.mark.parametrize("hz", (2, 100))
def test_pegged_voltage_reading_is_a_sense_fault(hz):
    el = _electrode(seed=5)
    lp = FaultLoop(el, hz=hz, amp_ua=5000)
    _settled(lp, 9000)
    el.sense_fault(9000.5, "peg_v")
    lp.mark(9000.5)
    lp.run_until(12000, stop_on_fault=True)
    r = lp.reaction()
    assert r is not None and lp.ch.fault_kind == C.FAULT_SENSE
    assert r["pulses_after"] <= 3      # sense_samples: an impossible reading, not a body fault


def test_sense_frozen_during_the_ramp_is_a_sense_fault():
    el = _electrode(seed=6)
    el.sense_fault(400, "stuck")       # freezes before the ramp moves the current
    lp = FaultLoop(el, hz=100, amp_ua=20000)
    lp.start()
    lp.run_until(5000, stop_on_fault=True)
    assert lp.ch.state == C.FAULT and lp.ch.fault_kind == C.FAULT_SENSE, lp.events
