# StdioConsole's idle tick on real MicroPython: nothing come in, nothing to
# send, it polls and allocates nothing. The port is a stream of Python's own
# (io.IOBase with ioctl), which MicroPython's select.poll takes as it takes
# sys.stdin. (MicroPython only: CPython's poll wants a file descriptor.)
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
        eq(con.read(), b"status\n", "%s: a line", platform)
        con.write("ok\n")
        con.read()
        true(port.out and port.out[-1].endswith(b"\n"), "%s: the reply went out", platform)
