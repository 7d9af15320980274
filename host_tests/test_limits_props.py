"""The envelope against an independent statement of the limits of docs/safety-limits.md.

The reference below is written from the physical formulas in SI units with
exact fractions (no shared code with limits.py): I_rms = I * sqrt(t_phase * f),
density = I_rms / area, power density = I_rms^2 * 500 ohm / area, energy per
pulse = I^2 * 500 ohm * t_phase. Hypothesis draws specs on and around every
bound; the envelope must accept exactly the specs the reference accepts.
"""

from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from ustim.core import limits
from ustim.core.spec import PulseSpec

ENV = limits.Envelope()
US = F(1, 1000000)
UA = F(1, 1000000)


# docs/safety-limits.md's figures; TIGHT lowers the amplitude-dependent ones so that the
# rms, power and energy limits bind too (with the defaults the 80 mA peak cap
# keeps them out of reach on most pads).
DEFAULT = {"peak_ma": 80, "rms_ma": 50, "density_ma_cm2": 3, "power_w_cm2": F(1, 4),
           "energy_j": F(3, 10)}
TIGHT = {"peak_ma": 60, "rms_ma": 8, "density_ma_cm2": 2, "power_w_cm2": F(3, 1000),
         "energy_j": F(1, 1000)}
TIGHT_ENV = limits.Envelope({"max_peak_ua": 60000, "max_rms_ua": 8000,
                             "max_density_ua_cm2": 2000, "max_power_mw_cm2": 3,
                             "max_energy_uj": 1000})


def reference_ok(spec, ua, area_mm2, lim=DEFAULT):
    """True when every limit of docs/safety-limits.md holds (exact arithmetic, SI units)."""
    f_max = 100 if spec.ems else 150
    if not (50 <= spec.pos_us <= 400 and spec.neg_us == spec.pos_us):
        return False
    if not 0 <= spec.gap_us <= 100:
        return False
    freq = 1 / (spec.period_us * US)
    if not (1 <= freq <= f_max):
        return False
    if spec.pos_us + spec.gap_us + spec.neg_us >= spec.period_us:
        return False
    if spec.burst_n < 1:
        return False
    if spec.burst_n > 1:
        if spec.burst_n > 20 or spec.burst_period_us < spec.burst_n * spec.period_us:
            return False
        if 1 / (spec.burst_period_us * US) < 1:
            return False
        mean_rate = spec.burst_n / (spec.burst_period_us * US)
    else:
        mean_rate = freq
    if area_mm2 <= 0 or ua < 0:
        return False
    amps = ua * UA
    t_phase = (spec.pos_us + spec.neg_us) * US
    irms_sq = amps * amps * t_phase * mean_rate            # A^2
    area_cm2 = F(area_mm2, 100)
    if amps > F(lim["peak_ma"], 1000):
        return False
    if irms_sq > F(lim["rms_ma"], 1000) ** 2:
        return False
    if irms_sq / area_cm2 ** 2 > F(lim["density_ma_cm2"], 1000) ** 2:
        return False
    if irms_sq * 500 / area_cm2 >= lim["power_w_cm2"]:     # strictly below
        return False
    if amps * amps * 500 * t_phase > lim["energy_j"]:
        return False
    return True


@st.composite
def specs(draw):
    ems = draw(st.booleans())
    phase = draw(st.integers(40, 420))
    neg = phase if draw(st.integers(0, 9)) else draw(st.integers(40, 420))
    gap = draw(st.integers(-2, 110))
    period = draw(st.one_of(st.integers(6000, 11000), st.integers(900, 1000100),
                            st.sampled_from([6666, 6667, 9999, 10000, 1000000, 1000001])))
    if draw(st.integers(0, 3)) == 0:
        n = draw(st.integers(0, 22))
        bp = draw(st.one_of(st.integers(n * period - 2, n * period + 2),
                            st.integers(100000, 1000100)))
    else:
        n, bp = 1, 0
    return PulseSpec(phase_us=phase, gap_us=gap, period_us=period, burst_n=n,
                     burst_period_us=bp, ems=ems, neg_us=neg)


@settings(max_examples=3000, deadline=None)
@given(specs(), st.integers(-10, 90000), st.integers(-5, 20000))
def test_envelope_agrees_with_reference(spec, ua, area):
    refusal = limits.check(ENV, spec, ua, area)
    want_ok = reference_ok(spec, ua, area)
    assert (refusal is None) == want_ok, (spec, ua, area, refusal)


@settings(max_examples=2000, deadline=None)
@given(specs(), st.integers(0, 70000), st.integers(1, 40000))
def test_tightened_envelope_agrees_with_reference(spec, ua, area):
    refusal = limits.check(TIGHT_ENV, spec, ua, area)
    assert (refusal is None) == reference_ok(spec, ua, area, TIGHT), (spec, ua, area, refusal)


@settings(max_examples=1500, deadline=None)
@given(specs(), st.integers(1, 40000), st.booleans())
def test_max_amplitude_is_the_reference_boundary(spec, area, tight):
    env, lim = (TIGHT_ENV, TIGHT) if tight else (ENV, DEFAULT)
    m = limits.max_amplitude_ua(env, spec, area)
    if m < 0:
        assert limits.check_spec(env, spec) is not None
        return
    assert reference_ok(spec, m, area, lim)
    assert not reference_ok(spec, m + 1, area, lim)


@settings(max_examples=1000, deadline=None)
@given(specs(), st.integers(0, 80000), st.integers(1, 20000))
def test_refusal_names_a_limit_value_and_bound(spec, ua, area):
    refusal = limits.check(ENV, spec, ua, area)
    if refusal is not None:
        text = str(refusal)
        assert refusal.limit and refusal.unit in text
        assert str(refusal.bound) in text and str(refusal.value) in text
