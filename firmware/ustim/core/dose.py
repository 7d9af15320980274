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
        # Pulses of one shape not yet in the sums: a steady output adds one
        # count per tick; the limb arithmetic runs when the shape changes.
        self._run_n = 0
        self._run_ua = 0
        self._run_pos = 0
        self._run_neg = 0

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
        self._fold()
        self.pulses += n
        if ua > self.peak_ua:
            self.peak_ua = ua
        self._run_ua = ua
        self._run_pos = pos
        self._run_neg = neg
        self._run_n = n

    def _fold(self):
        # The pending run into the limb sums.
        n = self._run_n
        if n <= 0:
            return
        self._run_n = 0
        ua = self._run_ua
        qp = ua * self._run_pos
        qn = ua * self._run_neg
        sq = ua * (self._run_pos + self._run_neg)
        while n > 0:
            k = n if n < _CHUNK else _CHUNK
            self.pos_pc.add_mul(qp, k)
            self.neg_pc.add_mul(qn, k)
            self.amp_sum.add_mul(ua, k)
            self.sq_sum.add_mul(sq, ua * k)
            n -= k

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
