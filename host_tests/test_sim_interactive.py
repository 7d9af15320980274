"""`python -m tools.sim --interactive` in a terminal: keys are the buttons,
the OLED is drawn with block characters, q stops with the outputs off."""

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from tools.sim.live import SCREEN_COLS, SCREEN_ROWS

ROOT = Path(__file__).resolve().parent.parent


class _Screen:
    # Drains the terminal all the time, as a terminal does: a full pty buffer
    # would block the simulator's writes.
    def __init__(self, fd):
        self.fd = fd
        self.data = b""
        self.done = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while not self.done:
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.data += chunk

    def wait_for(self, needle, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end and needle not in self.data:
            time.sleep(0.1)
        return needle in self.data


def _terminal(cols, rows):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


def _run(args, stdin, stdout):
    return subprocess.run([sys.executable, "-m", "tools.sim", *args], cwd=ROOT, stdin=stdin,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


def test_keys_drive_the_board_and_q_stops_it(tmp_path):
    master, slave = _terminal(SCREEN_COLS, SCREEN_ROWS)
    proc = subprocess.Popen([sys.executable, "-m", "tools.sim", "--interactive", "--out",
                             str(tmp_path)], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    try:
        screen = _Screen(master)
        assert screen.wait_for("▀".encode(), 20)
        assert b"ustim simulated board" in screen.data
        time.sleep(3)                      # past the splash
        os.write(master, b"m")             # MODE on the home screen
        time.sleep(0.5)
        os.write(master, b"p")             # POWER/STOP: stop everything
        time.sleep(0.5)
        os.write(master, b"q")
        assert screen.wait_for(b"outputs off", 30)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        screen.done = True
        time.sleep(0.2)
        os.close(master)
    assert proc.returncode == 0
    events = (tmp_path / "events.log").read_text()
    assert "key m: button mode" in events and "key p: button power" in events
    assert "emergency stop" in events
    assert "simulation stopped: outputs off" in events


def test_without_a_terminal_one_line_and_exit_2(tmp_path):
    p = _run(["--interactive", "--out", str(tmp_path)], subprocess.DEVNULL, subprocess.PIPE)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.splitlines() == [
        "--interactive needs a terminal (stdin and stdout); use --pty to drive it from "
        "another program"]
    assert list(tmp_path.iterdir()) == []          # checked before the run


def test_a_terminal_too_small_says_the_size_it_needs(tmp_path):
    master, slave = _terminal(80, 24)
    try:
        p = _run(["--interactive", "--out", str(tmp_path)], slave, slave)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "--interactive needs a terminal of at least %d x %d characters (this one is 80 x 24)"
        % (SCREEN_COLS, SCREEN_ROWS)]
    assert list(tmp_path.iterdir()) == []
