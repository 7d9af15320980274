# Millisecond tick arithmetic with the semantics of MicroPython's time.ticks_*:
# the counter wraps at 2**30 on every port, so differences are taken modulo the
# period and read as signed. Core code never subtracts raw tick values.
#
# Every intermediate stays inside MicroPython's small-int range (-2**30 ..
# 2**30 - 1): a larger value would be a heap-allocated big int, and these run
# in every control tick, where nothing may allocate.
from micropython import const

TICKS_PERIOD = 1 << 30
_TICKS_MAX = const(0x3FFFFFFF)
_TICKS_HALF = const(0x20000000)


try:
    # MicroPython's own: the same answers (host_tests/dual/check_ticks.py), in C,
    # where a Python function costs a call (some 25 us on an RP2040) each time:
    # several a control tick.
    from time import ticks_add, ticks_diff
except ImportError:
    def ticks_add(ticks, delta):
        # |delta| < 2**29 (about 6 days in ms).
        if delta >= 0:
            s = ticks - _TICKS_MAX - 1 + delta
        else:
            s = ticks + delta
        if s < 0:
            s = s + _TICKS_MAX + 1
        return s

    def ticks_diff(end, start):
        # Signed distance end - start, valid while |distance| < 2**29 ms.
        d = end - start
        if d >= _TICKS_HALF:
            d = d - _TICKS_MAX - 1
        elif d < -_TICKS_HALF:
            d = d + _TICKS_MAX + 1
        return d
