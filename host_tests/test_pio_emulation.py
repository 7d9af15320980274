"""The RP2040 pulse engine, cycle by cycle in pioemu (tools/perf/pio_bench.py):
the real engine code feeds the real program; every edge must land on the
cycle the reference model (ustim.core.pulses) gives, A and B are never high in
the same cycle, at most 2 pulses follow the last feed, and stop() takes the
pins low in one cycle. The rp2 shim's own state machine (the one the simulated
board runs, with its counted loops fast-forwarded) replays each run and must
give pioemu's edges, cycle for cycle."""

import machine
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from boards import pico
from tools.perf.pio_bench import pulses_from_edges, shim_replay, started
from ustim.hal import rp2_pio
from ustim.core import limits, pulses
from ustim.core.spec import PulseSpec

ENV = limits.Envelope(pico.LIMITS)
CH = 1   # the second channel: its pins are not the lowest, so pin_base matters


def _bench(spec):
    return started(pico, spec, CH)


def _expected(spec, first_rise, count):
    out = [0] * (4 * count)
    pulses.fill_edges(spec, first_rise, 0, count, out)
    return [tuple(out[i:i + 4]) for i in range(0, len(out), 4)]


def _min_interval(spec):
    return min(pulses.interval_after(spec, i) for i in range(spec.pulses_per_cycle()))


def run_and_check(spec, tick=None):
    """Feed pulses until the FIFO holds the last ones of a cycle, then starve
    the engine: the train (every interval of a cycle, n + 1 pulses or more)
    must match the model edge for edge. Returns (pulses, those after the last
    feed)."""
    assert limits.check_spec(ENV, spec) is None, spec
    engine, bench, ctl = _bench(spec)
    n = spec.pulses_per_cycle()
    tick = tick or _min_interval(spec)
    ctl.run_pulses(n - 1, tick, limit=spec.cycle_us() + 2 * spec.period_us + 10 * tick)
    assert bench.both_high == [], spec
    tail = ctl.starve(limit=3 * spec.cycle_us() + 100000)
    assert bench.stalled(), "waits at a pull once the FIFO is empty"
    assert bench.level == 0, "both pins low at the end"
    assert bench.both_high == [], spec
    every = pulses_from_edges(bench.edges)
    assert len(every) >= n + 1, (spec, every)
    assert all(p[3] is not None for p in every), "no pulse cut short"
    assert every[0][0] == 5, "first pulse 5 cycles after start (pull, out, mov, out, set)"
    assert every == _expected(spec, every[0][0], len(every)), spec
    assert shim_replay(pico, spec, CH, ctl.services, bench.clock) == bench.edges, spec
    return every, tail


# Presets of the report table plus the gap paths of the program (0, 1, 2, 3).
GRID = [
    ("conventional 100 Hz 200 us", PulseSpec(phase_us=200, gap_us=0, period_us=10000)),
    ("acupuncture-like 2 Hz 250 us", PulseSpec(phase_us=250, gap_us=0, period_us=500000)),
    ("burst 7 x 100 Hz at 2 Hz 200 us", PulseSpec(phase_us=200, period_us=10000, burst_n=7,
                                                  burst_period_us=500000)),
    ("NMES 50 Hz 300 us", PulseSpec(phase_us=300, gap_us=0, period_us=20000, ems=True)),
    ("corner 50 us 150 Hz", PulseSpec(phase_us=50, gap_us=0, period_us=6667)),
    ("corner 400 us + 100 us gap 1 Hz", PulseSpec(phase_us=400, gap_us=100, period_us=1000000)),
    ("gap 1", PulseSpec(phase_us=50, gap_us=1, period_us=6667)),
    ("gap 2", PulseSpec(phase_us=51, gap_us=2, period_us=6668)),
    ("gap 3", PulseSpec(phase_us=399, gap_us=3, period_us=7001)),
    ("burst 20 x 150 Hz at 1 Hz", PulseSpec(phase_us=50, gap_us=7, period_us=6667, burst_n=20,
                                            burst_period_us=1000000)),
]


@pytest.mark.parametrize("name,spec", GRID, ids=[g[0] for g in GRID])
def test_grid_edges_exact(name, spec):
    every, tail = run_and_check(spec)
    assert len(tail) <= 2, (name, tail)
    widths = {(p[1] - p[0], p[2] - p[1], p[3] - p[2]) for p in every}
    assert widths == {(spec.pos_us, spec.gap_us, spec.neg_us)}


@st.composite
def specs(draw, min_hz=10):
    hz = draw(st.integers(min_hz, 150))
    period = max(6667, 1000000 // hz - draw(st.integers(0, 500)))
    n = draw(st.sampled_from([1, 1, 1, 2, 3, 5]))
    burst_period = 0
    if n > 1:
        burst_period = min(1000000, n * period + draw(st.integers(0, 100000)))
    return PulseSpec(phase_us=draw(st.integers(50, 400)), gap_us=draw(st.integers(0, 100)),
                     period_us=period, burst_n=n, burst_period_us=burst_period)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(spec=specs(), tick_frac=st.integers(5, 100))
def test_random_specs_exact_and_dead_man(spec, tick_frac):
    assume(limits.check_spec(ENV, spec) is None)
    # Control ticks from 5 % to 100 % of the shortest interval: a controller
    # that keeps up, at any phase relative to the pulses. 10-150 Hz here (the
    # emulator's cost grows with the period); 1-10 Hz below and in the grid.
    tick = max(1, _min_interval(spec) * tick_frac // 100)
    _, tail = run_and_check(spec, tick)
    assert len(tail) <= 2


@settings(max_examples=15, deadline=None)
@given(spec=specs(min_hz=1))
def test_random_specs_whole_frequency_range(spec):
    # Down to 1 Hz, where one period is ~31,000 emulator steps: fewer examples.
    if limits.check_spec(ENV, spec) is None:
        _, tail = run_and_check(spec)
        assert len(tail) <= 2


@settings(max_examples=10, deadline=None)
@given(period=st.integers(6667, 20000), lateness=st.integers(2, 6))
def test_late_controller_delays_pulses_but_never_bends_them(period, lateness):
    # service() every `lateness` periods: the FIFO runs dry, pulses come late,
    # each one still exact and never closer than the period.
    spec = PulseSpec(phase_us=300, gap_us=20, period_us=period)
    engine, bench, ctl = _bench(spec)
    for _ in range(6):
        ctl.tick(lateness * period)
    got = [p for p in pulses_from_edges(bench.edges) if p[3] is not None]
    assert len(got) >= 4
    for p in got:
        assert (p[1] - p[0], p[2] - p[1], p[3] - p[2]) == (300, 20, 300)
    starts = [p[0] for p in got]
    assert all(b - a >= period for a, b in zip(starts, starts[1:], strict=False))
    assert bench.both_high == []
    assert shim_replay(pico, spec, CH, ctl.services, bench.clock) == bench.edges


@settings(max_examples=40, deadline=None)
@given(spec=specs(), tick_frac=st.integers(5, 100), stop_frac=st.integers(0, 999))
def test_shim_stops_where_pioemu_stops(spec, tick_frac, stop_frac):
    # A stop anywhere in a pulse or its idle: active(0) then set(pins, 0) on
    # both; the shim's pads follow pioemu's pins to the cycle.
    assume(limits.check_spec(ENV, spec) is None)
    engine, bench, ctl = _bench(spec)
    tick = max(1, _min_interval(spec) * tick_frac // 100)
    for _ in range(3):
        ctl.tick(tick)
    stop_at = bench.clock + spec.cycle_us() * stop_frac // 1000
    bench.run_until(stop_at)
    stop_at = bench.clock
    bench.sm.active(0)
    bench.sm.exec(rp2_pio.SET_PINS_LOW)
    bench.apply_execs()
    bench.run_until(stop_at + 1000)
    got = shim_replay(pico, spec, CH, ctl.services, bench.clock, stop_at=stop_at)
    assert got == bench.edges
    assert bench.level == 0

@pytest.mark.parametrize("at", ["a", "gap", "b", "idle"])
def test_stop_takes_pins_low_next_cycle(at):
    spec = PulseSpec(phase_us=200, gap_us=50, period_us=10000)
    engine, bench, ctl = _bench(spec)
    ctl.tick(10000)          # one pulse done; the next starts at 10005
    offset = {"a": 100, "gap": 220, "b": 300, "idle": 5000}[at]
    bench.run_until(10005 + offset - 1)
    level = bench.level
    assert level == {"a": 1, "gap": 0, "b": 2, "idle": 0}[at]
    stop_at = bench.clock
    engine.stop(CH)
    bench.apply_execs()
    assert bench.level == 0
    low_at = bench.edges[-1][0] if level else stop_at
    assert low_at - stop_at <= 1, "stop latency in cycles"
    # Then the pins belong to plain GPIO, driven low, and nothing more comes.
    for pin_id in (pico.PIN_A[CH], pico.PIN_B[CH]):
        pin = machine.pin(pin_id)
        assert pin.mode() == machine.Pin.OUT and pin.level == 0
    edges = len(bench.edges)
    ctl.tick(50000)
    assert len(bench.edges) == edges and bench.level == 0
    assert not engine.running(CH)
    assert bench.both_high == []
