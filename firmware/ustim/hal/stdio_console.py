# The bench console over sys.stdin / sys.stdout (the board's REPL port),
# never blocking the control tick:
#
#   read()        once per tick: first sends what waits to go out, no more than
#                 the port takes without waiting; then returns the bytes that
#                 have come in (a memoryview, good until the next read()), or
#                 None. Idle (nothing queued, nothing come), it costs one poll;
#                 it allocates nothing once each line length has been seen.
#   write(text)   queue one reply, whole; dropped and counted in `lost` when the
#                 queue has no room for it (a host that does not read)
#   lend(buf, n)  queue buf[:n] (a bytearray) without copying it: buf is the
#                 port's until holds(buf) is False. On USB the line is padded in
#                 place to whole blocks, which go out as views made once, so a
#                 lent reply allocates nothing (the console's `status`)
#   prepare(buf)  make now (at boot) what lend(buf, n) needs: its block views
#   flush()       send everything now, waiting as long as the port makes it
#                 wait: only where that is harmless (outputs off, then a halt
#                 or a reset)
#
# "Without waiting" depends on the port (MicroPython 1.27's sources):
# - rp2, USB CDC (MicroPython's tinyusb glue, mp_usbd_cdc.c): a stdout write
#   goes out in pieces of up to 64 bytes (the endpoint size), each waiting, up
#   to 500 ms, until the 256-byte TX FIFO has room for the whole piece.
#   select.poll reports POLLOUT when one byte is free, and nothing tells how
#   many. So only whole 64-byte blocks are written: with every write 64 bytes
#   and tinyusb sending at most 64 bytes a packet, the FIFO's free space stays
#   a multiple of 64, and POLLOUT means a whole block fits. The last block of
#   what waits is padded with spaces before its line end (JSON allows them).
#   At most 4 blocks a tick: what the FIFO holds.
# - esp32, UART0 (ports/esp32/uart.c): a write busy-waits until its last byte
#   is in the 128-byte TX FIFO, which the UART empties at 115200 baud (87 us a
#   byte), read or not: UART0 has no flow control. UART.txdone() would tell an
#   empty FIFO, but it asks the ESP-IDF driver, which MicroPython does not
#   install on the REPL UART (it drives it through the HAL; txdone() is then
#   always False). So the console counts what it wrote and the time since, and
#   writes no more than the FIFO has room for now. POLLOUT is always set.
# Reading: both ports only tell "at least one byte" (POLLIN), and a stdin read
# waits until it has every byte asked for: one byte is read per POLLIN.
# - rp2: at most one line a tick (it stops after a line end, and at 64
#   bytes): the rest stays in the port, and USB flow control holds the host.
# - esp32: up to 128 bytes a tick, whatever they hold. The UART cannot hold the
#   host, and MicroPython's 260-byte stdin ring drops what overflows it, so the
#   console reads faster than 115200 baud delivers (115 bytes per 10 ms tick);
#   lines it cannot queue are refused whole (ustim.core.lines).
import sys

from micropython import const

from ustim.core.jsonout import pad
from ustim.core.ticks import ticks_diff

USB_BLOCK = const(64)       # CFG_TUD_CDC_EP_BUFSIZE: one packet
USB_BLOCKS = const(4)       # CFG_TUD_CDC_TX_BUFSIZE (256) / 64: a full TX FIFO a tick
UART_FIFO = const(128)      # SOC_UART_FIFO_LEN
UART_BYTE_US = const(87)    # 10 bits at 115200 baud is 86.8 us: rounded up, so the
#                             count of what the FIFO holds never runs behind it
UART_IDLE_US = const(1000000)   # no write for this long: the FIFO is empty
USB_CHUNK = const(64)       # rp2: input bytes a tick at most
UART_CHUNK = const(128)     # esp32: input bytes a tick (more than 115200 baud brings)
# Reply bytes queued at most: a `status` reply (about 620 bytes) and a few short
# ones. A longer reply (`log`, `programs`) is taken only into an empty queue:
# it exists whole already (the console built it), and goes out over ticks.
OUT_MAX = const(1024)
_LF = const(10)
_CR = const(13)


class StdioConsole:
    def __init__(self, stdin=None, stdout=None, platform="rp2", ticks_us=None):
        try:
            import select
        except ImportError:      # older MicroPython names it uselect
            import uselect as select  # type: ignore
        self._in = sys.stdin if stdin is None else stdin
        self._src = getattr(self._in, "buffer", self._in)
        out = sys.stdout if stdout is None else stdout
        self._out = getattr(out, "buffer", out)
        self._poll = select.poll()
        self._poll.register(self._in, select.POLLIN)
        # MicroPython's ipoll() allocates nothing; CPython has only poll().
        self._ipoll = getattr(self._poll, "ipoll", self._poll.poll)
        self._usb = platform != "esp32"
        self._buf = bytearray(USB_CHUNK if self._usb else UART_CHUNK)
        # read()'s views of _buf, one per length, made at its first use.
        self._views_in = [None] * (len(self._buf) + 1)  # type: list
        self._one = bytearray(1)
        self._lent = None        # the buffer lend() queued, until it is sent
        self._lent_n = 0         # its bytes queued
        self._blocks = []  # type: list  # its USB blocks as views (of _blocks_of)
        self._blocks_of = None
        self._q = []             # replies (bytes) to send, oldest first
        self._off = 0            # bytes of _q[0] sent already
        self._queued = 0         # bytes of _q not sent yet
        self.lost = 0            # replies dropped for want of room
        if self._usb:
            self._blk = bytearray(USB_BLOCK)
            opoll = select.poll()
            try:
                opoll.register(out, select.POLLOUT)
                self._oipoll = getattr(opoll, "ipoll", opoll.poll)
            except (OSError, TypeError, ValueError, AttributeError):
                # A host-side stand-in with nothing to poll: always writable.
                self._oipoll = None
        else:
            if ticks_us is None:
                import time
                ticks_us = time.ticks_us
            self._ticks_us = ticks_us
            self._fifo = 0       # bytes the UART's FIFO held at _t
            self._t = 0

    # -- in -------------------------------------------------------------------

    def read(self):
        if self._queued:
            if self._usb:
                self._send_blocks()
            else:
                self._send_uart()
        for _ in self._ipoll(0):
            return self._take()
        return None

    def _take(self):
        # A byte is there: read while bytes are, up to the chunk (and on USB up
        # to a line end).
        buf = self._buf
        one = self._one
        src = self._src
        ipoll = self._ipoll
        line = self._usb
        n = 0
        while True:
            # src is sys.stdin.buffer: the stubs type sys.stdin as text.
            if not src.readinto(one):  # type: ignore[misc]
                break
            b = one[0]
            buf[n] = b
            n += 1
            if n >= len(buf) or (line and (b == _LF or b == _CR)):
                break
            more = False
            for _ in ipoll(0):
                more = True
            if not more:
                break
        if not n:
            return None
        view = self._views_in[n]
        if view is None:
            view = self._views_in[n] = memoryview(buf)[:n]
        return view

    # -- out ------------------------------------------------------------------

    def write(self, text):
        data = text.encode() if isinstance(text, str) else bytes(text)
        if self._queued and self._queued + len(data) > OUT_MAX:
            self.lost += 1
            return
        self._q.append(data)
        self._queued += len(data)

    def lend(self, buf, n):
        # On USB whole blocks, spaces before the line end (as _fill pads).
        end = pad(buf, n, USB_BLOCK) if self._usb else n
        if self._lent is not None or (self._queued and self._queued + end > OUT_MAX):
            self.lost += 1
            return
        self._q.append(buf)
        self._lent = buf
        self._lent_n = end
        self._queued += end

    def prepare(self, buf):
        if self._usb and self._blocks_of is not buf:
            self._make_blocks(buf)

    def holds(self, buf):
        return buf is self._lent

    def _size(self, item):
        return self._lent_n if item is self._lent else len(item)

    def _pop(self):
        if self._q.pop(0) is self._lent:
            self._lent = None
        self._off = 0

    def flush(self):
        q = self._q
        while q:
            head = q[0]
            self._out.write(head[self._off:self._size(head)])
            self._pop()
        self._queued = 0

    def _next(self, room):
        # Up to room bytes from the head of the queue (one reply at most).
        head = self._q[0]
        off = self._off
        size = self._size(head)
        k = size - off
        if k > room:
            k = room
        piece = head[off:off + k]
        if off + k >= size:
            self._pop()
        else:
            self._off = off + k
        self._queued -= k
        return piece

    def _send_blocks(self):
        oipoll = self._oipoll
        for _ in range(USB_BLOCKS):
            if oipoll is not None:
                room = False
                for _ in oipoll(0):
                    room = True
                if not room:
                    return
            self._out.write(self._block())
            if not self._queued:
                return

    def _block(self):
        # The next block: one of a lent buffer's, or replies copied into _blk.
        lent = self._lent
        if lent is None or self._q[0] is not lent or self._lent_n % USB_BLOCK:
            return self._fill()
        if self._blocks_of is not lent:
            self._make_blocks(lent)
        off = self._off
        self._queued -= USB_BLOCK
        if off + USB_BLOCK >= self._lent_n:
            self._pop()
        else:
            self._off = off + USB_BLOCK
        return self._blocks[off // USB_BLOCK]

    def _make_blocks(self, lent):
        # Apart from _block(): a comprehension's closure would make a cell
        # (an allocation) at every call of the function holding it.
        mv = memoryview(lent)
        self._blocks = [mv[i:i + USB_BLOCK] for i in range(0, len(lent), USB_BLOCK)]
        self._blocks_of = lent

    def _fill(self):
        blk = self._blk
        n = 0
        while n < USB_BLOCK and self._queued:
            if n and self._q[0] is self._lent and not self._lent_n % USB_BLOCK:
                # Its blocks go out as they are: this one ends here.
                break
            piece = self._next(USB_BLOCK - n)
            blk[n:n + len(piece)] = piece
            n += len(piece)
        if n < USB_BLOCK:
            # The end of what waits: a whole block still, spaces before its
            # line end.
            pad(blk, n, USB_BLOCK)
        return blk

    def _send_uart(self):
        now = self._ticks_us()
        dt = ticks_diff(now, self._t)
        level = self._fifo - dt // UART_BYTE_US if 0 <= dt < UART_IDLE_US else 0
        if level < 0:
            level = 0
        room = UART_FIFO - level
        while room > 0 and self._queued:
            piece = self._next(room)
            self._out.write(piece)
            room -= len(piece)
        self._fifo = UART_FIFO - room
        self._t = now
