"""Every board file loads, and the docs describe what the board files say:
each field in docs/boards.md, each pin in the board's wiring table."""

import re
import runpy
import types

import pytest

from tools.dev.build import ROOT
from ustim import board

WIRING = {"pico": "wiring-pico.md", "esp32_devkitc": "wiring-esp32.md"}
BOARDS = sorted(p.stem for p in (ROOT / "boards").glob("*.py"))


def _module(name):
    return types.SimpleNamespace(**runpy.run_path(str(ROOT / "boards" / (name + ".py"))))


@pytest.mark.parametrize("name", BOARDS)
def test_board_file_loads(name):
    mod = _module(name)
    assert board.problems(mod) == []
    assert board.load(mod).NAME == name


def test_boards_md_describes_every_field():
    text = (ROOT / "docs" / "boards.md").read_text()
    for field, _kind in board.REQUIRED + board.OPTIONAL:
        assert "`%s`" % field in text, field


@pytest.mark.parametrize("name", BOARDS)
def test_wiring_table_matches_board_file(name):
    assert name in WIRING, "every board needs a wiring table in docs/"
    mod = _module(name)
    rows = {}
    for line in (ROOT / "docs" / WIRING[name]).read_text().splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        m = re.match(r"(?:GP)?(\d+)\b", cells[0]) if cells else None
        if m:
            rows[int(m.group(1))] = cells[1]
    expected = {}
    for field in dir(mod):
        if not field.startswith("PIN_"):
            continue
        value = getattr(mod, field)
        if isinstance(value, tuple):
            for i, gpio in enumerate(value):
                expected.setdefault(gpio, []).append("%s[%d]" % (field, i))
        else:
            expected.setdefault(value, []).append(field)
    assert sorted(rows) == sorted(expected), "GPIOs in the table vs the board file"
    for gpio, labels in expected.items():
        for label in labels:
            assert "`%s`" % label in rows[gpio], (gpio, label)
