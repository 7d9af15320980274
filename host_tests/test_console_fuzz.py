"""Fuzzing the console: random command lines and random bytes never raise,
always get exactly one JSON line per input line, and a refusal never changes
the controller."""

import json

from console_host import FakeHost, add_records, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ustim.core import limits
from ustim.core.console import COMMANDS, Console
from ustim.core.controller import Controller

CODES = {"unknown_command", "bad_argument", "out_of_range", "not_allowed", "fault_active",
         "busy"}
NAMES = [c[0] for c in COMMANDS] + ["STATUS", "Amp", "estop", "reboot"]
TOKENS = ["0", "1", "2", "3", "all", "ALL", "-1", "tens", "acu", "burst", "alt", "mod", "oa",
          "tka", "short", "c1", "12.5", "80", "80.001", "0.5", "1.2345", "99999999999", "7",
          "open", "short", "overcurrent", "sense", "internal", "none", "freq_hz=80",
          "freq_hz=200", "phase_us=150", "phase_us=20", "gap_us=0", "gap_us=101",
          "burst_pulses=5", "burst_pulses=1", "burst_hz=2", "on_s=5", "off_s=10", "on_s=0",
          "ramp_s=2", "kind=ems", "kind=tens", "kind=x", "=", "a=b", "60", "61", "65"]
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10)
TOKEN = st.one_of(st.sampled_from(TOKENS), PRINTABLE)
LINE = st.one_of(
    st.builds(lambda c, a: " ".join([c] + a), st.sampled_from(NAMES),
              st.lists(TOKEN, max_size=5)),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=140),
)
# Things the rest of the device does between commands.
WORLD = st.one_of(
    st.tuples(st.just("tick"), st.integers(1, 5000)),
    st.tuples(st.just("check"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("console"), st.booleans()),
)
STEP = st.one_of(LINE, LINE, LINE, WORLD)


class Rig:
    def __init__(self, console, bench):
        self.ctl = Controller(limits.Envelope())
        self.host = FakeHost(console, bench)
        add_records(self.host, 4)
        self.out = []
        self.con = Console(self.ctl, self.host, self.out.append)
        self.now = 0

    def world(self, step):
        if step[0] == "tick":
            self.now += step[1]
            self.ctl.tick(self.now)
        elif step[0] == "check":
            if self.ctl.chans[step[1]].ch.state == 1:     # ARMED
                self.ctl.electrode_check(step[1], step[2], "high impedance")
        else:
            self.host.console = step[1]

    def poll_checked(self):
        """poll() once; check the reply (if any) and that a refusal changed nothing."""
        before = snapshot(self.ctl)
        n = len(self.out)
        if not self.con.poll():
            assert len(self.out) == n
            return False
        assert len(self.out) == n + 1
        text = self.out[-1]
        assert text.endswith("\n") and text.count("\n") == 1
        reply = json.loads(text)
        assert isinstance(reply, dict) and isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert set(reply) == {"ok", "error", "msg"}
            assert reply["error"] in CODES and isinstance(reply["msg"], str)
            assert "internal error" not in reply["msg"]
            assert snapshot(self.ctl) == before, reply
        return True


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.booleans(), st.lists(STEP, max_size=12))
def test_random_lines(console, bench, steps):
    rig = Rig(console, bench)
    for step in steps:
        if isinstance(step, tuple):
            rig.world(step)
            continue
        assert rig.con.feed(step.encode() + b"\n") == len(step) + 1
        assert rig.poll_checked()
        assert not rig.poll_checked()


def _line_ends(data):
    """Lines the console must answer in data: CR, LF and CR LF each end one."""
    n = 0
    prev = None
    for b in data:
        if b == 10 and prev == 13:
            prev = None
            continue
        if b in (10, 13):
            n += 1
        prev = b
    return n


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.booleans(),
       st.lists(st.one_of(st.binary(max_size=300),
                          st.sampled_from([b"\n", b"\r\n", b"\r", b"start all\n",
                                           b"select 1 tens\n", b"amp 1 5\n"])),
                max_size=8))
def test_random_bytes(console, bench, chunks):
    rig = Rig(console, bench)
    data = b"".join(chunks)
    replies = 0
    i = 0
    while i < len(data):
        i += rig.con.feed(data[i:])
        while rig.poll_checked():
            replies += 1
    assert replies == _line_ends(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).filter(lambda b: b"\n" not in b and b"\r" not in b))
def test_any_bytes_then_newline_get_one_reply(line):
    rig = Rig(True, True)
    rig.con.feed(line + b"\n")
    assert rig.poll_checked()
    assert not rig.poll_checked()
