# Fixed-point scaling that stays in small ints: ustim.core.fixed.muldiv equals
# the exact floor(a * b / c) over its whole range, and the amplitude adapter
# built on it allocates nothing per set() at any amplitude (MicroPython's small
# ints end at 2**30: 30 mA * 65535 is already a heap-allocated big int there).
import sys

from dualcheck import Lcg, eq

from ustim.core.fixed import muldiv
from ustim.hal.amplitude import DAC_MAX, Amplitude, code_to_ua, ua_to_code

ON_MICROPYTHON = sys.implementation.name == "micropython"
if ON_MICROPYTHON:
    import gc

A_MAX = (1 << 19) - 1
B_MAX = (1 << 20) - 1


def _heap():
    return gc.mem_alloc() if ON_MICROPYTHON else 0


def check_muldiv_is_exact():
    rng = Lcg(2024)
    corners = ((0, 0, 1), (A_MAX, B_MAX, B_MAX), (A_MAX, 1023, 1), (1, B_MAX, 3),
               (100000, 65535, 100000), (80000, 255, 100000), (65535, 100000, 65535))
    for a, b, c in corners:
        eq(muldiv(a, b, c), a * b // c, "muldiv(%d, %d, %d)", a, b, c)
    for _ in range(2000):
        a = rng.below(A_MAX + 1)
        b = rng.below(B_MAX + 1)
        c = 1 + rng.below(B_MAX)
        if a * b // c >= 1 << 30:
            continue
        eq(muldiv(a, b, c), a * b // c, "muldiv(%d, %d, %d)", a, b, c)


class _Board:
    CHANNELS = 2
    AMP_FULL_SCALE_UA = 100000
    LIMITS = {"max_peak_ua": 80000}


class _Sink(Amplitude):
    # The adapter's logic without a peripheral: write() only keeps the code.
    def __init__(self, code_max):
        Amplitude.__init__(self, _Board, code_max)
        self.codes = [0, 0]

    def write(self, ch, code):
        self.codes[ch] = code


def _sweep(amp, top):
    ua = 0
    while ua <= top:
        amp.set(0, ua)
        amp.set(1, top - ua)
        ua += 7


def check_amplitude_scales_like_the_exact_formula():
    for code_max in (65535, DAC_MAX):
        amp = _Sink(code_max)
        for ua in (0, 1, 2, 16384, 16385, 30000, 49999, 80000, 80001, 200000):
            code = amp.set(0, ua)
            want = min(max(ua, 0), 80000) * code_max // 100000
            eq(code, want, "code for %d uA of %d", ua, code_max)
            eq(amp.codes[0], want, "written")
            eq(amp.ua[0], code_to_ua(code, 100000, code_max), "read back")
            eq(amp.ua[0], want * 100000 // code_max, "read back, exact")
            eq(ua_to_code(ua, 100000, 80000, code_max), want, "ua_to_code")


def check_amplitude_set_allocates_nothing():
    for code_max in (65535, DAC_MAX):
        amp = _Sink(code_max)
        _sweep(amp, 1000)          # warm up: first calls may intern names
        before = _heap()
        _sweep(amp, 100000)
        eq(_heap() - before, 0, "bytes allocated by 2 x 14286 set() calls, code max %d",
           code_max)
