# StdioConsole on real MicroPython: its idle tick (nothing come in, nothing to
# send) polls and allocates nothing, and neither does a bench host's `status`
# poll, line in to reply out, through the Console. The port is a stream of
# Python's own (io.IOBase with ioctl), which MicroPython's select.poll takes as
# it takes sys.stdin. (MicroPython only: CPython's poll wants a file descriptor.)
import sys

from dualcheck import eq, true

ON_MICROPYTHON = sys.implementation.name == "micropython"
_POLL = 3          # MP_STREAM_POLL
_RD = 1
_WR = 4


if ON_MICROPYTHON:
    import io

    class _Port(io.IOBase):
        def __init__(self):
            self.data = bytearray()
            self.out = []

        def ioctl(self, req, arg):
            if req == _POLL:
                return (arg & _RD if self.data else 0) | (arg & _WR)
            return 0

        def readinto(self, buf):
            buf[0] = self.data[0]
            self.data = self.data[1:]
            return 1

        def write(self, b):
            self.out.append(bytes(b))
            return len(b)

    class _QuietPort(io.IOBase):
        # Allocates nothing itself: one line of input that send() makes
        # readable again, output counted and its last block kept in place.
        def __init__(self, line):
            self.line = line
            self.pos = len(line)
            self.lines = 0
            self.last = bytearray(64)

        def send(self):
            self.pos = 0

        def ioctl(self, req, arg):
            if req == _POLL:
                return (arg & _RD if self.pos < len(self.line) else 0) | (arg & _WR)
            return 0

        def readinto(self, buf):
            buf[0] = self.line[self.pos]
            self.pos += 1
            return 1

        def write(self, b):
            if b[len(b) - 1] == 10:
                self.lines += 1
            self.last[:] = b
            return len(b)


def check_idle_read_allocates_nothing():
    if not ON_MICROPYTHON:
        return
    import gc

    from ustim.hal.stdio_console import StdioConsole
    for platform in ("rp2", "esp32"):
        port = _Port()
        con = StdioConsole(port, port, platform, lambda: 0)
        con.read()
        before = gc.mem_alloc()
        for _ in range(200):
            con.read()
        eq(gc.mem_alloc() - before, 0, "%s: bytes allocated by 200 idle reads", platform)
        port.data += b"status\n"
        eq(bytes(con.read()), b"status\n", "%s: a line", platform)
        con.write("ok\n")
        con.read()
        true(port.out and port.out[-1].endswith(b"\n"), "%s: the reply went out", platform)


def check_a_status_poll_allocates_nothing():
    if not ON_MICROPYTHON:
        return
    import gc

    from console_host import FakeHost
    from ustim.core import limits
    from ustim.core.console import Console
    from ustim.core.controller import Controller
    from ustim.hal.stdio_console import StdioConsole
    polls = 20
    port = _QuietPort(b"status\n")
    hal = StdioConsole(port, port, "rp2", lambda: 0)
    ctl = Controller(limits.Envelope())
    ctl.select(0, "mod")
    con = Console(ctl, FakeHost(), hal.write, hal)

    def poll():
        port.send()
        for _ in range(5):           # ticks: the line read, answered, sent
            data = hal.read()
            if data:
                con.feed(data)
            con.poll()
    poll()                           # the first: the read's view of a line this long
    sent = port.lines
    # The channel starting, ramping: names never shown before, each written
    # without being made (the line's strings and block views are made at boot).
    used = 0
    for i in range(polls):
        if i == 2:
            ctl.start(0)
        elif i == 4:
            ctl.electrode_check(0, True)
        elif i == 6:
            ctl.set_amp(0, 12000)
        ctl.tick(ctl.now_ms + 100)
        before = gc.mem_alloc()
        poll()
        used += gc.mem_alloc() - before
    eq(ctl.chans[0].ch.state_name(), "RAMPING", "the channel started")
    eq(used, 0, "bytes allocated by %d status polls" % polls)
    eq(port.lines - sent, polls, "replies sent")
    eq(hal.lost, 0, "replies lost")
    eq(bytes(port.last[-2:]), b" \n", "the last block, padded to its line end")
