# CPython stand-in for MicroPython's `micropython` module, so firmware code that
# does `from micropython import const` imports unchanged on the host.


def const(value):
    return value


def native(func):
    return func


def viper(func):
    return func


def schedule(func, arg):
    func(arg)
    return True


def alloc_emergency_exception_buf(size):
    return None
