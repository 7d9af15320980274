# The checks test_sim_scenarios relies on must find what they look for: each
# is shown a hand-made recording with exactly one defect.
import sim_checks as K
from tools.sim.out.recording import Recording
from ustim.core import limits

AREA = 2500


def _rec(events, pulses, amplitude=()):
    rec = Recording(duration_ms=2000)
    rec.events = list(events)
    for p in pulses:
        rec.add_pulse(*p)
    rec.amplitude = list(amplitude)
    return rec


def _p(ch, start, pos, gap, neg, ua):
    """A pulse as the probe records it, each phase at the setpoint's charge."""
    return (ch, start, pos, gap, neg, ua, ua * pos, ua * neg)


def _train(ch, t0_us, n, period=10000, ua=20000, phase=200, gap=50):
    return [_p(ch, t0_us + k * period, phase, gap, phase, ua) for k in range(n)]


EVENTS = [(0, "boot 1 (reset cause 1)"), (10, "ch1 select tens"), (100, "ch1 start tens"),
          (500, "ch1 FAULT open"), (800, "ch1 fault cleared"), (900, "ch1 start tens"),
          (1500, "ch1 session ended (ok)")]


def test_windows_follow_the_events():
    rec = _rec(EVENTS, [])
    assert K.output_windows(rec, 0) == [(100, 500), (900, 1500)]
    assert K.output_windows(rec, 1) == []


def test_pulse_during_a_fault_is_found():
    good = _train(0, 100000, 40) + _train(0, 900000, 60)
    assert K.pulses_outside_windows(_rec(EVENTS, good)) == []
    stray = _p(0, 600000, 200, 50, 200, 20000)
    assert K.pulses_outside_windows(_rec(EVENTS, good + [stray])) == [stray]
    # A pulse on a channel that was never started.
    other = _p(1, 200000, 200, 50, 200, 20000)
    assert K.pulses_outside_windows(_rec(EVENTS, good + [other])) == [other]


def test_refused_start_and_reset_close_the_window():
    events = [(0, "boot 1"), (100, "ch2 start tens"), (130, "ch2 start refused: open"),
              (200, "ch2 start tens"), (300, "reset: brownout"), (600, "boot 2")]
    rec = _rec(events, [])
    assert K.output_windows(rec, 1) == [(100, 130), (200, 300)]


def test_overlap_of_a_and_b_is_found():
    ok = _train(0, 0, 5)
    assert K.ab_overlaps(_rec([], ok)) == []
    # Next pulse's A phase starts while the previous B phase is still high.
    late = _p(0, ok[-1][1] + 300, 200, 50, 200, 20000)
    assert K.ab_overlaps(_rec([], ok + [late])) == [late]


def test_envelope_check_finds_an_excess():
    env = limits.Envelope()
    events = [(0, "ch1 select tens")]
    assert K.envelope_refusals(_rec(events, _train(0, 1000, 10)), env, AREA) == []
    # Peak current above 80 mA.
    high = _train(0, 1000, 10, ua=90000)
    bad = K.envelope_refusals(_rec(events, high), env, AREA)
    assert len(bad) == 10 and bad[0][1].limit == "peak current"
    # 200 Hz is above the TENS frequency cap, judged from the pulse spacing.
    fast = _train(0, 1000, 10, period=5000)
    assert K.envelope_refusals(_rec(events, fast), env, AREA)
    # 120 Hz passes for TENS but not for an EMS program (100 Hz cap).
    quick = _train(0, 1000, 10, period=8334)
    assert K.envelope_refusals(_rec(events, quick), env, AREA) == []
    assert K.envelope_refusals(_rec([(0, "ch1 select oa")], quick), env, AREA)


def test_cut_pulse_is_reported():
    cut = _p(0, 5000, 200, 0, 0, 20000)
    assert K.cut_pulses(_rec([], _train(0, 0, 3) + [cut])) == [cut]


def test_last_session_starts_after_the_probe():
    probe = _train(0, 900000, 3, ua=1500)
    session = _train(0, 950000, 20, ua=10000)
    amps = [(900000, 0, 1500), (930000, 0, 0), (940000, 0, 10000), (1400000, 0, 0)]
    rec = _rec(EVENTS, _train(0, 100000, 40) + probe + session, amps)
    assert K.last_session_pulses(rec, 0) == session
    d = K.dose_of(session)
    assert d == {"pulses": 20, "pos_nc": 20 * 10000 * 200 // 1000,
                 "neg_nc": 20 * 10000 * 200 // 1000, "net_pc": 0, "peak_ua": 10000,
                 "mean_ua": 10000}
