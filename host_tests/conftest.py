import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# firmware/ is what goes on the board; tools/shims stands in for MicroPython's
# built-in modules on CPython; host_tests/dual holds the dual-runtime checks.
for p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT / "host_tests" / "dual", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
