# Helpers for checks that run unchanged on CPython (under pytest) and on
# MicroPython (tools/dev/mpy_run.py): no pytest, no typing, no f-string "=".


# Messages are formatted only on failure (what % args): checks stay cheap on
# MicroPython, where the runner keeps garbage collection off.


def _msg(what, args):
    return what % args if args else what


def eq(got, want, what="", *args):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (_msg(what, args), got, want))


def true(cond, what="", *args):
    if not cond:
        raise AssertionError("expected true: %s" % _msg(what, args))


def raises(exc_type, func, *args):
    try:
        func(*args)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, func, args))


class Lcg:
    # The same pseudo-random sequence on both runtimes, for randomised checks
    # whose cases must match exactly. Park-Miller (a = 16807) with Schrage's
    # method on a prime modulus below 2**30, so every intermediate stays a small
    # int: MicroPython allocates nothing per draw.
    _M = 1073741789
    _A = 16807
    _Q = _M // _A
    _R = _M % _A

    def __init__(self, seed=12345):
        self.state = seed % (self._M - 1) + 1

    def next(self):
        s = self._A * (self.state % self._Q) - self._R * (self.state // self._Q)
        self.state = s if s > 0 else s + self._M
        return self.state

    def below(self, n):
        return (self.next() >> 4) % n

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)
