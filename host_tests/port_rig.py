"""firmware/main.py on a board whose REPL port is the port model
(tools/shims/stdio.py): the firmware runs unchanged through main.py, boot and
DeviceHw, its stdin, stdout, select and time are the model's, and one clock
drives the firmware, the port and the host at the other end of the cable.

    rig = PortRig(pico, monkeypatch, tmp_path, lease_s=5, records=64)
    rig.port.host_write("status\\n")        # the host, as in tools/shims/stdio.py
    rig.every_tick.append(fn)              # fn(rig) after each control tick
    rig.press(ms, ms_held=200)             # the POWER button
    outcome = rig.run(ticks=500)           # "stopped", or how main.py ended

run() does what MicroPython does when main.py ends: a traceback if it raised,
then the REPL banner and prompt, on the port (so a test sees a REPL appear).
"""

import json
import sys

import esp32
import machine
import stdio

import device_rig as R
from ustim.core import settings as S
from ustim.core.usage_log import UsageLog
from ustim.hal.storage import FileStorage

REPL_WAIT_US = 100000      # the REPL's banner crosses a 115200 baud UART in this


class PortRig:
    def __init__(self, board, monkeypatch, tmp_path, console=True, lease_s=5, records=0):
        self.board = board
        self.clock = stdio.Clock()
        self.port = stdio.make_port(board.PLATFORM, self.clock)
        self.time = self.clock.time
        self.time.on_sleep = self._slept
        self.ticks = 0
        self.stop_after = None
        self.every_tick = []
        self.apps = []
        self.received = bytearray()
        self.tick_end_us = 0
        self.worst_calls = 0           # the most firmware calls into the port in a tick
        self._calls = 0
        saved = {k: sys.modules[k] for k in R.ustim_modules()}
        for k in saved:
            del sys.modules[k]
        self._saved = saved
        monkeypatch.chdir(tmp_path)
        st = S.Settings()
        st.set("console", console)
        st.set("lease_s", lease_s)
        (tmp_path / S.FILE_NAME).write_bytes(S.encode(st))
        if records:
            log = UsageLog(FileStorage())
            log.open()
            for i in range(records):
                log.append(1000 + i, 1 + i % 8, i % 2, 1800, 20000 + i, 19000, 3 * 10 ** 9 + i,
                           i % 3)
        R.fresh_board(board)
        for name, value in (("stdin", self.port.stdin), ("stdout", self.port.stdout)):
            monkeypatch.setattr(sys, name, value)
        monkeypatch.setitem(sys.modules, "select", self.port.select)
        monkeypatch.setitem(sys.modules, "time", self.time)
        monkeypatch.setitem(sys.modules, "board", board)
        from ustim import boot
        loop = boot.loop

        def capturing(app, clock):
            self.apps.append(app)
            return loop(app, clock)

        monkeypatch.setattr(boot, "loop", capturing)

    def close(self):
        for k in R.ustim_modules():
            del sys.modules[k]
        sys.modules.update(self._saved)

    @property
    def app(self):
        return self.apps[-1]

    def _slept(self, ms):
        self.tick_end_us = self.clock.us - ms * 1000
        self.ticks += 1
        self.worst_calls = max(self.worst_calls, self.port.calls - self._calls)
        self._calls = self.port.calls
        R.drain_pio()
        esp32.advance(self.clock.us - esp32.now_us())
        self.received += self.port.host_read()
        for fn in self.every_tick:
            fn(self)
        if self.stop_after is not None and self.ticks >= self.stop_after:
            raise R.StopRun()

    def run(self, ticks=None):
        self.stop_after = ticks
        try:
            outcome = R.run_main_outcome()
        except BaseException as e:    # noqa: BLE001 - what MicroPython would print
            self._repl(e)
            return "repl after %s" % type(e).__name__
        if outcome == "returned":
            self._repl(None)
        return outcome

    def _repl(self, exc):
        self.port.enter_repl(exc)
        self.clock.advance_us(REPL_WAIT_US)       # a UART takes its time
        self.received += self.port.host_read()

    def press(self, at_ms, held_ms=200, button=0):
        pin = machine.Pin(self.board.PIN_BUTTONS[button])
        self.clock.at(int(at_ms * 1000), lambda: pin.drive(0))
        self.clock.at(int((at_ms + held_ms) * 1000), lambda: pin.drive(1))

    def output_off(self, ch=0):
        return R.amp_ua(self.board, ch) == 0 and not self.app.hw.pulses.running(ch)

    def replies(self):
        """The JSON replies the host has read, in order (padding and the boot
        line aside)."""
        out = []
        for line in bytes(self.received).split(b"\n")[:-1]:     # the last: not ended yet
            line = line.strip()
            if line.startswith(b"{"):
                out.append(json.loads(line))
        return out
