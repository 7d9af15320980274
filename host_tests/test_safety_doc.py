"""docs/safety.md names the tests that prove each hazard: every file and test
function it names must exist, so the table cannot point at tests that were
renamed or removed."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "safety.md"
REF = re.compile(r"`((?:dual/)?(?:test|check)_[a-z0-9_]+\.py)(?:::([A-Za-z0-9_]+))?")


def _refs():
    return sorted(set(REF.findall(DOC.read_text())))


def test_safety_doc_names_existing_tests():
    refs = _refs()
    assert len(refs) > 30
    missing = []
    for name, func in refs:
        path = ROOT / "host_tests" / name
        if not path.exists():
            missing.append(name)
            continue
        if func:
            src = path.read_text()
            # A hypothesis state machine's test case is named in the module.
            if not re.search(r"^(def %s\(|%s = )" % (func, func), src, re.M):
                missing.append("%s::%s" % (name, func))
    assert missing == []


def test_safety_doc_keeps_the_bench_figures_section():
    assert "## Figures from make bench" in DOC.read_text()


def test_every_hazard_row_names_its_tests():
    text = DOC.read_text()
    table = text.split("## Hazard table", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| Hazard |")]
    assert len(rows) > 25
    for row in rows:
        proof = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert REF.search(proof), "hazard row without a test: %s" % row[:80]


def test_the_console_hazards_of_issue_15_are_in_the_table():
    table = DOC.read_text().split("## Hazard table", 1)[1]
    for words in ("Ctrl-C", "settings.json` written off the device", "made of two lines",
                  "stalls the control tick", "console control off", "host that controls it"):
        assert words in table, words
