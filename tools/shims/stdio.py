"""The device's stdin and stdout as MicroPython 1.27 sees them, over the port
the board has, with an explicit clock: a model for host tests (and for the
simulated board, which can plug it in the same way).

    clock = Clock()
    port = make_port("rp2", clock)       # the Pico's USB CDC (UsbCdc)
    port = make_port("esp32", clock)     # the ESP32 DevKitC's UART0 at 115200 (Uart0)

Firmware side, installed by the caller (e.g. with pytest's monkeypatch):

    sys.stdin, sys.stdout = port.stdin, port.stdout   # each with .buffer
    sys.modules["select"] = port.select               # poll(): poll, ipoll, register
    sys.modules["time"] = clock.time                  # ticks_ms/us, sleep_ms, ...

Host side, the PC at the other end of the cable:

    port.host_write(b"status\\n")   # queued; the port takes it at its own pace
    port.host_read()                 # what the host program has read since last time
    port.reading = False             # the host keeps the port open and reads nothing
    port.host_bps = 2000             # send at most this many bytes per second
    port.connected = False           # rp2: no program has the port open (DTR low)

Only the clock moves time: clock.advance_us(), the time stand-in's sleep_ms,
and the port's own blocking calls, which advance it by as long as MicroPython
would block (so a test sees a blocking write as time passing). clock.at(t_us,
fn) runs fn when the clock passes t_us. port.calls counts the firmware's calls
into the port (each one costs about 20 us of Python on an RP2040).

What each port does, from MicroPython's sources:
- UsbCdc (rp2; MicroPython's tinyusb glue mp_usbd_cdc.c and tusb_config.h,
  ports/rp2/mphalport.c):
  host bytes enter tinyusb's 256-byte RX FIFO, then the 512-byte stdin ring;
  when both are full the host's write waits (USB flow control). stdout writes
  go out in pieces of at most 64 bytes (the endpoint size), each waiting, 1 ms
  at a time and up to 500 ms, until the 256-byte TX FIFO has room for the
  whole piece, then writing what fits (nothing after the 500 ms). poll()
  reports POLLOUT while the TX FIFO has at least one free byte, or while no
  host has the port open (then writes overwrite the FIFO and never wait). The
  host takes the FIFO in packets of up to 64 bytes; a host that does not read
  still takes os_buffer bytes into its operating system's buffer.
- Uart0 (esp32; ports/esp32/uart.c, mphalport.c): bytes cross the wire at
  115200 baud, 86.8 us each, both ways, whatever the host does (no flow
  control). Received bytes go to a 260-byte stdin ring; when it is full they
  are lost (rx_dropped). stdout writes fill the 128-byte TX FIFO and wait
  until the last byte is in it. poll() always reports POLLOUT.
- Both: a received byte equal to micropython.interrupt_char() (3 unless the
  firmware called micropython.kbd_intr(-1)) is not data: it schedules a
  KeyboardInterrupt (rp2 also empties the stdin ring), raised at the
  firmware's next call into the port or the time stand-in. stdin reads block
  until they have every byte asked for.
"""

import micropython

POLLIN = 0x0001
POLLOUT = 0x0004
POLLERR = 0x0008
POLLHUP = 0x0010

MS_NS = 1000000


def _interrupt_char():
    # The shim's (tools/shims/micropython.py); MicroPython's own module has no
    # getter: inside it (the simulator's micropython runtime) Ctrl-C stays 3.
    get = getattr(micropython, "interrupt_char", None)
    return get() if get is not None else 3
_TICKS_PERIOD = 1 << 30         # MicroPython's ticks_* wrap here
STUCK_S = 60                    # a stdin read waiting this long is a firmware bug


class StdinBlocked(RuntimeError):
    """A stdin read waited STUCK_S seconds for bytes that never came: on a
    board the firmware would hang there."""


class Clock:
    """Nanoseconds since power-on, and what MicroPython would raise at the next
    bytecode (pending). Everything that blocks moves it forward."""

    def __init__(self):
        self.ns = 0
        self.pending = None
        self._events = []
        self.time = _Time(self)

    @property
    def us(self):
        return self.ns // 1000

    def at(self, t_us, fn):
        self._events.append((t_us * 1000, len(self._events), fn))
        self._events.sort()

    def advance_ns(self, ns):
        end = self.ns + ns
        while self._events and self._events[0][0] <= end:
            t, _, fn = self._events.pop(0)
            self.ns = max(self.ns, t)
            fn()
        self.ns = end

    def advance_us(self, us):
        self.advance_ns(us * 1000)

    def check(self):
        exc, self.pending = self.pending, None
        if exc is not None:
            raise exc


class _Time:
    """The parts of MicroPython's time module the firmware uses, on the clock.
    on_sleep(ms), if set, runs after each sleep_ms (a test's per-tick hook)."""

    def __init__(self, clock):
        self._clock = clock
        self.on_sleep = None
        self.sleeps = []

    def ticks_ms(self):
        self._clock.check()
        return (self._clock.ns // MS_NS) % _TICKS_PERIOD

    def ticks_us(self):
        self._clock.check()
        return (self._clock.ns // 1000) % _TICKS_PERIOD

    @staticmethod
    def ticks_add(t, delta):
        return (t + delta) % _TICKS_PERIOD

    @staticmethod
    def ticks_diff(a, b):
        d = (a - b) % _TICKS_PERIOD
        return d - _TICKS_PERIOD if d >= _TICKS_PERIOD // 2 else d

    def sleep_ms(self, ms):
        self.sleeps.append(ms)
        self._clock.advance_ns(ms * MS_NS)
        if self.on_sleep is not None:
            self.on_sleep(ms)
        self._clock.check()

    def sleep_us(self, us):
        self._clock.advance_ns(us * 1000)
        self._clock.check()

    def sleep(self, s):
        self.sleep_ms(int(s * 1000))

    def time(self):
        return self._clock.ns // 1000000000


# -- the firmware's objects -------------------------------------------------------------

class _Stream:
    def __init__(self, port, side, text):
        self._port = port
        self._side = side          # "in" or "out": what poll() asks the port about
        self._text = text
        if text:
            self.buffer = type(self)(port, side, False)


class _Stdin(_Stream):
    def read(self, n=1):
        data = self._port._read(n)
        return data.decode("latin-1") if self._text else data

    def readinto(self, buf, n=None):
        n = len(buf) if n is None else min(n, len(buf))
        data = self._port._read(n)
        buf[:len(data)] = data
        return len(data)


class _Stdout(_Stream):
    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        return self._port._write(bytes(data))

    def flush(self):
        pass


class _Poll:
    def __init__(self, port):
        self._port = port
        self._regs = []

    def register(self, obj, mask=POLLIN | POLLOUT):
        if not isinstance(obj, _Stream) or obj._port is not self._port:
            raise TypeError("object with stream.ioctl required")
        self.unregister(obj)
        self._regs.append([obj, mask])

    def unregister(self, obj):
        self._regs = [r for r in self._regs if r[0] is not obj]

    def modify(self, obj, mask):
        for r in self._regs:
            if r[0] is obj:
                r[1] = mask
                return
        raise OSError(2)

    def _ready(self):
        out = []
        for obj, mask in self._regs:
            ev = self._port._poll_flags(obj._side) & mask
            if ev:
                out.append((obj, ev))
        return out

    def poll(self, timeout=-1):
        port = self._port
        port._enter()
        waited = 0
        while True:
            ready = self._ready()
            if ready or timeout == 0 or (timeout > 0 and waited >= timeout):
                return ready
            port._wait_ms(1)
            waited += 1

    def ipoll(self, timeout=-1, flags=0):
        return iter(self.poll(timeout))


class _Select:
    """The select module as the firmware imports it."""

    POLLIN = POLLIN
    POLLOUT = POLLOUT
    POLLERR = POLLERR
    POLLHUP = POLLHUP

    def __init__(self, port):
        self._port = port

    def poll(self):
        return _Poll(self._port)


# -- the ports -----------------------------------------------------------------------------

class _Port:
    RING = 0               # stdin ring buffer, bytes

    def __init__(self, clock):
        self.clock = clock
        self.stdin = _Stdin(self, "in", True)
        self.stdout = _Stdout(self, "out", True)
        self.select = _Select(self)
        self.calls = 0               # firmware calls into the port
        self.blocked_ns = 0          # time the firmware spent blocked in the port
        self.reading = True
        self.connected = True
        self.host_bps = None         # None: as fast as the port takes the bytes
        self.os_buffer = 4096        # what the host's OS takes while its program does not read
        self.rx_dropped = 0          # received bytes lost for want of room
        self.interrupts = 0          # KeyboardInterrupts the port scheduled
        self._ring = bytearray()
        self._host_out = bytearray()  # written by the host, not yet taken by the port
        self._host_in = bytearray()   # arrived at the host, not yet read by its program
        self._host_seen = bytearray()
        self._credit = 0.0           # host_bps budget, bytes
        self._synced = 0
        self.power_on()

    def power_on(self):
        """A boot: MicroPython starts with Ctrl-C as the interrupt character."""
        micropython.kbd_intr(3)

    # host side

    def host_write(self, data):
        self._sync()
        self._host_out += data.encode() if isinstance(data, str) else bytes(data)
        self._sync()

    def host_read(self):
        self._sync()
        if not self.reading:
            return b""
        self._host_seen += self._host_in
        self._host_in = bytearray()
        data = bytes(self._host_seen)
        self._host_seen = bytearray()
        return data

    def host_unsent(self):
        """Bytes the host has written that the port has not taken yet."""
        self._sync()
        return len(self._host_out)

    def enter_repl(self, exc=None):
        """What MicroPython writes when main.py ends: the traceback of what
        ended it, then the REPL banner and prompt."""
        if exc is not None:
            self._write(("Traceback (most recent call last):\r\n%s: %s\r\n" % (
                type(exc).__name__, exc)).encode())
        self._write(b"MicroPython v1.27.0; model port\r\n>>> ")

    # firmware side

    def _enter(self):
        self.calls += 1
        self._sync()
        self.clock.check()

    def _wait_ms(self, ms):
        self.clock.advance_ns(ms * MS_NS)
        self.blocked_ns += ms * MS_NS
        self._sync()
        self.clock.check()

    def _read(self, n):
        self._enter()
        out = bytearray()
        waited = 0
        while len(out) < n:
            if self._ring:
                take = min(n - len(out), len(self._ring))
                out += self._ring[:take]
                self._ring = self._ring[take:]
                self._sync()
                continue
            if waited >= STUCK_S * 1000:
                raise StdinBlocked("stdin read of %d bytes waited %d s" % (n, STUCK_S))
            self._wait_ms(1)
            waited += 1
        return bytes(out)

    def _poll_flags(self, side):
        if side == "in":
            return POLLIN if self._ring else 0
        return POLLOUT if self._writable() else 0

    def _receive(self, b):
        """One byte arrives from the host (the port's interrupt handler)."""
        if b == _interrupt_char():
            self._interrupt()
            return
        if len(self._ring) < self.RING:
            self._ring.append(b)
        else:
            self.rx_dropped += 1

    def _interrupt(self):
        self.interrupts += 1
        self.clock.pending = KeyboardInterrupt()

    def _to_host(self, data):
        """Bytes leave the device; the host's OS buffers them for its program."""
        if self.reading:
            self._host_seen += data
            return len(data)
        room = self.os_buffer - len(self._host_in)
        take = min(room, len(data))
        self._host_in += data[:take]
        return take

    def _host_room(self):
        if self.reading:
            if self._host_in:
                self._host_seen += self._host_in
                self._host_in = bytearray()
            return 1 << 30
        return self.os_buffer - len(self._host_in)

    def _sync(self):
        now = self.clock.ns
        dt = now - self._synced
        self._synced = now
        if self.host_bps is not None:
            self._credit = min(self._credit + dt * self.host_bps / 1e9, 1 << 20)
        self._advance(dt, now)

    def _host_budget(self):
        if self.host_bps is None:
            return len(self._host_out)
        return min(int(self._credit), len(self._host_out))

    def _spend(self, n):
        if self.host_bps is not None:
            self._credit -= n


class UsbCdc(_Port):
    """The RP2040's USB CDC REPL port (see the module docstring)."""

    RING = 512                   # MICROPY_HW_STDIN_BUFFER_LEN (ports/rp2/mphalport.c)
    RX_FIFO = 256                # CFG_TUD_CDC_RX_BUFSIZE at full speed
    TX_FIFO = 256                # CFG_TUD_CDC_TX_BUFSIZE at full speed
    EP = 64                      # CFG_TUD_CDC_EP_BUFSIZE: one packet, one write piece
    TX_TIMEOUT_MS = 500          # MICROPY_HW_USB_CDC_TX_TIMEOUT

    def __init__(self, clock):
        self._rx_fifo = bytearray()
        self._tx_fifo = bytearray()
        _Port.__init__(self, clock)

    def _writable(self):
        return not self.connected or len(self._tx_fifo) < self.TX_FIFO

    def _interrupt(self):
        # tud_cdc_rx_cb: "Clear the ring buffer", then schedule the exception.
        self._ring = bytearray()
        _Port._interrupt(self)

    def _advance(self, dt, now):
        while True:
            # Host -> device: USB moves what fits (the host waits for the rest).
            n = min(self._host_budget(), self.RX_FIFO - len(self._rx_fifo))
            if n > 0:
                self._rx_fifo += self._host_out[:n]
                self._host_out = self._host_out[n:]
                self._spend(n)
            # tud_cdc_rx_cb: FIFO -> stdin ring while the ring has room.
            i = 0
            while i < len(self._rx_fifo) and len(self._ring) < self.RING:
                self._receive(self._rx_fifo[i])
                i += 1
            self._rx_fifo = self._rx_fifo[i:]
            if n <= 0 and i == 0:
                break
        # Device -> host: packets of up to 64 bytes while the host takes them.
        if not self.connected:
            return
        while self._tx_fifo:
            size = min(len(self._tx_fifo), self.EP)
            if self._host_room() < size:
                break
            self._to_host(bytes(self._tx_fifo[:size]))
            self._tx_fifo = self._tx_fifo[size:]

    def _write(self, data):
        """mp_usbd_cdc_tx_strn."""
        self._enter()
        i = 0
        while i < len(data):
            n = min(len(data) - i, self.EP)
            if self.connected:
                waited = 0
                while n > self.TX_FIFO - len(self._tx_fifo) and waited < self.TX_TIMEOUT_MS:
                    self._wait_ms(1)
                    waited += 1
                n = min(n, self.TX_FIFO - len(self._tx_fifo))
                if n == 0:
                    break
            self._tx_fifo += data[i:i + n]
            if len(self._tx_fifo) > self.TX_FIFO:
                # Nobody connected: the FIFO keeps the newest bytes.
                self._tx_fifo = self._tx_fifo[len(self._tx_fifo) - self.TX_FIFO:]
            i += n
            self._sync()
        return i

    def tx_fifo_used(self):
        return len(self._tx_fifo)


class Uart0(_Port):
    """The ESP32's REPL UART0 at 115200 baud (see the module docstring)."""

    RING = 260                   # stdin_ringbuf_array (ports/esp32/mphalport.c)
    TX_FIFO = 128                # SOC_UART_FIFO_LEN
    BAUD = 115200
    BYTE_NS = 10 * 1000000000 // BAUD    # start, 8 data, stop bits: 86805 ns

    def __init__(self, clock):
        self._rx_wire = bytearray()   # on the wire towards the device
        self._rx_next = None          # when the first of them has arrived
        self._tx_fifo = bytearray()
        self._tx_next = None          # when the first byte of the FIFO has left
        _Port.__init__(self, clock)

    def _writable(self):
        return True

    def _advance(self, dt, now):
        # Host -> wire: the host's bytes go out back to back at the baud rate.
        n = self._host_budget()
        if n > 0:
            if not self._rx_wire:
                self._rx_next = now + self.BYTE_NS
            self._rx_wire += self._host_out[:n]
            self._host_out = self._host_out[n:]
            self._spend(n)
        i = 0
        while i < len(self._rx_wire) and self._rx_next <= now:
            self._receive(self._rx_wire[i])
            i += 1
            self._rx_next += self.BYTE_NS
        self._rx_wire = self._rx_wire[i:]
        # Device -> host: the TX FIFO empties at the baud rate.
        i = 0
        while i < len(self._tx_fifo) and self._tx_next <= now:
            self._tx_next += self.BYTE_NS
            i += 1
        if i:
            self._to_host(bytes(self._tx_fifo[:i]))
            self._tx_fifo = self._tx_fifo[i:]

    def _write(self, data):
        """uart_stdout_tx_strn: fill the FIFO, wait for room, until all is in."""
        self._enter()
        i = 0
        while True:
            room = self.TX_FIFO - len(self._tx_fifo)
            n = min(room, len(data) - i)
            if n > 0:
                if not self._tx_fifo:
                    self._tx_next = self.clock.ns + self.BYTE_NS
                self._tx_fifo += data[i:i + n]
                i += n
            if i >= len(data):
                return len(data)
            wait = self._tx_next - self.clock.ns
            self.clock.advance_ns(wait)
            self.blocked_ns += wait
            self._sync()
            self.clock.check()

    def tx_fifo_used(self):
        self._sync()
        return len(self._tx_fifo)


PORTS = {"rp2": UsbCdc, "esp32": Uart0}


def make_port(platform, clock):
    """The REPL port of a board of that PLATFORM ("rp2" or "esp32")."""
    return PORTS[platform](clock)
