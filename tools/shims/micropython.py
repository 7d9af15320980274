# CPython stand-in for MicroPython's `micropython` module, so firmware code that
# does `from micropython import const` imports unchanged on the host.

# The REPL's interrupt character: 3 (Ctrl-C) at every boot, -1 once
# kbd_intr(-1) has disabled it. A port model (tools/shims/stdio.py) reads it
# through interrupt_char() to decide whether a 0x03 from the host raises
# KeyboardInterrupt or arrives as data.
_interrupt_char = 3


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


def kbd_intr(chr):
    global _interrupt_char
    _interrupt_char = chr


def interrupt_char():
    """Host side only (MicroPython has no such function): the character that
    raises KeyboardInterrupt now, or -1."""
    return _interrupt_char
