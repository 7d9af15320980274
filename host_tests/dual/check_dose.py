# Dose accounting against an independent count: the reference emitter of
# session_meter says which pulses start in each tick; this check sums their
# charge, amplitude and squared current pulse by pulse, while Dose is fed once
# per tick with the pulse count. Sums are flushed from small ints into a total
# only every few pulses, to keep big-int garbage low on MicroPython (gc off).
# The squared-current sum (rms) is compared pulse by pulse on CPython, in
# host_tests/test_dose.py: per pulse it is a big int at these amplitudes.
from dualcheck import Lcg, eq, raises, true
from session_meter import Emitter

from ustim.core import limits, programs
from ustim.core.dose import MAX_UA, Dose, Wide
from ustim.core.sequencer import Sequencer
from ustim.core.spec import PulseSpec

TICK_MS = 10
TARGET_UA = 60000
FLUSH = 1 << 28


class Sum:
    def __init__(self):
        self.total = 0
        self.part = 0

    def add(self, v):
        self.part += v
        if self.part >= FLUSH:
            self.total += self.part
            self.part = 0

    def value(self):
        return self.total + self.part


def _segment(prog, seconds):
    """Run seconds of prog; return (dose, independent sums)."""
    seq = Sequencer()
    seq.load(prog)
    dose = Dose(8)
    em = Emitter()
    spec = seq.spec
    pos, neg, amp = Sum(), Sum(), Sum()
    ref = {"pulses": 0, "peak": 0, "stage_ms": [0] * 8}
    t = 0
    while t < seconds * 1000:
        scale = seq.tick(t)
        ua = TARGET_UA * scale // 1000
        n = em.run(spec, TICK_MS * 1000)
        dose.add_pulses(spec, ua, n)
        dose.add_time(seq.stage, TICK_MS)
        ref["stage_ms"][seq.stage] += TICK_MS
        k = 0
        while k < n and ua > 0:
            ref["pulses"] += 1
            if ua > ref["peak"]:
                ref["peak"] = ua
            pos.add(ua * spec.pos_us)
            neg.add(ua * spec.neg_us)
            amp.add(ua)
            k += 1
        t += TICK_MS
    ref["pos"] = pos.value()
    ref["neg"] = neg.value()
    ref["amp"] = amp.value()
    return dose, ref


def _compare(prog, seconds):
    dose, ref = _segment(prog, seconds)
    eq(dose.pulses, ref["pulses"], "%s pulses", prog.pid)
    true(dose.pulses > 0, "%s delivered pulses", prog.pid)
    eq(dose.charge_pc(), (ref["pos"], ref["neg"]), "%s charge pC", prog.pid)
    eq(dose.net_charge_pc(), 0, "%s net charge", prog.pid)
    eq(dose.peak_ua, ref["peak"], "%s peak", prog.pid)
    eq(dose.mean_ua(), ref["amp"] // ref["pulses"], "%s mean", prog.pid)
    eq(dose.state_ms, ref["stage_ms"], "%s time per state", prog.pid)
    eq(dose.total_ms(), seconds * 1000, "%s total time", prog.pid)
    return dose


def check_continuous_presets_against_emitted_pulses():
    for pid in ("tens", "acu", "burst"):
        _compare(programs.find(pid), 20)


def check_changing_presets_against_emitted_pulses():
    for pid in ("alt", "mod"):
        _compare(programs.find(pid), 20)


def check_nmes_presets_against_emitted_pulses():
    # A whole contraction cycle or more of each, ramps included.
    for pid, seconds in (("oa", 61), ("tka", 61), ("short", 31)):
        dose = _compare(programs.find(pid), seconds)
        true(dose.mean_ua() < dose.peak_ua, "%s ramps lower the mean", pid)


def check_burst_pulse_count_exact():
    # 2 bursts/s x 7 pulses, 10 s: 140 pulses at full scale.
    dose, ref = _segment(programs.find("burst"), 10)
    eq(dose.pulses, 140, "burst pulses in 10 s")
    eq(dose.charge_pc(), (140 * TARGET_UA * 200, 140 * TARGET_UA * 200), "burst charge")


def check_wide_matches_big_int_sums():
    rng = Lcg(77)
    w = Wide()
    want = 0
    for _ in range(200):
        a = rng.below(1 << 28)
        b = rng.below(1 << 28) if rng.below(4) == 0 else rng.below(3000)
        w.add_mul(a, b)
        want += a * b
    eq(w.value(), want, "wide sum")
    w.add_mul((1 << 28) - 1, (1 << 28) - 1)
    eq(w.value(), want + ((1 << 28) - 1) ** 2, "largest operands")


def check_large_counts_and_domain():
    spec = PulseSpec(phase_us=400, period_us=10000)
    d = Dose(3)
    d.add_pulses(spec, 80000, 5000)   # more than one chunk in one call
    d.add_pulses(spec, 0, 10)         # zero amplitude: nothing delivered
    d.add_pulses(spec, 1000, 0)
    eq(d.pulses, 5000, "pulses")
    eq(d.charge_pc(), (5000 * 80000 * 400,) * 2, "charge")
    eq(d.charge_nc(), (5000 * 80000 * 400 // 1000,) * 2, "charge nC")
    d.add_time(2, 50000)
    # 5000 pulses x 800 us in 50 s: duty 0.08, rms = 80 mA * sqrt(0.08)
    eq(d.rms_ua(), limits.isqrt(80000 * 80000 * 8 // 100), "rms")
    eq(d.rms_ua(), 22627, "rms by hand")
    raises(ValueError, d.add_pulses, spec, MAX_UA + 1, 1)
    raises(ValueError, d.add_time, 3, 10)
    raises(ValueError, d.add_time, -1, 10)
    s = d.summary()
    eq((s["pulses"], s["peak_ua"], s["mean_ua"], s["net_pc"]), (5000, 80000, 80000, 0), "summary")
    d.reset()
    eq((d.pulses, d.charge_pc(), d.total_ms(), d.rms_ua()), (0, (0, 0), 0, 0), "reset")
