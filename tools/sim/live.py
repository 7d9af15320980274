"""Real-time modes of the simulated board.

--pty: the firmware's USB console is served on a pseudo-terminal; the path is
the first line printed, e.g. `/dev/pts/3`, for `python -m tools.bench --port`.
--interactive: in a terminal, keys act as the buttons, the OLED is drawn with
block characters and the channel status is live:

    p  POWER/STOP (short press: stop every channel)   P  hold POWER (power down)
    m  MODE (select)                                  M  hold MODE (back/menu)
    u  UP          d  DOWN          q or Ctrl-C  quit (outputs off first)

Both run the simulation paced to the wall clock, until the scenario's
duration or Ctrl-C; the output folder is written at the end as usual.
"""

import os
import select
import signal
import sys
import termios
import time
import tty

from tools.sim.pty import PtyServer
from tools.sim.run import BUTTON_INDEX, PRESS_MS
from ustim.core import channel as C

KEYS = {"p": ("power", PRESS_MS), "P": ("power", 1500), "m": ("mode", PRESS_MS),
        "M": ("mode", 1300), "u": ("up", PRESS_MS), "d": ("down", PRESS_MS)}
FRAME_EVERY_MS = 100
# What _draw needs: the 128-pixel panel and its frame across; a title, the
# frame, 32 rows of half blocks, the status and key lines, and the cursor's
# line below them down.
SCREEN_COLS = 128 + 2
SCREEN_ROWS = 1 + 1 + 64 // 2 + 1 + 2 + 1


class _ConsoleBridge:
    """The pty server's view of the simulated board's console: bytes typed go
    to the board's serial input, its output to the pty (console_tap)."""

    def __init__(self, sim):
        self.sim = sim
        self.write = None          # set by PtyServer

    def feed(self, data):
        text = data.decode("ascii", "replace")
        self.sim.console_in += text
        for line in text.splitlines():
            self.sim.rec.console.append((self.sim.now_ms, "in", line))
        return len(data)

    def poll(self):
        return False


def oled_text(frame):
    """A 128x64 MONO_VLSB frame as 32 lines of half-block characters."""
    lines = []
    for row in range(0, 64, 2):
        page, bit = row >> 3, row & 7
        line = []
        for x in range(128):
            top = frame[page * 128 + x] >> bit & 1
            bottom = frame[((row + 1) >> 3) * 128 + x] >> ((row + 1) & 7) & 1
            line.append(" ▀▄█"[top | bottom << 1])
        lines.append("".join(line))
    return lines


def status_line(sim):
    parts = []
    if sim.app is None:
        return "board in reset or without power"
    for c in sim.app.ctl.chans:
        ch = c.ch
        fault = " %s" % C.FAULT_NAMES[ch.fault_kind] if ch.state == C.FAULT else ""
        parts.append("ch%d %-8s %5.1f mA%s" % (ch.index + 1, ch.state_name(), c.out.ua / 1000,
                                                fault))
    return "  |  ".join(parts)


def run_live(sim, pty=False, interactive=False, out=sys.stdout):
    """Run sim in real time; returns when the duration is over or on quit."""
    server = None
    if pty:
        bridge = _ConsoleBridge(sim)
        server = PtyServer(bridge)
        sim.console_tap = server.write
        print(server.path, file=out, flush=True)
    fd = sys.stdin.fileno() if interactive else None
    saved = termios.tcgetattr(fd) if interactive else None
    if interactive:
        tty.setcbreak(fd)
        out.write("\x1b[2J")
    quit_ = [False]
    # Ctrl-C asks for the end at the next exchange: the board then stops as
    # at the end of a scenario, and the output folder is written.
    old = signal.signal(signal.SIGINT, lambda *_a: quit_.__setitem__(0, True))
    t0 = time.monotonic()
    next_frame = [0]

    def on_exchange(s):
        if server is not None:
            server.pump()
        if interactive and _key(fd, s):
            quit_[0] = True
        if quit_[0] and "stop" not in s.commands:
            s.commands.insert(0, "stop")
            s._event("simulation stopped: outputs off")
            s.duration_ms = s.now_ms
        if interactive and s.now_ms >= next_frame[0]:
            next_frame[0] = s.now_ms + FRAME_EVERY_MS
            _draw(s, out)
        wait = t0 + s.now_us / 1e6 - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    sim.on_exchange = on_exchange
    try:
        rec = sim.run()
    finally:
        signal.signal(signal.SIGINT, old)
        if interactive:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            out.write("\nstopped at %.2f s: outputs off\n" % (sim.now_ms / 1000))
    if not quit_[0]:
        sim._event("simulation stopped: outputs off")
    rec.duration_ms = sim.now_ms
    sim.rec.summary["duration_s"] = sim.now_ms / 1000
    return rec


def _key(fd, sim):
    """Apply pending key presses; True to quit."""
    while select.select([fd], [], [], 0)[0]:
        ch = os.read(fd, 1).decode("latin-1")
        if ch in ("q", "\x03"):
            return True
        if ch in KEYS:
            name, ms = KEYS[ch]
            sim.press(BUTTON_INDEX[name], ms)
            sim._event("key %s: button %s %d ms" % (ch, name, ms))
    return False


def _draw(sim, out):
    frame = sim.last_frame or bytes(128 * 64 // 8)
    lines = ["\x1b[H" + "ustim simulated board (%s)   t = %7.2f s" % (
        sim.board.NAME, sim.now_us / 1e6)]
    lines.append("+" + "-" * 128 + "+")
    lines += ["|" + ln + "|" for ln in oled_text(frame)]
    lines.append("+" + "-" * 128 + "+")
    lines.append(status_line(sim) + "\x1b[K")
    lines.append("keys: p stop  P power off  m select  M back  u up  d down  q quit\x1b[K")
    out.write("\n".join(lines) + "\n")
    out.flush()
