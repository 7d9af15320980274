"""The bench console protocol on CPython: every command, every error code, line
handling, the console-control and bench-mode gates."""

import json

import pytest
from console_host import Bench, FakeHost, add_records, snapshot

from ustim.core import channel as C
from ustim.core import limits
from ustim.core.console import IN_MAX, LINE_MAX, milliamps
from ustim.core.controller import Controller


def bench(console=True, bench_mode=False):
    return Bench(Controller(limits.Envelope()), FakeHost(console, bench_mode))


def one(b, line):
    out = b.send(line + "\n")
    assert len(out) == 1, out
    assert out[0].endswith("\n") and out[0].count("\n") == 1
    return json.loads(out[0])


def err(b, line):
    before = snapshot(b.ctl)
    r = one(b, line)
    assert r["ok"] is False, r
    assert snapshot(b.ctl) == before, "refused %r changed state" % line
    return r["error"], r["msg"]


def running(b, ch=1, pid="tens", ma="10"):
    assert one(b, "select %d %s" % (ch, pid))["ok"]
    assert one(b, "amp %d %s" % (ch, ma))["ok"]
    assert one(b, "start %d" % ch)["ok"]
    b.ctl.electrode_check(ch - 1, True)
    b.ctl.tick(b.ctl.now_ms + 10)


@pytest.mark.parametrize("text,ua", [
    ("12.5", 12500), ("0", 0), ("0.001", 1), ("80", 80000), ("-1", -1000), ("007.25", 7250),
    ("1.10", 1100), ("99999999999", 999999000),
])
def test_milliamps_parse_without_floats(text, ua):
    assert milliamps(text) == ua


@pytest.mark.parametrize("text", ["", "1.", ".5", "1.2345", "1e3", "1,5", "+1", "--1", "1.-2",
                                  "0x10", "1_0", " 1", "nan"])
def test_milliamps_refuse_malformed(text):
    assert milliamps(text) is None


def test_read_only_commands():
    b = bench()
    add_records(b.host, 3)
    assert one(b, "version") == {"ok": True, "firmware": "0.1.0-test", "protocol": 1,
                                 "channels": 2}
    h = one(b, "help")
    assert "amp <ch> <mA>" in h["commands"] and len(h["commands"]) == 22
    st = one(b, "status")
    assert [c["state"] for c in st["channels"]] == ["OFF", "OFF"]
    assert st["channels"][0]["ohm"] == 2200
    progs = one(b, "programs")["programs"]
    assert [p["id"] for p in progs][:3] == ["tens", "acu", "burst"]
    assert progs[2]["burst_pulses"] == 7 and progs[5]["on_s"] == 10
    assert one(b, "imp 1") == {"ok": True, "ch": 1, "ohm": 2200}
    log = one(b, "log 2")["records"]
    assert [r["seq"] for r in log] == [1, 2]
    assert log[1]["program"] == "burst" and log[1]["fault"] == "short" and log[1]["ch"] == 1
    assert len(one(b, "log")["records"]) == 3


def test_session_commands_change_the_controller():
    b = bench()
    assert one(b, "select 1 tens") == {"ok": True, "ch": 1, "program": "tens", "max_ua": 80000}
    assert one(b, "amp 1 12.5")["target_ua"] == 12500
    assert b.ctl.chans[0].ch.target_ua == 12500
    r = one(b, "start all")
    assert r["channels"] == [1] and r["skipped"][0]["error"] == "not_allowed"
    assert b.ctl.chans[0].ch.state == C.ARMED and b.ctl.chans[1].ch.state == C.OFF
    b.ctl.electrode_check(0, True)
    assert one(b, "up 1")["target_ua"] == 13500
    assert one(b, "down 1")["target_ua"] == 12500
    assert one(b, "pause 1")["state"] == "PAUSED"
    assert one(b, "resume all")["channels"] == [1]
    assert b.ctl.chans[0].ch.state == C.RAMPING
    assert one(b, "timer 12") == {"ok": True, "timer_min": 12}
    assert b.ctl.chans[0].session.length_s == 720
    assert one(b, "stop all")["channels"] == [1, 2]
    assert b.ctl.chans[0].ch.state == C.STOPPING


def test_every_error_code():
    b = bench(bench_mode=True)
    assert err(b, "launch 1")[0] == "unknown_command"
    assert err(b, "")[0] == "unknown_command"
    assert err(b, "amp 1")[0] == "bad_argument"
    assert err(b, "amp 3 5")[0] == "bad_argument"
    assert err(b, "select 1 nope")[0] == "bad_argument"
    assert err(b, "start 1")[0] == "not_allowed"     # no program
    one(b, "select 1 tens")
    assert err(b, "amp 1 80.001")[0] == "out_of_range"
    assert err(b, "timer 61")[0] == "out_of_range"
    assert err(b, "log 65")[0] == "out_of_range"
    one(b, "start 1")
    assert err(b, "select 1 acu")[0] == "busy"
    one(b, "inject 1 open")
    assert err(b, "amp 1 5")[0] == "fault_active"
    assert err(b, "start 1")[0] == "fault_active"


def test_select_accepts_integer_program_ids():
    from ustim.core.programs import PRESETS, Program
    ctl = Controller(limits.Envelope(), programs=PRESETS + (Program(7, "Seven", False, 200,
                                                                      90, 600, num=100),))
    b = Bench(ctl, FakeHost())
    assert one(b, "select 2 7")["program"] == 7


def test_set_builds_a_checked_program_on_the_channel():
    b = bench()
    code, msg = err(b, "set 1 freq_hz=80")
    assert code == "bad_argument" and msg == "phase_us: missing"
    r = one(b, "set 1 freq_hz=80 phase_us=150 gap_us=20")
    assert r["program"]["id"] == "c1" and r["program"]["kind"] == "TENS"
    prog = b.ctl.chans[0].program
    assert (prog.hz, prog.phase_us, prog.gap_us, prog.num) == (80, 150, 20, 241 - 1)
    assert b.ctl.programs is not None and b.ctl.find_program("c1") is None
    # Later sets start from the channel's program.
    one(b, "set 1 burst_pulses=5 burst_hz=2")
    prog = b.ctl.chans[0].program
    assert (prog.hz, prog.burst_n, prog.burst_hz) == (80, 5, 2)
    one(b, "set 1 burst_pulses=1")
    assert b.ctl.chans[0].program.burst_n == 1
    r = one(b, "set 1 kind=ems freq_hz=50 phase_us=300 on_s=10 off_s=20 ramp_s=3")
    prog = b.ctl.chans[0].program
    assert prog.ems and (prog.on_ms, prog.off_ms, prog.ramp_up_ms) == (10000, 20000, 3000)


@pytest.mark.parametrize("args,code,msg", [
    ("freq_hz=200", "out_of_range", "freq_hz: frequency 200 Hz outside limit 150 Hz"),
    ("phase_us=20", "out_of_range", "phase_us: phase width 20 us outside limit 50 us"),
    ("phase_us=500", "out_of_range", "phase_us: phase width 500 us outside limit 400 us"),
    ("gap_us=150", "out_of_range", "gap_us: interphase gap 150 us outside limit 100 us"),
    ("burst_pulses=30 burst_hz=1", "out_of_range",
     "burst_pulses: burst pulses 30 pulses outside limit 20 pulses"),
    ("on_s=0 off_s=5", "out_of_range",
     "on_s: contraction on time 0 ms outside limit 1000 ms"),
    ("ramp_s=2", "bad_argument", "ramp_s: ramps need on_s and off_s"),
    ("freq_hz=1.5", "bad_argument", "freq_hz='1.5': want a whole number"),
    ("volts=3", "bad_argument", None),
    ("freq_hz=5 freq_hz=6", "bad_argument", "freq_hz given twice"),
    ("kind=dc", "bad_argument", "kind 'dc': want tens or ems"),
    ("phase_us", "bad_argument", "'phase_us': want key=value"),
])
def test_set_refusals_name_the_field_and_bound(args, code, msg):
    b = bench()
    one(b, "select 1 tens")
    got = err(b, "set 1 " + args)
    assert got[0] == code
    if msg is not None:
        assert got[1] == msg


def test_set_on_a_running_channel_is_busy():
    b = bench()
    running(b)
    assert err(b, "set 1 freq_hz=90")[0] == "busy"


def test_console_control_off_blocks_output_changes_only():
    b = bench(console=False, bench_mode=True)
    b.host.console = True
    running(b)
    b.host.console = False
    for line in ("select 2 tens", "start 1", "amp 1 5", "up 1", "set 2 freq_hz=50",
                 "resume 1", "inject 1 open", "start all", "resume all"):
        code, msg = err(b, line)
        assert code == "not_allowed" and "console control is off" in msg, line
    for line in ("help", "version", "status", "programs", "imp 1", "log", "selftest",
                 "down 1", "timer 10", "pause 1"):
        assert one(b, line)["ok"], line
    assert one(b, "stop all")["ok"]
    assert b.ctl.chans[0].ch.state == C.OFF


def test_sense_needs_bench_mode_only_and_reads_the_host():
    # Read-only: console control off does not stop it, bench mode off does.
    b = bench(console=False, bench_mode=False)
    assert err(b, "sense 1") == ("not_allowed", "bench mode is off: enable it in the "
                                 "device settings menu")
    b.host.bench = True
    assert err(b, "sense 3")[0] == "bad_argument"
    assert err(b, "sense")[0] == "bad_argument"
    r = one(b, "sense 2")
    assert r == {"ok": True, "ch": 2, "state": "OFF", "set_ua": 0, "i_ua": 0, "v_mv": 0,
                 "phase_us": 200, "compliance_mv": 80000, "max_peak_ua": 80000}
    b.host.console = True
    running(b)
    r = one(b, "sense 1")
    assert (r["state"], r["set_ua"], r["i_ua"], r["v_mv"], r["phase_us"]) == (
        "RAMPING", 12500, 12480, 27460, 200)


def test_inject_needs_bench_mode_and_goes_through_the_fault_path():
    b = bench(bench_mode=False)
    running(b)
    assert err(b, "inject 1 short") == ("not_allowed", "bench mode is off: enable it in the "
                                        "device settings menu")
    b.host.bench = True
    assert err(b, "inject 1 melt")[0] == "bad_argument"
    r = one(b, "inject 1 overcurrent")
    assert (r["state"], r["fault"]) == ("FAULT", "overcurrent")
    c = b.ctl.chans[0]
    assert (c.out.ua, c.faults, c.ch.fault_kind) == (0, 1, C.FAULT_OVERCURRENT)
    assert one(b, "status")["channels"][0]["fault"] == "overcurrent"
    assert one(b, "clear 1")["state"] == "OFF"
    assert c.ch.target_ua == 0


def test_selftest_reports_failures():
    b = bench()
    b.host.tests = [("flash", True, "ok"), ("sense", False, "ch2 reads 0")]
    r = one(b, "selftest")
    assert r["ok"] and r["passed"] is False and r["checks"][1]["detail"] == "ch2 reads 0"


def test_line_endings_and_split_input():
    b = bench()
    out = b.send("version\r\nversion\rversion\n")
    assert len(out) == 3
    con = b.con
    for ch in b"stat":
        con.feed(bytes([ch]))
        assert not con.poll()
    con.feed(b"us\r")
    assert con.poll() and json.loads(b.out[-1])["ok"]
    con.feed(b"\nversion\n")     # the LF after CR belongs to the status line
    assert con.poll() and not con.poll()
    assert len(b.out) == 5


def test_long_and_non_ascii_lines_are_refused_whole():
    b = bench()
    exact = "status" + " " * (LINE_MAX - 6)
    assert one(b, exact)["ok"]
    before = snapshot(b.ctl)
    out = b.send("amp 1 5" + " " * LINE_MAX + "x" * 300 + "\nversion\n")
    assert [json.loads(o)["ok"] for o in out] == [False, True]
    assert json.loads(out[0])["msg"] == "line over %d bytes" % LINE_MAX
    out = b.send(b"select 1 tens\xff\n")
    assert json.loads(out[0])["msg"] == "line is not printable ASCII"
    out = b.send(b"select 1\x00 tens\n")
    assert json.loads(out[0])["error"] == "bad_argument"
    assert snapshot(b.ctl) == before


def test_feed_takes_everything_and_refuses_whole_lines_that_do_not_fit():
    b = bench()
    data = b"version\n" * 100
    assert b.con.feed(data) == len(data)
    replies = []
    while b.con.poll():
        replies.append(json.loads(b.out[-1]))
    # Every line answered, in order: those the queue held, then one refusal each.
    assert len(replies) == 100
    held = IN_MAX // len(b"Xversion")
    assert [r["ok"] for r in replies] == [True] * held + [False] * (100 - held)
    assert {r.get("error") for r in replies[held:]} == {"busy"}
    assert b.con.input.refused == 100 - held
    assert b.con.room() == IN_MAX


def test_accepts_str_input():
    b = bench()
    b.con.feed("version\n")
    assert b.con.poll()


def test_internal_error_stops_outputs():
    b = bench()
    running(b)

    def broken(n, before=-1):
        raise RuntimeError("sensor gone")

    b.host.log_records = broken
    r = one(b, "log")
    assert r["error"] == "fault_active" and "internal error (RuntimeError)" in r["msg"]
    assert all(c.ch.state == C.OFF for c in b.ctl.chans)
