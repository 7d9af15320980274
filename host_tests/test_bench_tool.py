"""The bench tool against a console served on a pseudo-terminal: real serial
I/O through pyserial, the console pumped by a thread on the other end."""

import csv
import json
import os
import subprocess
import time
import sys

import pytest
from console_host import FakeHost, add_records

from tools.bench import cli
from tools.bench.link import Link, LinkError
from tools.sim.pty import open_pty
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.console import Console
from ustim.core.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def device():
    ctl = Controller(limits.Envelope())
    host = FakeHost(console=True, bench=True)
    add_records(host, 5)
    con = Console(ctl, host, None)
    srv = open_pty(con).start()
    yield srv, ctl, host
    srv.close()


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_one_command_human_and_json(device, capsys):
    srv, ctl, host = device
    code, out, _ = run(capsys, "--port", srv.path, "select", "1", "TENS")    # any case
    assert code == 0 and "program: tens" in out and "max_ma: 80.000" in out
    assert ctl.chans[0].program.pid == "tens"
    code, out, _ = run(capsys, "--port", srv.path, "--json", "amp", "1", "12.5")
    assert code == 0 and json.loads(out) == {"ok": True, "ch": 1, "target_ua": 12500}
    assert ctl.chans[0].ch.target_ua == 12500
    code, out, _ = run(capsys, "--port", srv.path, "start", "1")
    assert code == 0 and ctl.chans[0].ch.state == C.ARMED
    code, out, _ = run(capsys, "--port", srv.path, "status")
    assert code == 0
    assert "ARMED" in out and "12.500" in out and "console control: on" in out


def test_refusal_exits_nonzero(device, capsys):
    srv, ctl, host = device
    code, out, err = run(capsys, "--port", srv.path, "amp", "1", "5")
    assert code == 1 and out == ""
    assert err.startswith("error [not_allowed]: channel 1: select a program first")
    code, out, _ = run(capsys, "--port", srv.path, "--json", "warp", "9")
    assert code == 1 and json.loads(out)["error"] == "unknown_command"
    host.tests = [("sense", False, "ch2 reads 0")]
    code, out, _ = run(capsys, "--port", srv.path, "selftest")
    assert code == 1 and "FAILED" in out


def test_monitor_refreshes(device, capsys):
    srv, ctl, host = device
    code, out, _ = run(capsys, "--port", srv.path, "monitor", "--count", "3",
                       "--interval", "0.05")
    assert code == 0 and out.count("refresh") == 3 and out.count("OFF") == 6
    code, out, _ = run(capsys, "--port", srv.path, "--json", "monitor", "--count", "2",
                       "--interval", "0")
    assert [json.loads(x)["ok"] for x in out.splitlines()] == [True, True]


def test_log_csv_export(device, capsys, tmp_path):
    srv, ctl, host = device
    path = tmp_path / "usage.csv"
    code, out, _ = run(capsys, "--port", srv.path, "log", "--csv", str(path))
    assert code == 0 and "wrote 5 records" in out
    rows = list(csv.DictReader(path.open()))
    assert [int(r["seq"]) for r in rows] == [0, 1, 2, 3, 4]
    assert rows[1]["program"] == "acu" and rows[1]["ch"] == "2" and rows[1]["fault"] == "open"
    assert int(rows[4]["charge_nc"]) == 3000000004
    code, out, _ = run(capsys, "--port", srv.path, "log", "2")
    assert code == 0 and len(out.splitlines()) == 3
    code, out, err = run(capsys, "--port", srv.path, "log", "99")
    assert code == 1 and "out_of_range" in err


def test_link_skips_noise_and_times_out(device):
    srv, ctl, host = device
    # Noise arriving after the request (before it, reset_input_buffer drops it).
    srv.console.write = lambda text: srv.write("MicroPython v1.27 banner\r\n{not json\n" + text)
    with Link(srv.path) as link:
        assert link.request("version")["firmware"] == "0.1.0-test"
    master, slave = os.openpty()
    try:
        with Link(os.ttyname(slave), timeout=0.3) as link, pytest.raises(LinkError):
            link.request("status")
    finally:
        os.close(master)
        os.close(slave)


def test_no_port_or_bad_port(capsys):
    code, _, err = run(capsys, "--port", "/nonexistent/tty", "status")
    assert code == 2 and "cannot open" in err


def test_real_process_through_the_pty(device):
    srv, ctl, host = device
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.run([sys.executable, "-m", "tools.bench", "--port", srv.path, "--json",
                        "version"], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["protocol"] == 1


def test_units_are_ma_with_ma_keys_in_status_log_and_monitor(device, capsys):
    srv, ctl, host = device
    assert run(capsys, "--port", srv.path, "select", "1", "tens")[0] == 0
    code, out, _ = run(capsys, "--port", srv.path, "amp", "1", "12.5")
    assert code == 0 and out.splitlines() == ["ch: 1", "target_ma: 12.500"]
    for argv in (("status",), ("monitor", "--count", "1")):
        code, out, _ = run(capsys, "--port", srv.path, *argv)
        lines = out.splitlines()
        header = next(ln for ln in lines if ln.startswith("ch "))
        assert "target mA" in header and "level mA" in header and "max mA" in header
        assert "_ua" not in out and " uA" not in out
        ch1 = next(ln for ln in lines if ln.startswith("1 "))
        assert "12.500" in ch1 and "80.000" in ch1
    code, out, _ = run(capsys, "--port", srv.path, "log", "2")
    header, first = out.splitlines()[:2]
    assert header.split() == ["seq", "start_s", "ch", "program", "duration_s", "peak_ma",
                              "mean_ma", "charge_nc", "fault", "end", "pain_before",
                              "pain_after", "pad_min"]
    rec = host.log_records(2)[0]
    assert first.split()[5:7] == ["%.3f" % (rec.peak_ua / 1000), "%.3f" % (rec.mean_ua / 1000)]


def test_monitor_csv_is_a_time_series_per_channel(device, capsys, tmp_path):
    srv, ctl, host = device
    assert run(capsys, "--port", srv.path, "select", "1", "tens")[0] == 0
    assert run(capsys, "--port", srv.path, "amp", "1", "12")[0] == 0
    host.ohm = [1800, None]
    path = tmp_path / "status.csv"
    code, out, _ = run(capsys, "--port", srv.path, "monitor", "--count", "3", "--interval",
                       "0.05", "--csv", str(path))
    assert code == 0 and out.count("refresh") == 3
    rows = list(csv.DictReader(path.open()))
    assert [(r["ch"]) for r in rows] == ["1", "2"] * 3
    times = [float(r["t_s"]) for r in rows[::2]]
    assert times[0] < times[1] < times[2] and times[1] - times[0] >= 0.04
    ch1 = rows[0]
    assert (ch1["state"], ch1["program"], ch1["target_ua"], ch1["level_ua"], ch1["ohm"]) == (
        "OFF", "tens", "12000", "0", "1800")
    assert (rows[1]["state"], rows[1]["program"], rows[1]["ohm"]) == ("OFF", "", "")
    assert set(rows[0]) == {"t_s", "ch", "state", "program", "stage", "target_ua", "level_ua",
                            "out_ua", "ohm", "fault"}
    code, _, err = run(capsys, "--port", srv.path, "monitor", "--count", "1", "--csv",
                       str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2 and "No such file or directory" in err


def test_monitor_keeps_the_console_lease(capsys):
    # A device whose console leases what it starts for 1 s, on the real clock.
    ctl = Controller(limits.Envelope())
    con = Console(ctl, FakeHost(console=True), None)
    con.lease_ms = 1000
    t0 = time.monotonic()

    def step():
        now = int((time.monotonic() - t0) * 1000)
        ctl.now_ms = now
        ctl.tick(now)
        while con.poll():
            pass

    srv = open_pty(con, step).start()
    try:
        for line in ("select 1 tens", "amp 1 5", "start 1"):
            assert run(capsys, "--port", srv.path, line)[0] == 0
        ctl.electrode_check(0, True)
        # Refreshes 1.5 s apart: longer than the lease, kept by monitor's own lines.
        code, out, _ = run(capsys, "--port", srv.path, "monitor", "--count", "3",
                           "--interval", "1.5")
        assert code == 0 and out.count("RUNNING") + out.count("RAMPING") == 3
        assert ctl.chans[0].ch.state in (C.RAMPING, C.RUNNING)
        time.sleep(1.5)
        assert ctl.chans[0].ch.state in (C.STOPPING, C.OFF), "without it: stopped"
    finally:
        srv.close()
