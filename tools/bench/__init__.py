"""Bench tool: drive a stimulator's console over serial, verify captures, and
characterise the output at the standard test loads.

    python -m tools.bench --port /dev/ttyACM0 status
    python -m tools.bench --port /dev/ttyACM0 --json amp 1 12.5
    python -m tools.bench --port /dev/ttyACM0 monitor [--csv status.csv]
    python -m tools.bench --port /dev/ttyACM0 log --csv usage.csv
    python -m tools.bench verify capture.vcd --program tens --channel 1
    python -m tools.bench --port /dev/ttyACM0 diary --plan 2 --png diary.png
    python -m tools.bench diary --file usage.bin
    python -m tools.bench --port /dev/ttyACM0 characterise --load 500 [--png FILE]
    python -m tools.bench characterise --sim pico --load 10000

Protocol: docs/protocol.md.
"""

import sys
from pathlib import Path

# The firmware's pure core (programs, the console) runs here too.
_ROOT = Path(__file__).resolve().parent.parent.parent
for _p in (_ROOT / "tools" / "shims", _ROOT / "firmware"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))
