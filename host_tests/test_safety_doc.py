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
