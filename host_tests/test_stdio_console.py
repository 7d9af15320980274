"""StdioConsole (firmware/ustim/hal/stdio_console.py) over the port model of
each board (tools/shims/stdio.py): it never waits on the port, sends at most
what the port's buffer takes at once, drops and counts replies a host does not
read, and reads input no faster than the console can take it (rp2) or fast
enough that the port loses nothing (esp32)."""

import json
import sys
from pathlib import Path

import pytest
import stdio

from ustim.hal.stdio_console import OUT_MAX, USB_BLOCK, StdioConsole

TICK_US = 10000


class Rig:
    def __init__(self, platform, monkeypatch):
        self.clock = stdio.Clock()
        self.port = stdio.make_port(platform, self.clock)
        monkeypatch.setitem(sys.modules, "select", self.port.select)
        self.con = StdioConsole(self.port.stdin, self.port.stdout, platform,
                                self.clock.time.ticks_us)
        self.writes = []
        real = self.port._write

        def spy(data):
            self.writes.append(len(data))
            return real(data)

        self.port._write = spy
        self.worst_us = 0

    def tick(self):
        """One control tick's console call; returns what it read."""
        t0 = self.clock.us
        data = self.con.read()
        data = bytes(data) if data is not None else None   # a view, good until the next read
        self.worst_us = max(self.worst_us, self.clock.us - t0)
        self.clock.advance_us(TICK_US - (self.clock.us - t0))
        return data


def _replies(raw):
    lines = raw.decode().split("\n")
    assert lines[-1] == ""
    return [json.loads(line) for line in lines[:-1]]


def _reply(i, size):
    head = '{"ok": true, "n": %d, "pad": "' % i
    return head + "x" * (size - len(head) - 3) + '"}\n'


@pytest.fixture(params=["rp2", "esp32"])
def rig(request, monkeypatch):
    return Rig(request.param, monkeypatch)


def test_a_host_that_does_not_read_loses_replies_never_a_tick(rig):
    port = rig.port
    port.reading = False
    sent = []
    for i in range(400):
        text = _reply(i, 300)
        lost = rig.con.lost
        rig.con.write(text)
        if rig.con.lost == lost:
            sent.append(text)
        rig.tick()
    assert port.blocked_ns == 0 and rig.worst_us == 0
    assert rig.con.lost > 0
    assert len(sent) + rig.con.lost == 400
    if isinstance(port, stdio.Uart0):
        return          # the UART sends on, read or not: the host's OS drops the rest
    # Whatever did go out went out whole and in order, once the host reads.
    port.reading = True
    for _ in range(200):
        rig.tick()
    got = _replies(port.host_read())
    assert [r["n"] for r in got] == [json.loads(t)["n"] for t in sent][:len(got)]
    assert len(got) >= len(sent) - (OUT_MAX // 300 + 1)


def test_usb_writes_are_whole_blocks_and_at_most_the_fifo_a_tick(monkeypatch):
    rig = Rig("rp2", monkeypatch)
    port = rig.port
    sizes = [37, 64, 100, 1, 320, 128, 255]
    for i, size in enumerate(sizes):
        rig.con.write(_reply(i, max(size, 40)))
    per_tick = []
    while rig.con._queued:
        before = len(rig.writes)
        rig.tick()
        per_tick.append(sum(rig.writes[before:]))
    assert set(rig.writes) == {USB_BLOCK}
    assert max(per_tick) <= 256
    got = _replies(port.host_read())
    assert [r["n"] for r in got] == list(range(len(sizes)))
    assert port.blocked_ns == 0


def test_a_long_reply_goes_out_over_several_ticks(rig):
    text = _reply(7, 10600)               # about what `log 64` says
    rig.con.write(text)
    ticks = 0
    while rig.con._queued:
        rig.tick()
        ticks += 1
    rig.tick()
    rig.tick()
    assert rig.port.blocked_ns == 0
    # rp2: 256 bytes a tick at most; esp32: what 115200 baud empties in a tick.
    assert ticks >= (10600 // 256 if rig.port.__class__.__name__ == "UsbCdc" else 80)
    assert _replies(rig.port.host_read())[0]["n"] == 7


def test_uart_output_keeps_up_with_the_baud_rate(monkeypatch):
    rig = Rig("esp32", monkeypatch)
    rig.con.write(_reply(1, 10000))
    start = rig.clock.us
    while rig.con._queued:
        rig.tick()
    took = rig.clock.us - start
    # The wire needs 868 ms for 10000 bytes; the console uses at least 80 % of it.
    assert 868000 <= took <= 868000 / 0.8
    assert rig.port.blocked_ns == 0


def test_usb_input_is_one_line_a_tick_and_the_host_waits_for_the_rest(monkeypatch):
    rig = Rig("rp2", monkeypatch)
    lines = ["amp 1 %d" % i for i in range(300)]
    rig.port.host_write("\n".join(lines) + "\n")
    assert rig.port.host_unsent() > 0          # USB holds the host
    got = []
    for _ in range(320):
        data = rig.tick()
        if data:
            assert data.count(b"\n") <= 1
            got.append(data)
    assert b"".join(got).decode().split("\n")[:-1] == lines
    assert rig.port.rx_dropped == 0


def test_uart_input_is_read_faster_than_the_wire_brings_it(monkeypatch):
    rig = Rig("esp32", monkeypatch)
    text = "".join("status %d\n" % i for i in range(2000))
    rig.port.host_write(text)                  # back to back at 115200 baud
    got = bytearray()
    for _ in range(len(text) // 100 + 50):
        data = rig.tick()
        if data:
            got += data
    assert rig.port.rx_dropped == 0
    assert got.decode() == text


def test_idle_read_is_one_poll(rig):
    calls = rig.port.calls
    for _ in range(100):
        assert rig.tick() is None
    assert rig.port.calls - calls == 100


def test_flush_sends_everything_now(rig):
    rig.con.write("first\n")
    rig.con.write("second\n")
    rig.con.flush()
    rig.clock.advance_us(TICK_US)
    assert rig.port.host_read().replace(b" ", b"") == b"first\nsecond\n"


@pytest.mark.parametrize("platform", ["rp2", "esp32"])
def test_a_lent_status_goes_out_whole_among_other_replies(platform, monkeypatch):
    # The console lends `status` its own buffer (no copy); replies written
    # before and after it keep their order, and the buffer is the port's until
    # the last of it is sent.
    sys.path.insert(0, str(Path(__file__).with_name("dual")))
    from console_host import FakeHost

    from ustim.core import limits
    from ustim.core.console import Console
    from ustim.core.controller import Controller
    rig = Rig(platform, monkeypatch)
    ctl = Controller(limits.Envelope())
    ctl.select(0, "mod")
    lent = Console(ctl, FakeHost(), rig.con.write, rig.con)
    plain = []
    want = Console(ctl, FakeHost(), plain.append)
    want.feed(b"status\n")
    want.poll()
    rig.con.write(_reply(0, 100))
    lent.feed(b"status\nstatus\n")
    lent.poll()
    while rig.con._queued > 400:
        rig.tick()
    assert rig.con.holds(lent.status.buf)
    lent.poll()                           # the buffer is still out: this one as text
    assert rig.con.lost == 0
    rig.con.write(_reply(1, 40))
    for _ in range(100):
        rig.tick()
    assert not rig.con.holds(lent.status.buf)
    lines = [line for line in rig.port.host_read().decode().split("\n") if line.strip()]
    assert json.loads(lines[0])["n"] == 0 and json.loads(lines[3])["n"] == 1
    assert [json.loads(x) for x in lines[1:3]] == [json.loads(plain[0])] * 2
    assert lines[1].rstrip() == plain[0].rstrip("\n")
