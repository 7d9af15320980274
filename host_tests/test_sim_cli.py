"""`python -m tools.sim` as a user runs it: what it prints, what it writes into
--out, and how it refuses bad input (one line, exit 2, before the run)."""

import re
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
