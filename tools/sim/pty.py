"""Serve a console on a pseudo-terminal, so the bench tool (or any serial
program) talks to a simulated board through real serial I/O.

    srv = open_pty(console)        # console: feed(bytes) -> int, poll(), .write
    print(srv.path)                # e.g. /dev/pts/3: give it to --port
    while running:
        srv.pump()                 # never blocks: select() with timeout 0
        ...                        # the simulator's own work

or srv.start() to pump from a background thread (tests). The console's output
callable is replaced by the server's. `step` (default: poll the console until
it has no complete line) is called once per pump; a simulator passes its own
control tick there.

    python -m tools.sim.pty [--console-off] [--bench]

serves a bare Controller (no board model: every electrode check passes) for
trying the bench tool by hand.
"""

import os
import select
import threading
import time
import tty


class PtyServer:
    def __init__(self, console, step=None):
        self.console = console
        self.master, self._slave = os.openpty()
        # Raw: no echo, no CR/LF translation, as a USB CDC port behaves. The
        # slave stays open here so the master never sees EOF between clients.
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.step = step if step is not None else self._poll_all
        self._in = b""
        self._out = bytearray()
        self._lock = threading.Lock()
        self._thread = None
        self._stop = threading.Event()
        console.write = self.write

    def write(self, text):
        self._out += text.encode("utf-8") if isinstance(text, str) else bytes(text)

    def _poll_all(self):
        while True:
            self._feed()
            if not self.console.poll():
                break

    def _feed(self):
        if self._in:
            n = self.console.feed(self._in)
            self._in = self._in[n:]

    def pump(self):
        """Move whatever bytes are ready, both ways, and step the console once.
        Returns True if any byte moved."""
        with self._lock:
            moved = False
            ready, _, _ = select.select([self.master], [], [], 0)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                self._in += data
                moved = bool(data)
            self._feed()
            self.step()
            if self._out:
                try:
                    n = os.write(self.master, self._out)
                except (BlockingIOError, OSError):
                    n = 0
                del self._out[:n]
                moved = moved or n > 0
            return moved

    def start(self, interval=0.001):
        """Pump from a daemon thread until close()."""
        def run():
            while not self._stop.is_set():
                if not self.pump():
                    time.sleep(interval)
        self._thread = threading.Thread(target=run, name="pty-console", daemon=True)
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_pty(console, step=None):
    return PtyServer(console, step)


def _demo(argv=None):
    import argparse

    import tools.sim.cli  # noqa: F401  (firmware and shims on sys.path)
    from ustim import VERSION
    from ustim.core import channel as C
    from ustim.core import limits
    from ustim.core.console import Console, Host
    from ustim.core.controller import Controller

    p = argparse.ArgumentParser(prog="python -m tools.sim.pty")
    p.add_argument("--console-off", action="store_true", help="start with console control off")
    p.add_argument("--bench", action="store_true", help="bench mode on (allows inject)")
    opts = p.parse_args(argv)

    class DemoHost(Host):
        def console_enabled(self):
            return not opts.console_off

        def bench_enabled(self):
            return opts.bench

        def version(self):
            return VERSION + "-pty-demo"

    ctl = Controller(limits.Envelope())
    con = Console(ctl, DemoHost(), None)
    t0 = time.monotonic()

    def step():
        while con.poll():
            srv._feed()
        ctl.tick(int((time.monotonic() - t0) * 1000) & 0x3FFFFFFF)
        for i, c in enumerate(ctl.chans):
            if c.ch.state == C.ARMED:
                ctl.electrode_check(i, True)

    srv = open_pty(con, step)
    print(srv.path, flush=True)
    try:
        while True:
            srv.pump()
            time.sleep(0.005)
    except KeyboardInterrupt:
        pass
    finally:
        srv.close()


if __name__ == "__main__":
    _demo()
