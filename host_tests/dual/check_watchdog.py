# The electrode watchdog, pre-start check and guard on both runtimes, fed
# deterministic sample sequences (no electrode model: that is host-only).
# Ends with the heap check: 1000 steady ticks allocate nothing on MicroPython.
import sys

from dualcheck import Lcg, eq, raises, true
from ustim.core import channel as C
from ustim.core import watchdog as W
from ustim.core.electrode_guard import NO_EVENT, ElectrodeGuard
from ustim.core.precheck import R_OPEN, R_SHORT, Precheck

CFG = W.Config()


def _z_sample(set_ua, z_ohm):
    # (delivered uA, peak mV) of an ideal load of z_ohm at set_ua.
    return set_ua, set_ua * z_ohm // 1000


def check_classify_table():
    cases = (
        (5000, 5000, 7500, W.OK),              # 1.5 kohm
        (5000, 5000, 2000, W.OK),              # 400 ohm
        (5000, 2400, 30000, W.OPEN),           # delivered < 50 %
        (5000, 0, 80000, W.OPEN),              # lifted: no current at compliance
        (40000, 29000, 78000, W.OPEN),         # at compliance, 72 % delivered
        (40000, 34000, 78000, W.HIGH),         # at compliance, 85 %: limited
        (2000, 2000, 52000, W.OPEN),           # 26 kohm
        (2000, 2000, 26000, W.HIGH),           # 13 kohm
        (5000, 5000, 400, W.SHORT),            # 80 ohm
        (5000, 7100, 7000, W.OVERCURRENT),     # above set + 2 mA
        (40000, 46100, 60000, W.OVERCURRENT),  # above set + 15 %
        (40000, 45900, 60000, W.OK),           # inside the 15 % margin
        (5000, 5000, 95000, W.SENSE),          # above what compliance allows
        (0, 800, 0, W.SENSE),                  # current while set to 0
        (0, 300, 0, W.OK),
        (900, 0, 0, W.OK),                     # too little current to judge
    )
    for set_ua, i, v, want in cases:
        eq(W.classify(CFG, set_ua, i, v), want, "classify %d %d %d", set_ua, i, v)
    eq(W.classify(CFG, 5000, 5000, 16000, 1500), W.HIGH, "3.2 kohm over 2x baseline")
    eq(W.classify(CFG, 5000, 5000, 14000, 1500), W.OK, "2.8 kohm under 2x baseline")
    eq(W.impedance(0, 100), W.Z_MAX, "no current")
    eq(W.impedance(2000, 3000), 1500, "Z = V / I")


def check_config_from_board_and_refusals():
    class Board:
        COMPLIANCE_MV = 60000
        SENSE_I_UA_FULL_SCALE = 100000
        SENSE_V_MV_FULL_SCALE = 120000
        WATCHDOG = {"open_pct": 40, "high_pct": 250}
    c = W.config(Board)
    eq((c.open_pct, c.high_pct, c.at_compliance_mv, c.impossible_mv), (40, 250, 57000, 66000),
       "board overrides and derived bounds")
    raises(ValueError, W.Config, {"nonsense": 1})
    raises(ValueError, W.Config, {"open_pct": 5})
    raises(ValueError, W.Config, {"high_pct": 150, "clear_pct": 160})
    raises(ValueError, W.Config, {"short_ohm": 400, "high_ohm": 700})


def _running_wd(z=1500, set_ua=5000):
    wd = W.Watchdog(CFG)
    i, v = _z_sample(set_ua, z)
    for t in range(10):
        eq(wd.step(set_ua, i, v + (t & 1), 1, t * 10), C.FAULT_NONE, "healthy")
    true(wd.baseline_ohm > 0, "baseline taken")
    return wd


def check_baseline_after_settling_only():
    wd = W.Watchdog(CFG)
    for k in range(20):      # a ramp: the set current changes every sample
        s = 1000 + 200 * k
        wd.step(s, s, s * 3 // 2, 1, k * 10)
    eq(wd.baseline_ohm, 0, "no baseline during a ramp")
    for k in range(CFG.settle_samples):
        wd.step(6000, 6000, 9000 + k, 1, 300 + k * 10)
    true(1500 <= wd.baseline_ohm <= 1502, "baseline %d", wd.baseline_ohm)


def check_hard_faults_trip_on_the_first_sample():
    for i, v, kind in ((0, 80000, C.FAULT_OPEN), (5000, 100, C.FAULT_SHORT),
                       (9000, 13500, C.FAULT_OVERCURRENT)):
        wd = _running_wd()
        eq(wd.step(5000, i, v, 1, 500), kind, "first sample trips")
        eq(wd.step(5000, 5000, 7500, 1, 510), kind, "latched")
        eq(wd.step(5000, 5000, 7500, 0, 520), kind, "latched without pulses")
        eq(wd.fault_ms, 500, "when")
        wd.reset()
        eq((wd.tripped, wd.baseline_ohm, wd.high), (C.FAULT_NONE, 0, False), "reset")


def check_ticks_without_pulses_are_not_evidence():
    wd = _running_wd()
    for t in range(50):
        eq(wd.step(5000, 0, 80000, 0, 1000 + t), C.FAULT_NONE, "stale reading ignored")
    eq(wd.step(5000, 0, 80000, 1, 2000), C.FAULT_OPEN, "a fresh one trips")


def check_weak_short_needs_more_samples():
    wd = _running_wd(set_ua=2000)
    for k in range(CFG.weak_samples - 1):
        eq(wd.step(2000, 2000, 150, 1, 500 + k), C.FAULT_NONE, "weak short sample %d", k)
    eq(wd.step(2000, 2000, 150, 1, 600), C.FAULT_SHORT, "confirmed")
    wd = _running_wd(set_ua=2000)
    wd.step(2000, 2000, 150, 1, 500)
    wd.step(2000, 2000, 3000, 1, 510)     # a healthy sample breaks the run
    eq(wd.step(2000, 2000, 150, 1, 520), C.FAULT_NONE, "run restarted")


def check_high_warns_with_hysteresis_and_never_stops():
    wd = _running_wd(z=1500)
    hi = _z_sample(5000, 3300)
    for k in range(CFG.high_samples - 1):
        wd.step(5000, hi[0], hi[1], 1, 500 + k)
    eq(wd.high, False, "not yet")
    eq(wd.step(5000, hi[0], hi[1], 1, 600), C.FAULT_NONE, "HIGH does not stop")
    eq(wd.high, True, "warning set")
    mid = _z_sample(5000, 2700)            # below 2x, above the 1.6x clear bound
    for k in range(3 * CFG.clear_samples):
        wd.step(5000, mid[0], mid[1] + (k & 1), 1, 700 + k)
    eq(wd.high, True, "hysteresis holds the warning")
    ok = _z_sample(5000, 1600)
    for k in range(CFG.clear_samples - 1):
        wd.step(5000, ok[0], ok[1], 1, 800 + k)
    eq(wd.high, True, "clears only after clear_samples")
    wd.step(5000, ok[0], ok[1] + 1, 1, 900)
    eq(wd.high, False, "cleared")


def check_sense_faults():
    wd = _running_wd()
    for k in range(CFG.sense_samples - 1):
        eq(wd.step(5000, 5000, 119990, 1, 500 + k), C.FAULT_NONE, "pegged V, debounced")
    eq(wd.step(5000, 5000, 119990, 1, 600), C.FAULT_SENSE, "pegged V")
    # Frozen readings while the commanded current ramps.
    wd = _running_wd()
    got = C.FAULT_NONE
    k = 0
    while got == C.FAULT_NONE and k < 50:
        got = wd.step(5000 + 300 * k, 5000, 7500, 1, 500 + k)
        k += 1
    eq(got, C.FAULT_SENSE, "stuck sense")
    true(k <= CFG.stuck_samples + 1, "caught after %d samples", k)
    # Identical readings at an unchanged set current are not evidence.
    wd = _running_wd()
    for k in range(200):
        eq(wd.step(5000, 5000, 7500, 1, 500 + k), C.FAULT_NONE, "steady and quantised")
    # Current while the output is commanded to 0.
    wd = _running_wd()
    res = [wd.step(0, 900, 0, 1, 500 + k) for k in range(CFG.sense_samples)]
    eq(res[-1], C.FAULT_SENSE, "current with no output")


def check_noise_never_trips():
    rng = Lcg(99)
    for z in (260, 500, 1500, 7800, 10000):
        for set_ua in (1500, 5000, 20000):
            if set_ua * z > 70000000:
                continue      # beyond the compliance voltage
            wd = W.Watchdog(CFG)
            for k in range(300):
                # Noise like the sense path: +-3 LSB of 12 bits on each reading.
                i = set_ua + rng.between(-75, 75)
                v = set_ua * z // 1000 + rng.between(-90, 90)
                r = wd.step(set_ua, i, v if v > 0 else 0, 1, k * 10)
                if r != C.FAULT_NONE or wd.high:
                    raise AssertionError("false trip z=%d set=%d" % (z, set_ua))


def check_precheck_decides():
    cases = ((500, C.CHECK_OK, None), (5000, C.CHECK_OK, None), (10000, C.CHECK_OK, None),
             (40, C.CHECK_FAIL, R_SHORT), (40000, C.CHECK_FAIL, R_OPEN))
    for z, want, reason in cases:
        p = Precheck(CFG)
        i, v = _z_sample(C.PROBE_UA, z)
        got = 0
        n = 0
        while not got:
            got = p.step(C.PROBE_UA, i, v, 1 if n % 3 == 0 else 0)
            n += 1
        eq((got, p.reason), (want, reason), "probe into %d ohm", z)
    p = Precheck(CFG)
    for _ in range(CFG.probe_samples):
        got = p.step(C.PROBE_UA, 0, 80000, 1)
    eq((got, p.reason), (C.CHECK_FAIL, R_OPEN), "no current")


def check_guard_drives_the_channel():
    ch = C.Channel(0)
    ch.set_limit(40000)
    ch.handle(C.SET_AMP, 10000, 0)
    ch.handle(C.START, 0, 0)
    g = ElectrodeGuard(CFG)
    now = 0
    ev = NO_EVENT
    while ev == NO_EVENT:
        now += 10
        ev = g.step(ch, C.PROBE_UA, C.PROBE_UA, C.PROBE_UA * 3 // 2, 1, now)
    eq(ev, C.CHECK_OK, "probe passes")
    g.apply(ch, ev, now)
    eq(ch.state, C.RAMPING, "ramping")
    for _ in range(400):
        now += 10
        s = ch.output_ua()
        g.apply(ch, g.step(ch, s, s, s * 3 // 2, 1, now), now)
        ch.tick(now)
    eq(ch.state, C.RUNNING, "running")
    ev = g.step(ch, 10000, 10000, 400, 1, now + 10)
    eq((ev, g.arg), (C.FAULT_EV, C.FAULT_SHORT), "short raised")
    g.apply(ch, ev, now + 10)
    eq((ch.state, ch.fault_kind, ch.output_ua()), (C.FAULT, C.FAULT_SHORT, 0), "latched, off")


def check_steady_ticks_allocate_nothing():
    ch = C.Channel(0)
    ch.set_limit(40000)
    ch.handle(C.SET_AMP, 20000, 0)
    ch.handle(C.START, 0, 0)
    ch.handle(C.CHECK_OK, 0, 0)
    g = ElectrodeGuard(CFG)
    rng = Lcg(5)
    now = 0
    for _ in range(400):     # through the ramp, baseline taken
        now += 10
        s = ch.output_ua()
        g.step(ch, s, s, s * 3 // 2, 1, now)
        ch.tick(now)
    true(g.watchdog.baseline_ohm > 0, "baseline")
    mp = sys.implementation.name == "micropython"
    if mp:
        import gc
        before = gc.mem_alloc()
    k = 0
    while k < 1000:
        now += 10
        s = ch.output_ua()
        # Noisy samples, every fourth tick without a pulse, a HIGH episode.
        z = 3500 if 300 <= k < 330 else 1500
        i = s + rng.between(-60, 60)
        g.step(ch, s, i, s * z // 1000 + rng.between(-80, 80), 0 if k & 3 == 3 else 1, now)
        ch.tick(now)
        k += 1
    if mp:
        eq(gc.mem_alloc() - before, 0, "bytes allocated by 1000 ticks")
    eq((ch.state, g.watchdog.high), (C.RUNNING, False), "still running, warning cleared")
