"""FaultWatch reads the faults the firmware latched from its own state, the
source of the simulator's fault counts (report.md, waveform.png, summary.json)."""

from tools.sim.firmware_state import FaultWatch
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.controller import Controller


class _App:
    def __init__(self):
        self.ctl = Controller(limits.Envelope())


def _running(app, ch):
    ctl = app.ctl
    assert ctl.select(ch, "tens") is None and ctl.set_amp(ch, 5000) is None
    assert ctl.start(ch) is None
    ctl.electrode_check(ch, True)


def test_each_fault_raised_once_with_its_kind():
    app = _App()
    watch = FaultWatch(app)
    found = []
    app.ctl.on_event = lambda text: watch.into(found)
    _running(app, 1)
    assert found == []
    app.ctl.fault(1, C.FAULT_SHORT)
    app.ctl.fault(1, C.FAULT_OPEN)          # already latched: not another fault
    assert found == [(1, "short")]
    app.ctl.clear(1)
    _running(app, 1)
    app.ctl.fault(1, C.FAULT_OVERCURRENT)
    watch.into(found)                       # a second look finds nothing new
    assert found == [(1, "short"), (1, "overcurrent")]


def test_a_fault_the_controller_does_not_count_is_found_by_the_state():
    app = _App()
    watch = FaultWatch(app)
    found = []
    _running(app, 0)
    app.ctl.chans[0].ch.handle(C.FAULT_EV, C.FAULT_INTERNAL, 0)
    watch.into(found)
    watch.into(found)
    assert found == [(0, "internal")]
