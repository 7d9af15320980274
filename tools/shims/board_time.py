# MicroPython's `time` on the simulated board, and the board's clock.
#
# The clock is in whole microseconds of board time and moves only when
# something says so: a hardware model charges what an operation takes on the
# chip (an I2C transaction, an ADC conversion, an RMT write: charge(us)), and a
# sleep hands the time up to its end to whoever drives the board (the
# simulator, through set_sleeper), which advances the peripherals and the
# clock. Python code between those calls takes no board time, so a tick's
# length on the board is the sum of what the models charged.
#
# The simulator installs this module as `time` for the firmware
# (sys.modules["time"]); shims import it for the time of pin edges.
# Runs on CPython and inside MicroPython (the simulator's guest).

_TICKS_MASK = 0x3FFFFFFF      # ticks_* wrap at 2**30 on every port
_TICKS_HALF = 0x20000000

_now = 0                      # board time, us since the simulation began
_boot = 0                     # board time of the last boot: ticks count from here
_sleeper = None               # sleeper(until_us, kind) advances the board to until_us
SLEEPS = []                   # (kind, us) of every sleep, newest last (tests read it)
_SLEEPS_MAX = 1000


def now_us():
    return _now


def charge(us):
    """An operation on the chip took `us` microseconds."""
    global _now
    _now += us


def advance_to(t_us):
    """Move the clock forward to t_us (never back)."""
    global _now
    if t_us > _now:
        _now = t_us


def reset(t_us=0):
    """A fresh clock at t_us (tests); the next boot counts ticks from it."""
    global _now, _boot, _sleeper
    _now = t_us
    _boot = t_us
    _sleeper = None
    del SLEEPS[:]


def boot():
    """The board has just come out of reset: ticks_ms() restarts from 0."""
    global _boot
    _boot = _now


def set_sleeper(fn):
    global _sleeper
    _sleeper = fn


def sleep_until(t_us, kind="sleep"):
    """The CPU waits until t_us: the driver runs the board up to it."""
    SLEEPS.append((kind, t_us - _now))
    if len(SLEEPS) > _SLEEPS_MAX:
        del SLEEPS[0]
    if _sleeper is not None:
        _sleeper(t_us, kind)
    advance_to(t_us)


# -- the time module ---------------------------------------------------------

def ticks_us():
    return (_now - _boot) & _TICKS_MASK


def ticks_ms():
    return ((_now - _boot) // 1000) & _TICKS_MASK


def ticks_cpu():
    return ticks_us()


def ticks_add(ticks, delta):
    return (ticks + delta) & _TICKS_MASK


def ticks_diff(end, start):
    d = (end - start) & _TICKS_MASK
    return d - _TICKS_MASK - 1 if d >= _TICKS_HALF else d


def sleep_us(us):
    # A busy wait on the ports (mp_hal_delay_us): the CPU does nothing else,
    # the peripherals go on (kind "busy": the driver crosses to nobody).
    if us > 0:
        sleep_until(_now + us, "busy")


def sleep_ms(ms):
    if ms > 0:
        sleep_until(_now + ms * 1000)


# The rest of `time` is the host's (CPython): while this module stands in for
# it, libraries of the simulator itself that import time then (a test
# framework, a thread) get the host's clocks and sleep, not the board's.
try:
    import time as _host
except ImportError:      # pragma: no cover - MicroPython has no host below it
    _host = None


def __getattr__(name):
    return getattr(_host, name)
