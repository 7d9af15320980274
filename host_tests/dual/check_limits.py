# The safety envelope, on both runtimes. Figures are worked by hand from the
# formulas in docs/safety-limits.md (I_rms = I_peak * sqrt(phase time per pulse * f)).
from dualcheck import Lcg, eq, raises, true
from ustim.core import limits
from ustim.core.spec import PulseSpec

ENV = limits.Envelope()
PAD = 2500  # 5 x 5 cm electrode, mm2


def check_worked_example_from_safety_md():
    # 80 mA peak, 2 x 250 us, 50 Hz: 12.6 mA rms; 25 cm2: 0.5 mA/cm2; ~3 mW/cm2.
    spec = PulseSpec(phase_us=250, period_us=20000)
    eq(limits.check(ENV, spec, 80000, PAD), None, "worked example accepted")
    eq(limits.rms_ua(spec, 80000), 12649, "rms uA")
    eq(limits.density_ua_cm2(spec, 80000, PAD), 505, "density")
    eq(limits.power_uw_cm2(spec, 80000, PAD), 3200, "power density")
    eq(limits.energy_uj(spec, 80000), 1600, "energy per pulse")
    eq(limits.charge_nc(80000, 250), 20000, "charge per phase nC")
    eq(limits.net_charge_pc(spec, 80000), 0, "net charge")


def check_peak_current_refused_with_name_value_bound():
    spec = PulseSpec(phase_us=100, period_us=20000)
    r = limits.check(ENV, spec, 80001, PAD)
    eq(r.limit, "peak current", "limit")
    eq((r.value, r.bound, r.unit), (80001, 80000, "uA"), "value/bound")
    true("80001" in str(r) and "80000" in str(r), str(r))


def check_rms_current_limit():
    # 400 us per phase at 150 Hz: rms = I * sqrt(800e-6 * 150) = 0.3464 I.
    spec = PulseSpec(phase_us=400, period_us=6667)
    # Tighten the density cap out of the way with a huge pad to isolate rms.
    big = 1000000
    eq(limits.check(ENV, spec, 80000, big), None, "27.7 mA rms accepted")
    env = limits.Envelope({"max_rms_ua": 20000})
    r = limits.check(env, spec, 80000, big)
    eq(r.limit, "rms current", "rms refused")
    m = limits.max_amplitude_ua(env, spec, big)
    eq(limits.check(env, spec, m, big), None, "max accepted")
    eq(limits.check(env, spec, m + 1, big).limit, "rms current", "max + 1 refused")


def check_density_cap_and_warning():
    spec = PulseSpec(phase_us=400, period_us=6667)
    small = 400  # 2 x 2 cm pad
    m = limits.max_amplitude_ua(ENV, spec, small)
    eq(limits.check(ENV, spec, m, small), None, "at cap")
    eq(limits.check(ENV, spec, m + 1, small).limit, "rms current density", "over cap")
    true(limits.density_warning(ENV, spec, m, small), "warn above 2 mA/cm2")
    true(not limits.density_warning(ENV, spec, 10000, PAD), "no warning at 10 mA on 25 cm2")


def check_spec_limits_named():
    cases = (
        (PulseSpec(phase_us=49), "phase width"),
        (PulseSpec(phase_us=401), "phase width"),
        (PulseSpec(phase_us=200, neg_us=199), "net charge: negative phase"),
        (PulseSpec(gap_us=101), "interphase gap"),
        (PulseSpec(period_us=6666), "pulse period (frequency cap 150 Hz)"),
        (PulseSpec(period_us=9999, ems=True), "pulse period (frequency cap 100 Hz)"),
        (PulseSpec(period_us=1000001), "pulse period (frequency floor 1 Hz)"),
        (PulseSpec(period_us=10000, burst_n=7, burst_period_us=69999), "burst period"),
        (PulseSpec(period_us=10000, burst_n=21, burst_period_us=500000), "burst pulses"),
    )
    for spec, name in cases:
        r = limits.check_spec(ENV, spec)
        true(r is not None, "refused: %r", spec)
        eq(r.limit, name, "%r", spec)
    eq(limits.check_spec(ENV, PulseSpec(period_us=6667)), None, "150 Hz ok")
    eq(limits.check_spec(ENV, PulseSpec(period_us=10000, ems=True)), None, "100 Hz EMS ok")
    burst = PulseSpec(phase_us=200, period_us=10000, burst_n=7, burst_period_us=500000)
    eq(limits.check(ENV, burst, 60000, PAD), None, "burst TENS accepted")


def check_board_may_lower_never_raise():
    env = limits.Envelope({"max_peak_ua": 60000, "max_phase_us": 300})
    eq(env.max_peak_ua, 60000, "lowered")
    eq(limits.check(env, PulseSpec(phase_us=100), 60001, PAD).limit, "peak current", "peak")
    e = raises(limits.LimitError, limits.Envelope, {"max_peak_ua": 80001})
    true("max_peak_ua" in str(e), str(e))
    raises(limits.LimitError, limits.Envelope, {"min_phase_us": 20})
    raises(limits.LimitError, limits.Envelope, {"max_session_s": 7200})
    raises(limits.LimitError, limits.Envelope, {"no_such_limit": 1})
    raises(limits.LimitError, limits.Envelope, {"max_peak_ua": "80"})
    # Tightening twice is fine; widening back is not.
    raises(limits.LimitError, env.tighten, {"max_peak_ua": 70000})


def check_duty_and_session():
    for ems in (False, True):
        eq(limits.check_duty(ENV, ems, 10000, 50000, 2000, 1000), None, "10/50 NMES")
        eq(limits.check_duty(ENV, ems, 999, 5000, 0, 0).limit, "contraction on time", "on < 1 s")
        eq(limits.check_duty(ENV, ems, 5000, 999, 0, 0).limit, "rest off time", "off < 1 s")
        eq(limits.check_duty(ENV, ems, 3000, 5000, 2000, 1001).limit, "ramps within on time",
           "ramps")
    eq(limits.check_duty(ENV, False, 0, 0, 0, 0), None, "continuous TENS")
    eq(limits.check_session(ENV, 3600), None, "60 min")
    eq(limits.check_session(ENV, 3601).limit, "session length", "61 min")


def check_continuous_ems_is_refused():
    # docs/safety-limits.md: EMS on/off each >= 1 s. Continuous EMS is a tetanic
    # contraction for the whole session: it must cycle.
    r = limits.check_duty(ENV, True, 0, 0, 0, 0)
    true(r is not None, "continuous EMS refused")
    eq((r.limit, r.value, r.bound, r.unit), ("contraction on time", 0, 1000, "ms"), "refusal")
    r = limits.check_duty(limits.Envelope({"min_on_ms": 2000}), True, 0, 0, 0, 0)
    eq(r.bound, 2000, "a tightened envelope's bound")


def check_max_amplitude_is_exact_boundary():
    # For many specs and pads: max is accepted, max + 1 refused (unless the
    # peak cap is the binding limit, where max + 1 is refused as peak current).
    rng = Lcg(2024)
    for _ in range(150):
        ems = rng.below(2) == 1
        phase = rng.between(50, 400)
        gap = rng.between(0, 100)
        period = rng.between(10000 if ems else 6667, 1000000)
        if 2 * phase + gap >= period:
            continue
        spec = PulseSpec(phase_us=phase, gap_us=gap, period_us=period, ems=ems)
        area = rng.between(100, 10000)
        m = limits.max_amplitude_ua(ENV, spec, area)
        eq(limits.check(ENV, spec, m, area), None, "max accepted %r %d", spec, area)
        true(limits.check(ENV, spec, m + 1, area) is not None, "max+1 refused %r", spec)


def check_isqrt():
    for n in (0, 1, 2, 3, 4, 15, 16, 17, 10 ** 12, 10 ** 18 + 7, (1 << 61) - 1):
        r = limits.isqrt(n)
        true(r * r <= n < (r + 1) * (r + 1), "isqrt %d -> %d", n, r)
    raises(ValueError, limits.isqrt, -1)


def check_power_and_energy_limits_bind_when_tightened():
    # 400 us phases at 100 Hz on a 150 cm2 pad: density and rms are far away,
    # so a 1 mW/cm2 power cap and a 2 mJ energy cap are what refuse.
    spec = PulseSpec(phase_us=400, period_us=10000)
    area = 15000
    env = limits.Envelope({"max_power_mw_cm2": 1})
    m = limits.max_amplitude_ua(env, spec, area)
    eq(limits.check(env, spec, m + 1, area).limit, "power density at 500 ohm", "power")
    true(limits.power_uw_cm2(spec, m, area) < 1000, "max is under 1 mW/cm2")
    env = limits.Envelope({"max_energy_uj": 2000})
    m = limits.max_amplitude_ua(env, spec, area)
    eq(limits.check(env, spec, m + 1, area).limit, "energy per pulse at 500 ohm", "energy")
    true(limits.energy_uj(spec, m) <= 2000, "max is within 2 mJ")
