# The command layer on both runtimes: programs, the envelope bound, the session
# timer and dose accounting, refusals with console error codes, and an
# allocation-free control tick.
import sys

from dualcheck import eq, true
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.controller import Controller, program_max_ua
from ustim.core.ticks import TICKS_PERIOD, ticks_add


def _running(t0=0, pid="tens", ua=25000):
    ctl = Controller(limits.Envelope())
    ctl.tick(t0)
    eq(ctl.select(0, pid), None, "select")
    eq(ctl.set_amp(0, ua), None, "set amplitude")
    eq(ctl.start(0), None, "start")
    eq(ctl.chans[0].ch.state, C.ARMED, "armed")
    eq(ctl.electrode_check(0, True), None, "check ok")
    return ctl


def check_refusals_carry_console_codes():
    ctl = Controller(limits.Envelope())
    eq(ctl.start(0)[0], "not_allowed", "no program")
    eq(ctl.select(0, "nope")[0], "bad_argument", "unknown program")
    eq(ctl.select(5, "tens")[0], "bad_argument", "no channel")
    eq(ctl.select(0, "tens"), None, "select")
    eq(ctl.set_amp(0, 90000)[0], "out_of_range", "above limit")
    eq(ctl.set_amp(0, "5")[0], "bad_argument", "not an int")
    eq(ctl.set_timer(61)[0], "out_of_range", "over 60 min")
    ctl.start(0)
    eq(ctl.select(0, "acu")[0], "busy", "select while armed")
    ctl.fault(0, C.FAULT_OPEN)
    eq(ctl.start(0)[0], "fault_active", "start in fault")
    eq(ctl.clear(0), None, "clear")
    eq(ctl.chans[0].ch.target_ua, 0, "target 0 after clear")


def check_limit_covers_every_spec_of_a_program():
    env = limits.Envelope()
    ctl = Controller(env, area_mm2=400)
    ctl.select(0, "mod")
    prog = ctl.chans[0].program
    m = program_max_ua(env, prog, 400)
    eq(ctl.chans[0].max_ua, m, "channel limit")
    spec = ctl.chans[0].out.spec
    for hz in range(prog.hz, prog.sweep_hz + 1):
        eq(limits.check(env, prog.fill_spec(spec, hz), m, 400), None, "accepted at %d Hz", hz)
    ctl.set_cap(10000)
    eq(ctl.chans[0].max_ua, 10000, "user cap lowers the limit")


def check_session_runs_ramps_and_ends_by_timer():
    for t0 in (0, TICKS_PERIOD - 5000):
        ctl = _running(t0)
        ctl.set_timer(1)
        now = t0
        peak = 0
        pulses = 0
        for _ in range(6200):        # 62 s of 10 ms ticks
            now = ticks_add(now, 10)
            ctl.tick(now)
            ua = ctl.chans[0].out.ua
            peak = ua if ua > peak else peak
            if ua:
                ctl.account(0, 1, ua)  # 100 Hz: one pulse per 10 ms tick
                pulses += 1
        c = ctl.chans[0]
        eq(c.ch.state, C.OFF, "timer ended the session")
        eq(peak, 25000, "reached the target")
        eq(len(ctl.finished), 1, "one usage-log record")
        rec = ctl.finished[0]
        eq(rec[0], 0, "channel")
        eq(rec[1], 1, "program number")
        true(60 <= rec[2] <= 62, "duration %d s", rec[2])
        eq(rec[3], 25000, "peak")
        eq(c.dose.pulses, pulses, "dose counts every pulse")


def check_fault_cuts_output_and_logs_it():
    ctl = _running()
    now = 0
    for _ in range(400):
        now += 10
        ctl.tick(now)
    true(ctl.chans[0].out.ua > 0, "running")
    ctl.fault(0, C.FAULT_SHORT)
    eq(ctl.chans[0].out.ua, 0, "off in the same call")
    ctl.tick(now + 10)
    eq(ctl.finished[-1][6], C.FAULT_SHORT, "fault in the record")


def check_emergency_stop_stops_all():
    ctl = _running()
    ctl.select(1, "acu")
    ctl.set_amp(1, 5000)
    ctl.start(1)
    ctl.electrode_check(1, True)
    ctl.tick(4000)
    ctl.emergency_stop()
    for c in ctl.chans:
        eq((c.ch.state, c.out.ua), (C.OFF, 0), "channel off")


def check_steady_tick_allocates_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    for pid in ("tens", "burst", "alt", "mod", "oa"):
        ctl = _running(TICKS_PERIOD - 3000, pid, 20000)
        now = TICKS_PERIOD - 3000
        for _ in range(400):
            now = ticks_add(now, 10)
            ctl.tick(now)
        before = gc.mem_alloc()
        for _ in range(1000):
            now = ticks_add(now, 10)
            ctl.tick(now)
            ctl.account(0, 1, ctl.chans[0].out.ua)
        eq(gc.mem_alloc() - before, 0, "bytes allocated by 1000 ticks of %s", pid)


def _rms(ctl, ch, ua):
    return limits.rms_ua(ctl.chans[ch].out.spec, ua)


def check_a_new_program_starts_at_target_zero():
    # Issue 16 item 1: 45 mA chosen on acu (2 Hz) must not become the target of
    # tens (100 Hz), where the same peak is six times the rms current.
    ctl = Controller(limits.Envelope())
    ctl.tick(0)
    eq(ctl.select(0, "acu"), None, "select acu")
    eq(ctl.set_amp(0, 45000), None, "45 mA on acu")
    eq(_rms(ctl, 0, 45000), 1423, "rms of 45 mA on acu (uA)")
    eq(ctl.select(0, "tens"), None, "select tens")
    eq(_rms(ctl, 0, 45000), 9000, "rms 45 mA would give on tens (uA)")
    eq(ctl.chans[0].ch.target_ua, 0, "target after a program change")
    eq(ctl.start(0), None, "start")
    eq(ctl.electrode_check(0, True), None, "check ok")
    now = 0
    peak = 0
    for _ in range(500):          # 5 s: past the whole start ramp
        now += 10
        ctl.tick(now)
        peak = max(peak, ctl.chans[0].out.ua)
    eq(peak, 0, "tens output with no amplitude chosen for it")
    eq(_rms(ctl, 0, peak), 0, "rms after the program change")
    # The same for a program built on the channel (the console's `set`) and
    # for choosing the same program again.
    ctl.stop(0)
    ctl.tick(now + 1000)
    for prog in (ctl.find_program("tens"), ctl.find_program("oa")):
        ctl.set_amp(0, 20000)
        eq(ctl.select_program(0, prog), None, "select %s", prog.pid)
        eq(ctl.chans[0].ch.target_ua, 0, "target after selecting %s", prog.pid)


def check_a_refused_program_keeps_the_target():
    # A refusal changes nothing (the target of the program still in use stays).
    ctl = Controller(limits.Envelope())
    ctl.select(0, "acu")
    ctl.set_amp(0, 30000)
    eq(ctl.select(0, "nope")[0], "bad_argument", "unknown program")
    ctl.start(0)
    eq(ctl.select(0, "tens")[0], "busy", "select while armed")
    eq(ctl.chans[0].ch.target_ua, 30000, "target kept after refusals")


def check_continuous_ems_program_is_refused():
    from ustim.core.programs import Program
    ctl = Controller(limits.Envelope())
    prog = Program("tet", "Tetanic", True, 400, 100, 1200)
    eq(ctl.select_program(0, prog), (
        "out_of_range", "program tet: on_s contraction on time 0 ms outside limit 1000 ms"),
       "refused")
    eq(ctl.chans[0].program, None, "nothing selected")


def check_session_setting_applies_to_sessions_that_start_after_it():
    # The settings' longest session: a session lasts its program's own length
    # (or the timer's), never longer than the setting; a running session keeps
    # its length.
    ctl = Controller(limits.Envelope())
    ctl.tick(0)
    ctl.select(0, "tens")
    eq(ctl.chans[0].session.length_s, 1800, "no setting: the program's 30 min")
    eq(ctl.set_session_cap(10 * 60), None, "10 min")
    eq(ctl.chans[0].session.length_s, 1800, "a selected channel waits for its start")
    ctl.set_amp(0, 10000)
    ctl.start(0)
    eq(ctl.chans[0].session.length_s, 600, "applied when its session starts")
    ctl.electrode_check(0, True)
    ctl.select(1, "oa")
    eq(ctl.chans[1].session.length_s, 600, "oa's 20 min capped to 10")
    eq(ctl.set_session_cap(25 * 60), None, "25 min")
    ctl.tick(1000)
    eq(ctl.chans[0].session.length_s, 600, "the running session keeps its length")
    ctl.start(1)
    eq(ctl.chans[1].session.length_s, 1200, "oa's own 20 min is below the cap")
    r = ctl.set_session_cap(61 * 60)
    eq(r, ("out_of_range", "session length 3660 s outside limit 3600 s"), "61 min refused")
    eq(ctl.session_cap_s, 1500, "unchanged by the refusal")
    eq(ctl.set_timer(45), None, "timer 45 min")
    eq([c.session.length_s for c in ctl.chans], [1500, 1500], "the timer is capped too")
    eq(ctl.set_session_cap(60 * 60), None, "60 min")
    ctl.stop(0)
    ctl.tick(3000)
    ctl.start(0)
    eq(ctl.chans[0].session.length_s, 2700, "the timer's 45 min at the next start")


def check_the_ticks_state_literals_are_the_channels():
    # controller.tick compares states with its own literals (a module attribute
    # lookup per comparison costs on a board): they must be channel's numbers.
    # MicroPython folds underscore constants away: the source is checked here.
    if sys.implementation.name == "micropython":
        return
    from ustim.core import controller as K
    for mine, theirs in ((K._OFF, C.OFF), (K._ARMED, C.ARMED), (K._RAMPING, C.RAMPING),
                         (K._RUNNING, C.RUNNING), (K._FAULT, C.FAULT)):
        eq(mine, theirs, "state literal")
