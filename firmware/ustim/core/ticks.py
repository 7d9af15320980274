# Millisecond tick arithmetic with the semantics of MicroPython's time.ticks_*:
# the counter wraps at 2**30 on every port, so differences are taken modulo the
# period and read as signed. Core code never subtracts raw tick values.
from micropython import const

TICKS_PERIOD = const(1 << 30)
_TICKS_MASK = const((1 << 30) - 1)
_TICKS_HALF = const(1 << 29)


def ticks_add(ticks, delta):
    return (ticks + delta) & _TICKS_MASK


def ticks_diff(end, start):
    # Signed distance end - start, valid while |distance| < 2**29 ms (~6 days).
    return ((end - start + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF
