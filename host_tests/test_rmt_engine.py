"""The ESP32 RMT pulse engine (ustim.hal.esp32_rmt) on the esp32 and machine
shims: what it writes to the A and B channels reproduces the reference model
(ustim.core.pulses) edge for edge, B late by the A-to-B write skew the calls
cost on the board clock, A and B never overlap, at most 2 pulses follow the
last service() call, and stop() leaves both pins low."""

import board_time
import esp32
import machine
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards import esp32_devkitc as board
from ustim.core import limits, pulses
from ustim.core.spec import PulseSpec
from ustim.hal import esp32_rmt

ENV = limits.Envelope(board.LIMITS)


def _skew(spec):
    """A to B: the rest of A's write call, then B's until its transmission starts."""
    items = 2 * esp32_rmt.pieces_for(spec) + 2
    return esp32.WRITE_RETURN_US + esp32._cost(items)


def _now():
    return board_time.now_us()


def _engine(spec, ch=0, pause=None):
    esp32.reset(alloc_pause=pause)
    machine.reset_state()
    board_time.reset(0)
    eng = esp32_rmt.RmtPulseEngine(board, ticks_us=esp32.now_us)
    eng.configure(ch, spec)
    esp32.advance(1000)
    eng.start(ch)
    a, b = esp32.channels()[-2:]
    assert (a.pin_id, b.pin_id) == (board.PIN_A[ch], board.PIN_B[ch])
    assert a.resolution_hz == b.resolution_hz == 1000000
    assert not a.idle_level and not b.idle_level and a.loop == b.loop == 0
    return eng, a, b


def _drive(eng, tick, until):
    last = None
    while _now() < until:
        esp32.advance(tick)
        if eng.service():
            last = _now()
    return last


def _model(spec, t0, count):
    out = [0] * (4 * count)
    pulses.fill_edges(spec, t0, 0, count, out)
    a = [(out[i], out[i + 1]) for i in range(0, len(out), 4)]
    b = [(out[i + 2], out[i + 3]) for i in range(0, len(out), 4)]
    return a, b


def _no_overlap(a, b):
    for s0, e0 in a:
        for s1, e1 in b:
            assert e0 <= s1 or e1 <= s0, ((s0, e0), (s1, e1))


def _check_train(spec, tick, cycles=3):
    skew = _skew(spec)
    eng, ra, rb = _engine(spec)
    _drive(eng, tick, _now() + cycles * spec.cycle_us())
    a, b = ra.timeline(), rb.timeline()
    assert len(a) >= cycles * spec.pulses_per_cycle()
    want_a, want_b = _model(spec, a[0][0], len(a))
    assert a == want_a, spec
    assert b[:len(a)] == [(s + skew, e + skew) for s, e in want_b][:len(b)], spec
    _no_overlap(a, b)
    return eng, ra, rb


PRESETS = [
    PulseSpec(phase_us=200, gap_us=0, period_us=10000),
    PulseSpec(phase_us=250, gap_us=0, period_us=500000),
    PulseSpec(phase_us=200, period_us=10000, burst_n=7, burst_period_us=500000),
    PulseSpec(phase_us=300, gap_us=0, period_us=20000, ems=True),
    PulseSpec(phase_us=50, gap_us=0, period_us=6667),
    PulseSpec(phase_us=400, gap_us=100, period_us=1000000),
]


@pytest.mark.parametrize("spec", PRESETS, ids=repr)
def test_presets_match_model(spec):
    _check_train(spec, tick=1000)


@st.composite
def specs(draw):
    period = draw(st.integers(6667, 1000000))
    n = draw(st.sampled_from([1, 1, 2, 5, 20]))
    return PulseSpec(phase_us=draw(st.integers(50, 400)), gap_us=draw(st.integers(0, 100)),
                     period_us=period, burst_n=n,
                     burst_period_us=n * period + draw(st.integers(0, 500000)) if n > 1 else 0)


@settings(max_examples=200, deadline=None)
@given(spec=specs(), tick=st.integers(200, 5000))
def test_random_specs_match_model(spec, tick):
    if limits.check_spec(ENV, spec) is not None:
        return
    # A controller that services within every idle stretch keeps it exact.
    idle = min(pulses.idle_after(spec, i) for i in range(spec.pulses_per_cycle()))
    _check_train(spec, min(tick, idle - _skew(spec)), cycles=2)


@settings(max_examples=100, deadline=None)
@given(spec=specs(), tick=st.integers(200, 20000), stop_after=st.integers(0, 3000000))
def test_dead_man_at_most_two_pulses(spec, tick, stop_after):
    if limits.check_spec(ENV, spec) is not None:
        return
    eng, ra, rb = _engine(spec)
    last = _drive(eng, tick, _now() + stop_after)
    last = ra.writes[-1][0] if last is None else last
    esp32.advance(3 * spec.cycle_us())     # the controller has hung
    assert not ra.active() and not rb.active(), "RMT back at its idle level (low)"
    after = [s for s, _ in ra.timeline() if s >= last]
    assert len(after) <= 2
    _no_overlap(ra.timeline(), rb.timeline())


@given(period=st.integers(6667, 30000), late=st.integers(2, 5))
def test_late_controller_makes_pulses_late_never_early(period, late):
    spec = PulseSpec(phase_us=300, gap_us=20, period_us=period)
    eng, ra, rb = _engine(spec)
    _drive(eng, late * period, _now() + 20 * period)
    a, b = ra.timeline(), rb.timeline()
    assert all(e - s == 300 for s, e in a) and all(e - s == 300 for s, e in b)
    starts = [s for s, _ in a]
    assert all(y - x >= period for x, y in zip(starts, starts[1:], strict=False))
    assert [s - 320 - _skew(spec) for s, _ in b] == starts
    _no_overlap(a, b)


def test_stop_leaves_pins_low_and_releases_rmt():
    spec = PulseSpec(phase_us=200, gap_us=10, period_us=10000)
    eng, ra, rb = _engine(spec, ch=1)
    esp32.advance(1050)       # inside the first pulse's A phase
    eng.stop(1)
    assert not ra.valid and not rb.valid and ra.stops and rb.stops
    for pin_id in (board.PIN_A[1], board.PIN_B[1]):
        pin = machine.pin(pin_id)
        assert pin.mode() == machine.Pin.OUT and pin.level == 0
    assert not eng.running(1)
    assert eng.service() == 0
    assert ra.timeline()[-1][1] <= _now(), "A's stretch cut at the stop"


def test_window_lists_split_long_lows():
    spec = PulseSpec(phase_us=400, gap_us=100, period_us=1000000)
    p = esp32_rmt.pieces_for(spec)
    assert p == 31
    n = 2 * p + 2
    lists = [[0] * n for _ in range(4)]
    esp32_rmt.fill_window(spec, 0, 1000000 - 900, p, *lists)
    dur_a, lev_a, dur_b, lev_b = lists
    assert max(dur_a + dur_b) <= esp32_rmt.PULSE_MAX and min(dur_a + dur_b) >= 1
    assert sum(dur_a) + 100 + 400 == sum(dur_b)
    assert lev_a.count(1) == lev_b.count(1) == 2


def test_refuses_unbalanced_and_requires_configure():
    esp32.reset()
    machine.reset_state()
    board_time.reset(0)
    eng = esp32_rmt.RmtPulseEngine(board, ticks_us=esp32.now_us)
    with pytest.raises(ValueError):
        eng.start(0)
    with pytest.raises(ValueError):
        eng.configure(0, PulseSpec(phase_us=200, neg_us=100))


# -- A and B exclusive whatever the skew between the two writes ----------------

def _overlaps(ra, rb):
    out = []
    for s0, e0 in ra.timeline():
        for s1, e1 in rb.timeline():
            if s0 < e1 and s1 < e0:
                out.append(((s0, e0), (s1, e1)))
    return out


def _adversary(delays):
    """A pause before each write's transmission starts, taken in turn from
    `delays` (us, no bound: a garbage collection, an interrupt storm)."""
    it = iter(delays)
    return lambda rmt, *_items: next(it, 0)


# A pause is any number of us, or one near the idle between a window's two
# pulses (offset from it), where B's first phase would land on A's second.
PAUSES = st.lists(st.tuples(st.booleans(), st.integers(-600, 100000)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(spec=specs(), tick=st.integers(200, 20000), pauses=PAUSES, new_buffers=st.booleans())
def test_no_overlap_for_any_write_skew(spec, tick, pauses, new_buffers):
    if limits.check_spec(ENV, spec) is not None:
        return
    idle = pulses.idle_after(spec, 0)
    delays = [max(0, idle + v % 1200 - 600 if near else v) for near, v in pauses]
    if new_buffers:
        # The pause where the first write of a longer sequence reallocates.
        eng, ra, rb = _engine(spec, pause=_adversary(delays))
    else:
        esp32.set_call_pause(_adversary(delays))
        eng, ra, rb = _engine(spec)
    tripped = None
    try:
        _drive(eng, tick, _now() + 3 * spec.cycle_us())
    except RuntimeError as e:
        tripped = e
        eng.stop_all()
    esp32.advance(3 * spec.cycle_us())
    esp32.catch_up()
    assert _overlaps(ra, rb) == []
    for pin_id in (board.PIN_A[0], board.PIN_B[0]):
        assert machine.pin(pin_id).level == 0
    if tripped is not None:
        assert "skew" in str(tripped)


def test_a_skew_past_the_idle_stops_the_channel_before_b_overlaps():
    # 150 Hz, 200 us phases: 6267 us between a window's two pulses. A pause of
    # 6300 us before B's transmission would put B's first phase on A's second.
    spec = PulseSpec(phase_us=200, gap_us=0, period_us=6667)
    eng, ra, rb = _engine(spec)
    esp32.set_call_pause(lambda rmt: 6300 if rmt is rb else 0)
    with pytest.raises(RuntimeError, match="skew"):
        _drive(eng, 1000, _now() + 4 * spec.period_us)
    esp32.advance(20000)
    esp32.catch_up()
    assert not ra.active() and not rb.active()
    assert _overlaps(ra, rb) == []


def test_a_slower_spec_then_a_faster_one_while_running():
    # alt: 2 Hz, then 100 Hz. The window after the change starts with the
    # old spec's long idle still to wait: it must not become one RMT item
    # longer than 32767 ticks (the driver refuses it: a firmware error).
    slow = PulseSpec(phase_us=200, gap_us=0, period_us=500000)
    fast = PulseSpec(phase_us=200, gap_us=0, period_us=10000)
    eng, ra, rb = _engine(slow)
    _drive(eng, 10000, _now() + 1200000)
    eng.configure(0, fast)
    _drive(eng, 10000, _now() + 1500000)
    a = ra.timeline()
    starts = [s for s, _ in a]
    gaps = sorted({y - x for x, y in zip(starts, starts[1:], strict=False)})
    assert gaps[0] == 10000 and gaps[-1] <= 500000, gaps
    assert len([s for s in starts if s > starts[-1] - 1000000]) > 20, "runs at 100 Hz"
    _no_overlap(a, rb.timeline())
