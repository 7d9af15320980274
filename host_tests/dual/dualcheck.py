# Helpers for checks that run unchanged on CPython (under pytest) and on
# MicroPython (tools/mpy_run.py): no pytest, no typing, no f-string "=".


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
    # The same pseudo-random sequence on both runtimes (Numerical Recipes LCG),
    # for randomised checks whose cases must match exactly across runtimes.
    def __init__(self, seed=12345):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state

    def below(self, n):
        return (self.next() >> 8) % n

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)
