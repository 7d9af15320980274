# Integer arithmetic that stays inside MicroPython's small ints (below 2**30 on
# 32-bit ports): a larger intermediate is a heap-allocated big int, and code on
# the control tick must allocate nothing.
from micropython import const

_SPLIT = const(10)
_LOW = const(1023)


def muldiv(a, b, c):
    """floor(a * b / c), exactly, for 0 <= a < 2**19, 0 <= b < 2**20 and
    0 < c < 2**20 and a result below 2**30: no intermediate reaches 2**30.
    b = b1 * 1024 + b0, so a * b = a * b1 * 1024 + a * b0, and each part is
    divided by c before it is scaled up."""
    # // and a product, not divmod(): its result tuple would allocate.
    x = a * (b >> _SPLIT)
    q1 = x // c
    x = (x - q1 * c) << _SPLIT
    q2 = x // c
    return (q1 << _SPLIT) + q2 + (x - q2 * c + a * (b & _LOW)) // c
