import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# firmware/ is what goes on the board; tools/shims stands in for MicroPython's
# built-in modules on CPython; host_tests/dual holds the dual-runtime checks.
for p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT / "host_tests" / "dual", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _no_board_left_running():
    # A stepped board (a campaign rig's, a bench link's) runs in a thread
    # with the firmware's storage bound to its flash: those left running by
    # a module are stopped with it, so the next module finds the host's own
    # filesystem.
    yield
    rig = sys.modules.get("campaign_rig")
    if rig is not None:
        while rig._open:
            rig._open.pop().close()
    run = sys.modules.get("tools.sim.run")
    if run is not None:
        while run.RUNNING:
            run.RUNNING[-1].finish()
