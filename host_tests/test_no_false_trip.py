"""No false trip: 30-minute simulated sessions on healthy electrodes (seeded
Randles values across the plausible ranges, sense noise, slow drift) at 100 Hz,
at 2 Hz, for the 10 s on / 50 s off NMES pattern and for every preset. The
watchdog must neither stop the output nor warn, and must take its baseline."""

import pytest

from boards import esp32_devkitc
from tools.sim.models.electrode import healthy
from tools.perf.fault_loop import FaultLoop
from ustim.core import channel as C
from ustim.core.programs import PRESETS, find

SESSION_MS = 30 * 60 * 1000


def _amplitude(el, phase_us, cap_ua=30000):
    # What a user could reach on this electrode: 60 % of the compliance voltage
    # at the highest impedance the drift takes it to, at most cap_ua.
    z_max = max(el.z_ohm(t, phase_us) for t in range(0, SESSION_MS, 30000))
    return int(min(cap_ua, 0.6 * el.compliance_mv * 1000 / z_max)) // 100 * 100


def _session(lp):
    lp.start()
    highs = 0
    while lp.now_ms < SESSION_MS:
        lp.step()
        if lp.guard.watchdog.high:
            highs += 1
        if lp.ch.state == C.FAULT or lp.ch.state == C.OFF:
            break
    return highs


def _assert_clean(lp, highs):
    wd = lp.guard.watchdog
    assert lp.ch.state == C.RUNNING, (lp.ch.state_name(), lp.ch.check_reason, lp.events,
                                      wd.status, wd.z_ohm, wd.baseline_ohm)
    assert lp.ch.fault_kind == C.FAULT_NONE
    assert highs == 0, "HIGH warned on a healthy electrode"
    assert wd.baseline_ohm > 0
    assert lp.now_ms >= SESSION_MS


@pytest.mark.parametrize("seed", (1, 2))
@pytest.mark.parametrize("hz", (100, 2))
def test_continuous_session_never_trips(hz, seed):
    el = healthy(seed)
    amp = _amplitude(el, 200)
    # Channel 2 of the Pico reads its voltage through the sense mux.
    lp = FaultLoop(el, hz=hz, amp_ua=amp, chan=seed % 2, lag_us=1700 * seed)
    _assert_clean(lp, _session(lp))
    assert lp.pulses_total >= SESSION_MS * hz // 1000 - 2 * hz * 10


@pytest.mark.parametrize("seed", (4,))
def test_nmes_on_off_session_never_trips(seed):
    prog = find("oa")          # 50 Hz, 10 s on / 50 s off, 2 s up / 1 s down
    el = healthy(seed)
    lp = FaultLoop(el, prog=prog, amp_ua=_amplitude(el, prog.phase_us))
    _assert_clean(lp, _session(lp))


@pytest.mark.parametrize("prog", PRESETS, ids=[p.pid for p in PRESETS])
def test_every_preset_session_never_trips(prog):
    el = healthy(20 + prog.num)
    lp = FaultLoop(el, prog=prog, amp_ua=_amplitude(el, prog.phase_us), lag_us=2900,
                   board=esp32_devkitc)
    _assert_clean(lp, _session(lp))


def test_low_amplitude_session_near_the_measure_floor():
    # 2 mA on a low-impedance pad: the readings are noisiest relative to bounds.
    from tools.sim.models.electrode import Electrode
    el = Electrode(rs=100, rp=1000, cp_nf=200, seed=9)
    lp = FaultLoop(el, hz=150, amp_ua=2000, phase_us=50)
    _assert_clean(lp, _session(lp))
