"""Render the channel state machine's table as the Markdown in
docs/channel-states.md (a mermaid diagram plus a table of the events each state
accepts without leaving it). A test keeps the document equal to this output.

    .venv/bin/python -m tools.dev.state_diagram > docs/channel-states.md
"""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(_ROOT / "tools" / "shims"), str(_ROOT / "firmware")]

from ustim.core import channel as ch  # noqa: E402

HEADER = """# Channel state machine

Generated from `TABLE` in `firmware/ustim/core/channel.py` by
`.venv/bin/python -m tools.dev.state_diagram`; `host_tests/test_channel_doc.py` fails when the
two differ. Any event not listed for a state is refused with a reason and
changes nothing.

- Start goes through ARMED: the electrode check (probe pulses at <= 2 mA) must
  report `check_ok` within 3 s, else the channel returns to OFF with the reason.
- RAMPING raises the amplitude from 0 to the target over the start ramp (3 s,
  never under 2 s); STOPPING lowers it to 0 within 0.8 s.
- `emergency_stop`, `pause` and `fault` set the output to 0 in the same call.
- FAULT is left only by `clear_fault`, which returns to OFF with target 0.
"""


def render():
    edges = []
    loops = {}
    for state, event, target in ch.transitions():
        s, e, t = ch.STATE_NAMES[state], ch.EVENT_NAMES[event], ch.STATE_NAMES[target]
        if state == target:
            loops.setdefault(s, []).append(e)
        else:
            edges.append("    %s --> %s : %s" % (s, t, e))
    lines = [HEADER, "```mermaid", "stateDiagram-v2", "    [*] --> OFF"]
    lines += edges
    lines += ["```", "", "| state | events accepted without leaving it |", "|---|---|"]
    for name in ch.STATE_NAMES:
        lines.append("| %s | %s |" % (name, ", ".join(loops.get(name, [])) or "-"))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
