"""Dose accounting against exact big-int sums made pulse by pulse (CPython).

Whole preset sessions at 10 ms ticks with the pulses the reference pulse model
(core/pulses.py) places in each tick, and hypothesis-generated feeds of specs,
amplitudes and pulse counts (including counts above one chunk). Also checks
that the small emitter the dual checks use (session_meter.Emitter, which
avoids big ints on MicroPython) places the same pulses as the model.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from session_meter import Emitter, run

from ustim.core import programs, pulses
from ustim.core.dose import MAX_UA, Dose
from ustim.core.spec import PulseSpec

TARGET_UA = 80000


class Reference:
    def __init__(self, n_states):
        self.pulses = 0
        self.pos = 0
        self.neg = 0
        self.amp = 0
        self.sq = 0
        self.peak = 0
        self.state_ms = [0] * n_states

    def pulse(self, spec, ua):
        if ua <= 0:
            return
        self.pulses += 1
        self.pos += ua * spec.pos_us
        self.neg += ua * spec.neg_us
        self.amp += ua
        self.sq += ua * ua * (spec.pos_us + spec.neg_us)
        self.peak = max(self.peak, ua)

    def check(self, dose, total_ms):
        assert dose.pulses == self.pulses
        assert dose.charge_pc() == (self.pos, self.neg)
        assert dose.charge_nc() == (self.pos // 1000, self.neg // 1000)
        assert dose.net_charge_pc() == self.pos - self.neg
        assert dose.peak_ua == self.peak
        assert dose.mean_ua() == (self.amp // self.pulses if self.pulses else 0)
        assert dose.state_ms == self.state_ms
        assert dose.total_ms() == total_ms
        want_rms = math.isqrt(self.sq // (total_ms * 1000)) if total_ms else 0
        assert dose.rms_ua() == want_rms


class ModelEmitter:
    """Pulses per tick from core/pulses.py, in absolute microseconds. A new
    spec starts a new train at the old train's next pulse."""

    def __init__(self):
        self.t = 0
        self.t0 = 0
        self.spec = None

    def run(self, spec, tick_us):
        if self.spec is None or not spec.same_as(self.spec):
            if self.spec is not None:
                k = pulses.first_pulse_at(self.spec, self.t0, self.t)
                self.t0 += pulses.start_offset(self.spec, k)
            self.spec = PulseSpec().copy_from(spec)
        first, end = pulses.pulses_in_window(self.spec, self.t0, self.t, self.t + tick_us)
        self.t += tick_us
        return end - first


@pytest.mark.parametrize("prog", programs.PRESETS, ids=[p.pid for p in programs.PRESETS])
def test_dual_check_emitter_agrees_with_pulse_model(prog):
    small, model = Emitter(), ModelEmitter()
    ticks = []

    def on_tick(spec, scale, n):
        ticks.append(n == model.run(spec, 10000))

    run(prog, emitter=small, on_tick=on_tick)
    assert ticks and all(ticks)


@pytest.mark.parametrize("prog", programs.PRESETS, ids=[p.pid for p in programs.PRESETS])
def test_whole_session_matches_pulse_by_pulse_count(prog):
    dose = Dose(8)
    ref = Reference(8)

    def on_tick(spec, scale, n):
        ua = TARGET_UA * scale // 1000
        dose.add_pulses(spec, ua, n)
        for _ in range(n):
            ref.pulse(spec, ua)

    m = run(prog, emitter=ModelEmitter(), on_tick=on_tick)
    assert m.pulses >= dose.pulses > 0
    dose.add_time(0, m.session_ms)
    ref.state_ms[0] += m.session_ms
    ref.check(dose, m.session_ms)
    # Session sums are far past MicroPython's small ints: the point of Wide.
    assert dose.charge_pc()[0] > 1 << 30
    # Continuous programs deliver every emitted pulse: pulses = rate x time.
    if prog.pid == "tens":
        assert dose.pulses == 1800 * 100
    if prog.pid == "burst":
        assert dose.pulses == 1800 * 2 * 7
    if prog.pid == "acu":
        assert dose.pulses == 1800 * 2


feeds = st.lists(
    st.tuples(
        st.integers(50, 400),                 # phase us
        st.integers(0, 100),                  # gap us
        st.integers(0, MAX_UA),               # amplitude uA
        st.one_of(st.integers(0, 5), st.integers(0, 5000)),   # pulses this tick
        st.integers(0, 7),                    # channel state
        st.integers(0, 1000),                 # ms in that state
    ),
    max_size=40)


@settings(max_examples=300, deadline=None)
@given(feeds)
def test_random_feeds_match_exact_sums(feed):
    dose = Dose(8)
    ref = Reference(8)
    total = 0
    for phase, gap, ua, n, state, ms in feed:
        spec = PulseSpec(phase_us=phase, gap_us=gap, period_us=20000)
        dose.add_pulses(spec, ua, n)
        for _ in range(n):
            ref.pulse(spec, ua)
        dose.add_time(state, ms)
        ref.state_ms[state] += ms
        total += ms
    ref.check(dose, total)


def test_unbalanced_spec_shows_net_charge():
    # The envelope refuses unequal phases; the accounting still reports them
    # truthfully if one ever reached it.
    dose = Dose(1)
    dose.add_pulses(PulseSpec(phase_us=200, neg_us=150), 10000, 3)
    assert dose.net_charge_pc() == 3 * 10000 * 50
