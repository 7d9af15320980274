"""`python -m tools.sim` as a user runs it: what it prints, what it writes into
--out, and how it refuses bad input (one line, exit 2, before the run)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tools.sim import cli

ROOT = Path(__file__).resolve().parent.parent
LEAD_OFF = str(ROOT / "scenarios" / "lead-off.json")


def _report_rows(text):
    rows = {}
    for ln in text.splitlines():
        m = re.match(r"\| ch(\d) \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| -?\d+ \| (\d+) "
                     r"\| (\d+) \|", ln)
        if m:
            rows[int(m.group(1))] = m.groups()[1:]
    return rows


def test_printed_summary_counts_what_the_report_counts(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["--scenario", LEAD_OFF, "--out", str(out)]) == 0
    printed = {}
    for ln in capsys.readouterr().out.splitlines():
        m = re.match(r"  ch(\d) \S+ +(\d+) pulses  peak +([\d.]+) mA  charge \+([\d.]+)/-([\d.]+)"
                     r" uC  faults (\d+)  last session (\d+) pulses", ln)
        if m:
            printed[int(m.group(1))] = m.groups()[1:]
    report = _report_rows((out / "report.md").read_text())
    assert printed == report and set(printed) == {1, 2}
    # Whole run vs last session: the run holds the electrode check's probe
    # pulses, which the firmware's dose leaves out.
    ch1 = printed[1]
    assert int(ch1[0]) > int(ch1[5]) > 0
    assert printed[2][4] == "1"                       # the lift-off on channel 2


def test_a_scenario_that_is_not_utf8_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"name": "Knie \u00fcben", "duration_s": 10}'.encode("latin-1"))
    assert cli.main(["--scenario", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == "scenario error: %s: not UTF-8 text (byte 0xfc at offset 15); save it as " \
                  "UTF-8\n" % bad
    assert not (tmp_path / "o").exists()


def test_out_naming_a_file_is_refused_before_the_run(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("keep me")
    assert cli.main(["--scenario", LEAD_OFF, "--out", str(f)]) == 2
    assert capsys.readouterr() == ("", "--out %s: is a file, not a folder\n" % f)
    assert f.read_text() == "keep me"


def test_out_in_an_unwritable_place_is_refused_before_the_run(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("")
    inside = f / "run"                  # a folder inside a file cannot be made
    assert cli.main(["--scenario", LEAD_OFF, "--out", str(inside)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == "--out %s: cannot write there (Not a directory)\n" % inside
    if os.geteuid() != 0:               # root writes through permission bits
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert cli.main(["--scenario", LEAD_OFF, "--out", str(ro)]) == 2
        assert "cannot write there (Permission denied)" in capsys.readouterr().err


def test_output_piped_into_head_is_one_line_not_a_traceback(tmp_path):
    # As `| head -0`: the reader has gone before the first line is written.
    p = subprocess.Popen([sys.executable, "-m", "tools.sim", "--scenario", LEAD_OFF, "--out",
                          str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 2
    assert err == "python -m tools.sim: output closed before it ended (broken pipe)\n"
