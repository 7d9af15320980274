"""The repository carries its own safety facts: docs/safety-limits.md holds
every limit, preset, load and contraindication with its source, and nothing
outside firmware/ points to a document that is not in the repository."""

import re
from pathlib import Path

from ustim.core import limits
from ustim.core.programs import PRESETS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "safety-limits.md").read_text()


def _texts():
    for top in ("docs", "tools", "host_tests"):
        for p in sorted((ROOT / top).rglob("*")):
            if p.suffix in (".md", ".py", ".json") and "__pycache__" not in p.parts:
                yield p
    yield ROOT / "README.md"
    yield ROOT / "Makefile"


# Built in pieces, so this file does not match itself.
_OUTSIDE = re.compile(r"(?<![\w-])" + "SAFETY" + r"\.md|" + "shared" + "/|/" + "work/")


def test_nothing_points_to_a_safety_document_outside_the_repository():
    found = []
    for p in _texts():
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if _OUTSIDE.search(line):
                found.append("%s:%d: %s" % (p.relative_to(ROOT), n, line.strip()))
    assert not found, "\n".join(found)


def test_every_envelope_limit_is_in_the_table_with_a_source():
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = cells
    env = limits.Envelope()
    names = [n for n in vars(env) if not n.startswith("_")]
    assert names and set(names) <= set(rows), sorted(set(names) - set(rows))
    for name in names:
        default, source = rows[name][1], rows[name][3]
        assert str(getattr(env, name)) in default.replace(" ", "").split("/"), name
        assert source, name


def test_presets_loads_and_contraindications_have_their_sources():
    for words in (("Conventional TENS", "Vance 2012"), ("Acupuncture-like", "Law & Cheing"),
                  ("Burst TENS", "Implox"), ("Modulated TENS", "Enraf-Nonius IFU"),
                  ("knee OA", "Physiotherapy Canada 2017"), ("knee replacement", "Sports Health"),
                  ("short cycle", "Feil")):
        assert any(all(w in line for w in words) for line in DOC.splitlines()), words
    assert len(PRESETS) == 8
    for fact in ("Nolan 1991", "500 ohm, 2 kohm and 10 kohm", "21 CFR 882.5891", "US 9474898",
                 "Rutjes 2009", "carotid sinus", "FDA 510(k)", "zc95"):
        assert fact in DOC, fact
