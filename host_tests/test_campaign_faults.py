"""Safety campaign, fault injection across the whole App on the simulated
board: storage full or corrupt at boot, ADC stuck or pegged, a button stuck,
a brown-out reset mid-session and an exception raised from inside each part
during a session. Every case also keeps the campaign invariants
(host_tests/campaign_rig.py): no pulse outside the envelope or while a channel
is OFF/FAULT/down, no amplitude step beyond the ramp bound, dose = pulses."""

import pytest

from campaign_rig import Rig
from tools.sim.models.flash import MemStorage
from ustim.core import channel as C
from ustim.core import settings as S
from ustim.core import usage_log
from ustim.core.buttons import B_MODE, B_POWER, B_UP, STUCK_MS

SECOND = 100          # ticks


def _running(rig, *programs, ma=20):
    """Select, set and start programs on channels 1.. and run until RUNNING."""
    for i, pid in enumerate(programs):
        rig.console("select %d %s" % (i + 1, pid))
        rig.console("amp %d %d" % (i + 1, ma))
    rig.console("start all")
    rig.run(5 * SECOND)
    assert [rig.states()[i] for i in range(len(programs))] == [C.RUNNING] * len(programs), \
        rig.sim.rec.events
    rig.check()


def _pulses_after(rig, t_us, ch=None):
    return [p for p in rig.keep_pulses if p[1] >= t_us and (ch is None or p[0] == ch)]


def _kept(rig):
    rig.keep_pulses = []
    return rig


def _off_at(rig, t0_us, ch=None):
    """When the outputs went off after t0_us: the first reference written 0
    then (an engine stop and its 0 are one instant)."""
    rig.flush()
    return min(t for t, c, ua in rig.sim.rec.amplitude
               if ua == 0 and t >= t0_us and (ch is None or c == ch))


# -- storage ------------------------------------------------------------------

def test_storage_full_at_boot_stimulation_unaffected():
    def fill(sim):
        sim.storage.capacity = sim.storage.used()
    rig = _kept(Rig(before_boot=fill))
    app = rig.sim.app
    assert any("sage log" in n for n in app.notices), app.notices
    _running(rig, "tens")
    rig.run(10 * SECOND)
    notices = len(app.notices)
    rig.console("stop 1")
    rig.run(2 * SECOND)
    rig.flush()
    rig.check()
    assert app.failed is None and rig.sim.boots == 1
    assert rig.states() == [C.OFF, C.OFF] and rig.outputs_off()
    assert len(_pulses_after(rig, 0, 0)) > 1000
    # The failed record write is reported on the screen, not raised.
    assert len(app.notices) == notices + 1 and app.notices[-1].startswith("Usage log")
    assert app.log.records() == []


def _used_storage():
    """Storage after one session per channel: settings and two log records."""
    rig = Rig()
    _running(rig, "tens", "acu")
    rig.run(3 * SECOND)
    rig.console("stop 1")
    rig.run(2 * SECOND)
    rig.console("stop 2")
    rig.run(2 * SECOND)
    rig.check()
    recs = rig.sim.app.log.records()
    assert [r.channel for r in recs] == [0, 1]
    return rig.sim.storage, recs


def test_storage_corrupt_at_boot_safe_defaults_and_intact_records_kept():
    storage, recs = _used_storage()
    corrupt = MemStorage()
    corrupt.files = {k: bytearray(v) for k, v in storage.files.items()}
    corrupt.files[S.FILE_NAME] = bytearray(b'{"max_ma": 80, "console": tru\xff\x00')
    log = corrupt.files[usage_log.FILE_NAME]
    log[usage_log.RECORD_SIZE + 5] ^= 0x5A          # damage the second record only

    def use(sim):
        sim.storage = corrupt
    rig = _kept(Rig(before_boot=use))
    app = rig.sim.app
    rig.run(3 * SECOND)
    # Defaults: console control off (a setting only the device's menu turns
    # on), so the bench cannot start anything; stop and status still answer.
    for line in ("select 1 tens", "amp 1 20", "start 1", "stop 1", "status"):
        rig.console(line, 5)
    rig.run(2 * SECOND)
    rig.flush()
    rig.check()
    out = [text for _, d, text in rig.sim.rec.console if d == "out"]
    assert sum('"error": "not_allowed"' in t for t in out) == 3, out
    assert app.failed is None and rig.states() == [C.OFF, C.OFF] and rig.outputs_off()
    assert _pulses_after(rig, 0) == []
    assert app.settings.console is False and app.settings.max_ma == S.Settings().max_ma
    assert any("ettings" in n for n in app.notices), app.notices
    kept = app.log.records()
    assert [r.fields() for r in kept] == [recs[0].fields()]


# -- sense path -----------------------------------------------------------------

def test_adc_stuck_is_caught_when_the_set_point_moves():
    rig = _kept(Rig())
    _running(rig, "tens", "tens")
    rig.sim.electrodes[0].sense_fault(rig.now_ms, "stuck")
    # Frozen readings that stay plausible are not a fault by themselves (see
    # docs/safety.md): only when the set point moves and the readings do not.
    rig.run(3 * SECOND)
    assert rig.states() == [C.RUNNING, C.RUNNING]
    rig.console("amp 1 30")
    rig.run(5 * SECOND)
    rig.flush()
    rig.check()
    ch = rig.sim.app.ctl.chans[0].ch
    assert ch.state == C.FAULT and ch.fault_kind == C.FAULT_SENSE, rig.sim.rec.events
    t_fault = _fault_time(rig, 1)
    assert _pulses_after(rig, (t_fault + 10) * 1000, 0) == []
    assert rig.states()[1] == C.RUNNING          # the other channel carries on


def test_adc_pegged_voltage_faults_the_channel():
    rig = _kept(Rig())
    _running(rig, "tens", "tens")
    t0 = rig.now_ms
    rig.sim.electrodes[1].sense_fault(t0, "peg_v")
    rig.run(2 * SECOND)
    rig.flush()
    rig.check()
    ch = rig.sim.app.ctl.chans[1].ch
    assert ch.state == C.FAULT and ch.fault_kind in (C.FAULT_SENSE, C.FAULT_OPEN), \
        rig.sim.rec.events
    t_fault = _fault_time(rig, 2)
    assert t_fault - t0 <= 100, "fault within 100 ms (%d ms)" % (t_fault - t0)
    assert _pulses_after(rig, (t_fault + 10) * 1000, 1) == []
    assert rig.states()[0] == C.RUNNING


def _fault_time(rig, ch):
    for t, text in rig.sim.rec.events:
        if text.startswith("ch%d FAULT" % ch):
            return t
    raise AssertionError("no fault on ch%d: %r" % (ch, rig.sim.rec.events))


# -- buttons --------------------------------------------------------------------

def _hold(rig, button, ms):
    rig.sim.hold(button, True)
    rig.run(ms // 10)
    rig.sim.hold(button, False)


def test_mode_stuck_is_ignored_and_reported_stimulation_unaffected():
    rig = _kept(Rig())
    _running(rig, "tens")
    amp = rig.sim.amp_ua(0)
    t0 = rig.now_ms
    _hold(rig, B_MODE, STUCK_MS + 2000)
    rig.run(2 * SECOND)
    rig.flush()
    rig.check()
    assert "Button stuck: ignored" in rig.sim.app.notices
    assert rig.states()[0] == C.RUNNING and rig.sim.amp_ua(0) == amp
    # No gap in the train while the key was held: 100 Hz throughout.
    starts = [p[1] for p in _pulses_after(rig, t0 * 1000, 0)]
    assert all(b - a == 10000 for a, b in zip(starts, starts[1:], strict=False))
    assert len(starts) >= (STUCK_MS + 4000) // 10 - 1


def test_up_stuck_raises_at_most_at_the_slew_rate_then_is_ignored():
    rig = _kept(Rig())
    _running(rig, "tens", ma=10)
    t0 = rig.now_ms
    _hold(rig, B_UP, STUCK_MS + 3000)
    t1 = rig.now_ms
    rig.run(3 * SECOND)
    rig.flush()
    rig.check()
    assert "Button stuck: ignored" in rig.sim.app.notices
    c = rig.sim.app.ctl.chans[0]
    assert c.ch.state == C.RUNNING
    # Repeats stop at the stuck report (10 s): the target rose by at most one
    # step per UP_MIN_MS over those 10 s, and not at all after it.
    assert 10000 < c.ch.target_ua <= 10000 + (STUCK_MS // 250 + 1) * C.STEP_UA
    target_at_stuck = c.ch.target_ua
    rises = [a for a in rig.sim.rec.amplitude if a[1] == 0 and a[0] >= (t0 + STUCK_MS + 500) * 1000]
    assert all(a[2] <= target_at_stuck for a in rises)
    assert t1 - t0 >= STUCK_MS


def test_power_stuck_stops_everything_at_once_and_nothing_resumes():
    rig = _kept(Rig())
    _running(rig, "tens", "burst")
    t0 = rig.now_ms
    rig.sim.hold(B_POWER, True)
    rig.run(5)
    assert rig.outputs_off(), "emergency stop within 50 ms of the press"
    off = _off_at(rig, t0 * 1000)
    assert off < (t0 + 50) * 1000
    rig.run((STUCK_MS + 2000) // 10)
    rig.sim.hold(B_POWER, False)
    rig.run(5 * SECOND)
    rig.flush()
    rig.check()
    assert rig.states() == [C.OFF, C.OFF] and rig.outputs_off()
    assert [p for p in _pulses_after(rig, off) if p[1] > off] == []
    # The long press powered it down; released, it stays down (only a new
    # press wakes it).
    assert any(text.startswith("powered down") for _, text in rig.sim.rec.events)
    assert rig.sim.boots == 1


# -- brown-out --------------------------------------------------------------------

def test_brownout_mid_session_outputs_off_nothing_resumes_log_intact():
    sc = {"name": "brownout", "duration_s": 60, "events": [{"t": 20.0, "reset": "brownout"}]}
    rig = _kept(Rig(scenario=sc))
    _running(rig, "tens", "tens")
    rig.run(5 * SECOND)
    rig.console("stop 2")
    rig.run(2 * SECOND)
    before = [r.fields() for r in rig.sim.app.log.records()]
    assert len(before) == 1
    while rig.now_ms < 20000:       # to the brown-out at 20 s
        rig.tick()
    rig.run(1)
    assert not rig.sim.up and rig.outputs_off()
    rig.run(15 * SECOND)
    rig.flush()
    rig.check()
    app = rig.sim.app
    assert rig.sim.boots == 2 and app.failed is None
    assert rig.states() == [C.OFF, C.OFF] and rig.outputs_off()
    assert [c.ch.target_ua for c in app.ctl.chans] == [0, 0]
    off = _off_at(rig, 20000 * 1000)        # the supply gone: every reference 0
    assert off < 20020 * 1000
    assert [p for p in _pulses_after(rig, off) if p[1] > off] == []
    assert [r.fields() for r in app.log.records()] == before


# -- an exception inside a part ---------------------------------------------------

def _boom(*args, **kwargs):
    raise RuntimeError("injected fault")


def _patch_target(app, part):
    hw = app.hw
    return {
        "sense": (hw.sense, "read"),
        "electrode_guard": (app.guards[0], "step"),
        "buttons": (hw.buttons, "poll_into"),
        "console": (app.console, "poll"),
        "controller": (app.ctl, "tick"),
        "sequencer": (app.ctl.chans[1].seq, "tick"),
        "session": (app.ctl.chans[0].session, "tick"),
        "dose": (app.ctl, "account"),
        "pulse_engine": (hw.pulses, "service"),
        "amplitude": (hw.amp, "set"),
        "display": (hw.display, "flush"),
        "usage_log": (app.log, "append"),
    }[part]


PARTS = ("sense", "electrode_guard", "buttons", "console", "controller", "sequencer",
         "session", "dose", "pulse_engine", "amplitude", "display", "usage_log")


@pytest.mark.parametrize("part", PARTS)
def test_exception_in_a_part_outputs_off_same_tick_and_nothing_resumes(part):
    rig = _kept(Rig())
    # The second program sweeps its rate, so its sequencer works every tick.
    _running(rig, "tens", "mod")
    app = rig.sim.app
    obj, name = _patch_target(app, part)
    setattr(obj, name, _boom)
    if part == "usage_log":
        rig.console("stop 1")        # the log is written when the session ends
        rig.run(78)
        assert app.failed is None and rig.states()[0] == C.STOPPING
    if part == "amplitude":
        # The adapter is written when the level moves (it keeps the code it set).
        rig.console("amp 1 15")
    for _ in range(SECOND):
        t = rig.sim.now_us
        rig.tick()
        if app.failed:
            break
    assert app.failed and "injected fault" in app.failed
    # Off in the tick that failed: the firmware's own fail(), before the board reset.
    assert rig.outputs_off(), rig.outputs()
    off = _off_at(rig, t)
    assert [p for p in _pulses_after(rig, off) if p[1] > off] == []
    rig.run(5 * SECOND)
    rig.flush()
    rig.check()
    new = rig.sim.app
    assert new is not app and rig.sim.boots == 2 and new.failed is None
    assert rig.states() == [C.OFF, C.OFF] and rig.outputs_off()
    assert [p for p in _pulses_after(rig, off) if p[1] > off] == []
    assert b"injected fault" in rig.sim.storage.read("error.txt")
    assert any("Last error" in n for n in new.notices)
