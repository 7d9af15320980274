# A bad scenario file is refused before anything runs, with a message that
# names the field, from the loader and from `python -m tools.sim`.
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.sim.scenario import ScenarioError, load, validate

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"name": "t", "duration_s": 10,
        "events": [{"t": 1.0, "console": "select 1 tens"}, {"t": 2.0, "press": "up"}]}


def _with(**changes):
    sc = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        *keys, last = path.split("__")
        node = sc
        for k in keys:
            node = node[int(k)] if k.isdigit() else node[k]
        if value is _DROP:
            del node[int(last) if last.isdigit() else last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return sc


_DROP = object()

BAD = [
    # (scenario, the field the message must name, a word of the reason)
    (_with(duraton_s=10), "duraton_s", "unknown field"),
    (_with(duration_s="10"), "duration_s", "number"),
    (_with(duration_s=_DROP), "duration_s", "missing"),
    (_with(events__1={"t": 2.0, "explode": "up"}), "events[1]", "exactly one of"),
    (_with(events__1={"t": 20.0, "press": "up"}), "events[1].t", "outside"),
    (_with(events__1={"t": 2.0, "press": "start"}), "events[1].press", "'start'"),
    (_with(events__0={"console": "status"}), "events[0].t", "missing"),
    (_with(events__0={"t": 1, "press": "up", "s": 2}), "events[0].s", "unknown field"),
    (_with(events__0={"t": 1, "electrode": 3, "change": "dry"}), "events[0].electrode",
     "channel"),
    (_with(events__0={"t": 1, "electrode": 1, "change": "melt"}), "events[0].change", "melt"),
    (_with(events__0={"t": 1, "inject": 1, "fault": "fire"}), "events[0].fault", "fire"),
    (_with(events__0={"t": 1, "reset": "nap"}), "events[0].reset", "nap"),
    (_with(electrodes={"1": {"rx_ohm": 300}}), "electrodes.1.rx_ohm", "unknown field"),
    (_with(electrodes={"3": {}}), "electrodes.3", "channel"),
    (_with(board="uno"), "board", "uno"),
    (_with(console_control="yes"), "console_control", "true or false"),
    (_with(programs=3), "programs", "path"),
    (_with(programs=""), "programs", "path"),
]


@pytest.mark.parametrize("sc,field,why", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_scenario_names_the_field(sc, field, why):
    with pytest.raises(ScenarioError) as e:
        validate(sc)
    msg = str(e.value)
    assert msg.startswith(field + ":") or msg.startswith(field + " "), msg
    assert why in msg


def test_good_scenario_passes():
    assert validate(_with()) is not None


def test_shipped_scenarios_are_valid_and_described():
    files = sorted((ROOT / "scenarios").glob("*.json"))
    assert len(files) >= 16
    for f in files:
        sc = load(f)
        assert sc.get("description"), f.name


def test_not_json_names_the_file(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text("{\"duration_s\": 10,")
    with pytest.raises(ScenarioError, match="broken.json: not valid JSON"):
        load(p)


@pytest.mark.parametrize("sc,field", [(BAD[0][0], "duraton_s"), (BAD[5][0], "events[1].press")])
def test_cli_exits_2_with_the_message(tmp_path, sc, field):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(sc))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "tools.sim", "--scenario", str(p), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("scenario error: " + field + ":"), r.stderr
    assert not out.exists()


@pytest.mark.parametrize("content,why", [
    (None, "cannot read"),
    (b'{"programs": [', "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b'[{"id": "a"}]', 'needs an object {"programs": [...]}'),
    (b'{"programs": {"id": "a"}}', 'needs an object {"programs": [...]}'),
])
def test_bad_programs_file_is_a_scenario_error(tmp_path, content, why):
    (tmp_path / "sc").mkdir()
    if content is not None:
        (tmp_path / "progs.json").write_bytes(content)
    p = tmp_path / "sc" / "s.json"
    p.write_text(json.dumps(_with(programs="../progs.json")))
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert msg.startswith("programs: %s: " % (tmp_path / "progs.json")), msg
    assert why in msg


def test_programs_path_is_relative_to_the_scenario(tmp_path):
    (tmp_path / "sc").mkdir()
    # Entries the envelope refuses are the firmware's to report, not an error here.
    (tmp_path / "progs.json").write_text(json.dumps({"programs": [{"id": "x", "kind": "EMS"}]}))
    p = tmp_path / "sc" / "s.json"
    p.write_text(json.dumps(_with(programs="../progs.json")))
    assert load(p)["programs"] == str(tmp_path / "progs.json")


def test_cli_exits_2_for_a_missing_programs_file(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(_with(programs="nowhere.json")))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "tools.sim", "--scenario", str(p), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("scenario error: programs: %s: cannot read" % (
        tmp_path / "nowhere.json")), r.stderr
    assert not out.exists()


def test_docs_describe_every_scenario_and_choice():
    from tools.sim import scenario as SC

    doc = (ROOT / "docs" / "scenarios.md").read_text()
    for f in (ROOT / "scenarios").glob("*.json"):
        assert "`%s`" % f.name in doc, f.name
    for word in SC.BOARDS + SC.BUTTONS + SC.CHANGES + SC.FAULTS + SC.RESETS:
        assert "`%s`" % word in doc, word
    for field in ("duration_s", "name", "description", "board", "electrodes", "battery_mv",
                  "console_control", "bench_mode", "programs", "events", "over_s", "rs_ohm",
                  "rp_ohm", "cp_nf"):
        assert "`%s`" % field in doc, field
