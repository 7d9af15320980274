# Every preset (docs/safety-limits.md) run as a whole session in simulated time
# (10 ms ticks, timer crossing the 2**30 tick wrap): frequency, widths,
# alternation/sweep timing, contraction on/off/ramp times and the session
# length match the table within one tick.
from dualcheck import eq, true
from session_meter import TICK_MS, hz, run

from ustim.core import limits, programs

ENV = limits.Envelope()


def near(got, want, what):
    true(abs(got - want) <= TICK_MS, "%s: got %d, want %d +- %d", what, got, want, TICK_MS)


def common(pid, phase_us, lo_hz, hi_hz, minutes):
    prog = programs.find(pid)
    true(prog is not None, "preset %s exists", pid)
    eq(programs.check_program(ENV, prog), None, "%s inside the envelope", pid)
    true(len(prog.name) <= 16, "%s name fits the OLED", pid)
    m = run(prog)
    eq(m.flag_errors, 0, "%s: changed flag matches spec changes", pid)
    eq((m.pos.lo, m.pos.hi, m.neg.lo, m.neg.hi), (phase_us,) * 4, "%s widths", pid)
    eq((m.gap.lo, m.gap.hi), (programs.DEFAULT_GAP_US,) * 2, "%s gap", pid)
    eq((hz(m.period.hi), hz(m.period.lo)), (lo_hz, hi_hz), "%s frequency range", pid)
    eq(m.session_ms, minutes * 60000, "%s session length", pid)
    eq(m.end_scale, 0, "%s ends at zero", pid)
    eq(m.scale_3s_before, 1000, "%s end ramp starts 3 s before", pid)
    return prog, m


def continuous(m, pid):
    eq(m.contractions, 1, "%s continuous", pid)
    eq(m.on.n, 0, "%s never stops", pid)


def contractions(m, pid, on_s, off_s, up_s, down_s, count):
    near(m.on.lo, on_s * 1000, pid + " on (shortest)")
    near(m.on.hi, on_s * 1000, pid + " on (longest)")
    near(m.off.lo, off_s * 1000, pid + " off (shortest)")
    near(m.off.hi, off_s * 1000, pid + " off (longest)")
    near(m.ramp_up.lo, up_s * 1000, pid + " ramp up")
    near(m.ramp_up.hi, up_s * 1000, pid + " ramp up")
    near(m.ramp_down.lo, down_s * 1000, pid + " ramp down")
    near(m.ramp_down.hi, down_s * 1000, pid + " ramp down")
    eq(m.contractions, count, "%s contractions", pid)
    # Ramps are smooth: no step larger than one tick's share of the shorter ramp.
    true(m.max_step <= 1000 * TICK_MS // (min(up_s, down_s) * 1000) + 1,
         "%s ramp step %d", pid, m.max_step)


def check_conventional_tens():
    prog, m = common("tens", 200, 100, 100, 30)
    eq(prog.ems, False, "TENS")
    eq(m.burst_n.hi, 1, "not a burst")
    eq(m.changes, 1, "one spec for the whole session")
    continuous(m, "tens")


def check_acupuncture_like():
    prog, m = common("acu", 250, 2, 2, 30)
    eq(m.changes, 1, "one spec")
    continuous(m, "acu")


def check_burst():
    prog, m = common("burst", 200, 100, 100, 30)
    eq((m.burst_n.lo, m.burst_n.hi), (7, 7), "7 pulses per burst")
    eq(hz(m.burst_period.lo), 2, "2 bursts/s")
    eq(m.changes, 1, "one spec")
    continuous(m, "burst")


def check_alternating():
    prog, m = common("alt", 200, 2, 100, 30)
    # 2 Hz for 3 s, 100 Hz for 3 s: 600 switches in 30 min.
    near(m.fast.length.lo, 3000, "100 Hz dwell")
    near(m.fast.length.hi, 3000, "100 Hz dwell")
    near(m.slow.length.lo, 3000, "2 Hz dwell")
    near(m.slow.length.hi, 3000, "2 Hz dwell")
    near(m.fast.cycle.lo, 6000, "cycle")
    near(m.fast.cycle.hi, 6000, "cycle")
    eq(m.changes, 600, "switches")
    continuous(m, "alt")


def check_modulated_sweep():
    prog, m = common("mod", 150, 80, 120, 30)
    near(m.rise_time.lo, 3000, "80 -> 120 Hz sweep time")
    near(m.rise_time.hi, 3000, "80 -> 120 Hz sweep time")
    near(m.fast.cycle.lo, 6000, "sweep cycle")
    near(m.fast.cycle.hi, 6000, "sweep cycle")
    true(m.fast.cycle.n >= 290, "sweeps measured: %d", m.fast.cycle.n)
    continuous(m, "mod")


def check_nmes_knee_oa():
    prog, m = common("oa", 300, 50, 50, 20)
    eq(prog.ems, True, "EMS")
    contractions(m, "oa", 10, 50, 2, 1, 20)


def check_nmes_post_tka():
    prog, m = common("tka", 250, 50, 50, 15)
    contractions(m, "tka", 15, 45, 3, 1, 15)


def check_nmes_short_cycle():
    prog, m = common("short", 350, 50, 50, 15)
    contractions(m, "short", 5, 10, 2, 1, 60)


def check_every_preset_inside_envelope():
    ids = []
    for prog in programs.PRESETS:
        eq(programs.check_program(ENV, prog), None, "%r", prog)
        true(prog.pid not in ids, "unique id %r", prog.pid)
        ids.append(prog.pid)
        true(0 < len(prog.name) <= programs.NAME_MAX, "name %r", prog.name)
        eq(prog.session_s, (20 if prog.ems else 30) * 60 if prog.pid not in ("tka", "short")
           else 15 * 60, "session %r", prog.pid)
    eq(len(ids), 8, "eight presets")
