"""The commands the README and docs/ give work as written on a fresh clone:
the tools run in the virtualenv `make` creates, so every `python -m tools...`
names `.venv/bin/python` (the system python has none of the pinned packages)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def test_every_tools_command_runs_in_the_venv():
    bare = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            for m in re.finditer(r"(\S*)python3? -m tools\b", line):
                if m.group(1).strip("`(") != ".venv/bin/":
                    bare.append("%s:%d: %s" % (doc.relative_to(ROOT), n, line.strip()))
    assert not bare, "say .venv/bin/python (or a make target):\n" + "\n".join(bare)


def test_every_tools_module_named_in_the_docs_exists():
    missing = []
    for doc in DOCS:
        for mod in re.findall(r"-m (tools(?:\.\w+)+)", doc.read_text()):
            path = ROOT / mod.replace(".", "/")
            if not (path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()):
                missing.append("%s: %s" % (doc.relative_to(ROOT), mod))
    assert not missing, missing
