"""docs/channel-states.md must describe exactly the transitions in TABLE."""

import re
from pathlib import Path

from tools.dev import state_diagram
from ustim.core import channel as C

DOC = Path(__file__).resolve().parent.parent / "docs" / "channel-states.md"


def test_document_is_generated_from_the_table():
    assert DOC.read_text() == state_diagram.render(), (
        "docs/channel-states.md is stale: run python -m tools.dev.state_diagram > " + str(DOC))


def test_diagram_edges_equal_table_transitions():
    text = DOC.read_text()
    drawn = set(re.findall(r"^\s+(\w+) --> (\w+) : (\w+)$", text, re.M))
    table = {(C.STATE_NAMES[s], C.STATE_NAMES[t], C.EVENT_NAMES[e])
             for s, e, t in C.transitions() if s != t}
    assert drawn == table
    for state, events in re.findall(r"^\| (\w+) \| ([\w, -]+) \|$", text, re.M):
        if state == "state":
            continue
        listed = set() if events == "-" else set(events.split(", "))
        s = C.STATE_NAMES.index(state)
        assert listed == {C.EVENT_NAMES[e] for ss, e, t in C.transitions() if ss == s and t == s}
