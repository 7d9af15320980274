# Dose accounting for one channel, in exact integers.
#
# Fed once per control tick: add_pulses(spec, amplitude_ua, n) with the number
# of pulses the pulse engine delivered since the previous tick at that spec and
# amplitude, and add_time(state, ms) with the time spent in a channel state.
# Pulses at zero amplitude deliver nothing and are not counted.
#
# Session sums outgrow MicroPython's small ints (2**30): an hour at 150 Hz,
# 80 mA, 400 us is 1.7e13 pC of charge per polarity. A small int is free, a
# big int is a heap object, so the sums are kept in fixed limbs of 14 bits
# (Wide below) and only turned into one Python int when read out.
from micropython import const

from ustim.core.limits import isqrt

_BITS = const(14)
_MASK = const(0x3FFF)
# Operands of Wide.add_mul are below 2**28: each limb product is then below
# 2**28 and a limb plus two products and a carry stays below 2**30.
_OPERAND_LIMIT = const(1 << 28)
MAX_UA = const((1 << 17) - 1)     # 131 mA, above any envelope
MAX_PHASE_US = const((1 << 10) - 1)
_CHUNK = const(1024)              # MAX_UA * _CHUNK < 2**28
_RUN_MAX = const(1 << 24)         # pulses one run holds before it is folded


class Wide:
    """A non-negative integer accumulator made of four 14-bit limbs (the top
    one open-ended) that never allocates while adding."""

    def __init__(self):
        self.l0 = 0
        self.l1 = 0
        self.l2 = 0
        self.l3 = 0

    def reset(self):
        self.l0 = 0
        self.l1 = 0
        self.l2 = 0
        self.l3 = 0

    def add_mul(self, a, b):
        """Add a * b, for 0 <= a, b < 2**28."""
        a0 = a & _MASK
        a1 = a >> _BITS
        b0 = b & _MASK
        b1 = b >> _BITS
        l0 = self.l0 + a0 * b0
        l1 = self.l1 + a0 * b1 + (l0 >> _BITS)
        self.l0 = l0 & _MASK
        l1 += a1 * b0
        l2 = self.l2 + a1 * b1 + (l1 >> _BITS)
        self.l1 = l1 & _MASK
        self.l2 = l2 & _MASK
        self.l3 += l2 >> _BITS

    def add(self, a):
        self.add_mul(a, 1)

    def value(self):
        # Read-out only: may build a big int.
        v = (self.l3 << _BITS) + self.l2
        v = (v << _BITS) + self.l1
        return (v << _BITS) + self.l0


class Dose:
    def __init__(self, n_states):
        self.state_ms = [0] * n_states
        self.pos_pc = Wide()     # charge delivered in positive phases, pC
        self.neg_pc = Wide()     # charge delivered in negative phases, pC
        self.amp_sum = Wide()    # sum over pulses of amplitude, uA
        self.sq_sum = Wide()     # sum over pulses of amplitude^2 * phase time, uA^2 us
        self.pulses = 0
        self.peak_ua = 0
        # Not yet in the limb sums, because the limb arithmetic costs: a run of
        # pulses of one amplitude and shape (a steady output adds a count per
        # tick), and the sum of amplitude x pulses since the phase widths last
        # changed (a ramp adds one small-int product and one square per tick).
        self._run_n = 0
        self._run_ua = 0
        self._run_pos = 0
        self._run_neg = 0
        self._amp_acc = 0

    def reset(self):
        for i in range(len(self.state_ms)):
            self.state_ms[i] = 0
        self.pos_pc.reset()
        self.neg_pc.reset()
        self.amp_sum.reset()
        self.sq_sum.reset()
        self.pulses = 0
        self.peak_ua = 0
        self._run_n = 0
        self._amp_acc = 0

    def add_pulses(self, spec, ua, n):
        """n pulses of spec delivered at amplitude ua (uA) since the last call."""
        if n <= 0 or ua <= 0:
            return
        pos = spec.pos_us
        neg = spec.neg_us
        if ua == self._run_ua and pos == self._run_pos and neg == self._run_neg \
                and self._run_n < _RUN_MAX:
            self._run_n += n
            self.pulses += n
            return
        if ua > MAX_UA or pos > MAX_PHASE_US or neg > MAX_PHASE_US:
            raise ValueError("dose: amplitude or phase out of range")
        self._end_run()
        if pos != self._run_pos or neg != self._run_neg:
            self._fold_widths()
            self._run_pos = pos
            self._run_neg = neg
        self.pulses += n
        if ua > self.peak_ua:
            self.peak_ua = ua
        self._run_ua = ua
        self._run_n = n

    def _end_run(self):
        # The run into the amplitude sum and the limb sum of squares.
        n = self._run_n
        if n <= 0:
            return
        self._run_n = 0
        ua = self._run_ua
        sq = ua * (self._run_pos + self._run_neg)
        while n > 0:
            k = n if n < _CHUNK else _CHUNK
            q = ua * k
            if self._amp_acc >= _OPERAND_LIMIT - q:
                self._fold_widths()
            self._amp_acc += q
            self.sq_sum.add_mul(sq, q)
            n -= k

    def _fold_widths(self):
        # The amplitude sum into the charge sums, at the widths it was made with.
        a = self._amp_acc
        if a:
            self._amp_acc = 0
            self.pos_pc.add_mul(a, self._run_pos)
            self.neg_pc.add_mul(a, self._run_neg)
            self.amp_sum.add(a)

    def _fold(self):
        self._end_run()
        self._fold_widths()

    def add_time(self, state, ms):
        if state < 0 or state >= len(self.state_ms):
            raise ValueError("dose: no channel state %d" % state)
        if ms > 0:
            self.state_ms[state] += ms

    # Read-outs (not for the per-tick path: they may build big ints).

    def total_ms(self):
        t = 0
        for ms in self.state_ms:
            t += ms
        return t

    def charge_pc(self):
        """(positive, negative) charge in pC."""
        self._fold()
        return self.pos_pc.value(), self.neg_pc.value()

    def charge_nc(self):
        p, n = self.charge_pc()
        return p // 1000, n // 1000

    def net_charge_pc(self):
        p, n = self.charge_pc()
        return p - n

    def mean_ua(self):
        self._fold()
        return self.amp_sum.value() // self.pulses if self.pulses else 0

    def rms_ua(self, over_ms=-1):
        """rms current over over_ms (default: all the time added), floor uA."""
        self._fold()
        if over_ms < 0:
            over_ms = self.total_ms()
        if over_ms <= 0:
            return 0
        return isqrt(self.sq_sum.value() // (over_ms * 1000))

    def summary(self):
        p, n = self.charge_nc()
        return {"pulses": self.pulses, "pos_nc": p, "neg_nc": n,
                "net_pc": self.net_charge_pc(), "peak_ua": self.peak_ua,
                "mean_ua": self.mean_ua(), "rms_ua": self.rms_ua(),
                "state_ms": list(self.state_ms)}
