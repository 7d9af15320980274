"""docs/protocol.md shows a console session; replay it and compare every reply,
and check that it shows every command and every error code."""

import json
from pathlib import Path

from console_host import Bench, FakeHost, add_records

from ustim.core import limits
from ustim.core.console import COMMANDS
from ustim.core.controller import Controller

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
CODES = ("unknown_command", "bad_argument", "out_of_range", "not_allowed", "fault_active",
         "busy")


def transcript():
    """(kind, text, expected reply, its line) from the ```console blocks."""
    steps = []
    inside = False
    lines = DOC.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("```"):
            inside = line == "```console"
            continue
        if not inside:
            continue
        if line.startswith("#"):
            steps.append(("device", line[1:].strip(), None, None))
        elif line == ">" or line.startswith("> "):
            steps.append(("send", line[2:], json.loads(lines[i + 1]), lines[i + 1]))
    return steps


def _device(b, what):
    w = what.split()
    if w[0] == "electrode":
        assert b.ctl.electrode_check(int(w[2]) - 1, w[1] == "ok") is None
    elif w[0] in ("console", "bench"):
        setattr(b.host, w[0], w[1] == "on")
    elif w[0] == "battery":
        b.ctl.start_min_pct = limits.BATTERY_START_PCT
        b.ctl.stop_pct = limits.BATTERY_STOP_PCT
        b.ctl.battery(int(w[1].rstrip("%")))
    else:
        raise AssertionError("unknown device step %r" % what)


def test_replies_in_the_doc_are_what_the_console_says():
    host = FakeHost(console=True, bench=True)
    add_records(host, 3)
    b = Bench(Controller(limits.Envelope()), host)
    steps = transcript()
    assert len(steps) > 40
    for kind, text, want, shown in steps:
        if kind == "device":
            _device(b, text)
            continue
        data = text.encode().decode("unicode_escape").encode("latin-1")
        out = b.send(data + b"\n")
        assert len(out) == 1, text
        assert json.loads(out[0]) == want, text
        if text == "status":
            # Its values in fields (console.status_line): shown as it comes.
            assert out[0] == shown + "\n", text


def test_doc_shows_every_command_and_error():
    steps = transcript()
    sent = {s[1].split()[0] for s in steps if s[0] == "send" and s[1].split()}
    assert {c[0] for c in COMMANDS} <= sent
    ok_for = {s[1].split()[0] for s in steps if s[0] == "send" and s[2]["ok"] and s[1].split()}
    assert {c[0] for c in COMMANDS} <= ok_for, "every command has a successful example"
    errors = {s[2]["error"] for s in steps if s[0] == "send" and not s[2]["ok"]}
    assert errors == set(CODES)
