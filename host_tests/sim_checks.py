# Checks on a simulator Recording (tools/sim/out/recording.py) that do not
# trust the firmware's own bookkeeping: they rebuild what happened from the
# emitted pulses, the amplitude trace and the event log, and compare.
#
# Event texts read here are the controller's and the simulator's
# (controller._event, run.Simulation._event): "ch1 start tens", "ch1 FAULT open",
# "ch1 session ended (ok)", "ch1 start refused: ...", "ch1 pause", "ch1 resume",
# "emergency stop", "reset: brownout", "boot 2 (...)".
import re

from ustim.core import limits
from ustim.core.programs import PRESETS, find
from ustim.core.spec import PulseSpec

CHANNELS = 2
# A gap longer than the 1 Hz frequency floor's period is a stop, not a rate.
MAX_PERIOD_US = 1000000

_CH_EVENT = re.compile(r"^ch(\d) (start refused|start|FAULT|session ended|pause|resume"
                       r"|select|fault cleared|stop)\b ?(.*)$")


def channel_events(rec, ch):
    """(t_ms, kind, rest) of channel ch (0-based), plus the board-wide events
    that end every channel's output (kind "all-off")."""
    out = []
    for t, text in rec.events:
        m = _CH_EVENT.match(text)
        if m and int(m.group(1)) == ch + 1:
            out.append((t, m.group(2), m.group(3)))
        elif text == "emergency stop" or text.startswith("reset:") or text.startswith("boot "):
            out.append((t, "all-off", text))
    return out


def output_windows(rec, ch):
    """[(open_ms, close_ms)] when channel ch may emit pulses: from a start (or a
    resume) to the fault, the end of the session, a refused start, a pause, an
    emergency stop or a reset. close_ms is None while still open at the end.
    Event times are whole ms of the board time the firmware decided (or the
    host's exchange, for resets), the outputs following at the same instant:
    a pulse may begin before close_ms + 1."""
    wins = []
    opened = None
    for t, kind, _ in channel_events(rec, ch):
        if kind in ("start", "resume"):
            if opened is None:
                opened = t
        elif kind in ("FAULT", "session ended", "start refused", "pause", "all-off"):
            if opened is not None:
                wins.append((opened, t))
                opened = None
    if opened is not None:
        wins.append((opened, None))
    return wins


def pulses_outside_windows(rec):
    bad = []
    wins = [output_windows(rec, ch) for ch in range(CHANNELS)]
    for p in rec.pulses:
        ok = False
        for t0, t1 in wins[p[0]]:
            if p[1] >= t0 * 1000 and (t1 is None or p[1] < (t1 + 1) * 1000):
                ok = True
                break
        if not ok:
            bad.append(p)
    return bad


def program_at(rec, ch, t_us):
    """The program selected on channel ch at time t_us (select events)."""
    prog = None
    for t, kind, rest in channel_events(rec, ch):
        if t * 1000 > t_us:
            break
        if kind == "select":
            prog = find(rest.strip(), PRESETS)
        elif kind == "all-off" and rest.startswith("boot "):
            prog = None       # a reboot forgets the selection
    return prog


def runs(pulses):
    """Split one channel's sorted pulses where the gap says the train stopped."""
    out = []
    for p in pulses:
        if out and p[1] - out[-1][-1][1] <= MAX_PERIOD_US:
            out[-1].append(p)
        else:
            out.append([p])
    return out


def envelope_refusals(rec, env, area_mm2):
    """limits.check on a spec rebuilt from every pulse: its own widths, the
    time to the next pulse of its train as the period (a burst pulse is judged
    as if the train ran at its burst rate throughout: stricter than the real
    burst), EMS or TENS from the program selected, at the pulse's amplitude.
    Returns [(pulse, refusal)]. A pulse cut short by a stop is judged at the
    widths of the whole pulse before it in its train (or the narrowest the
    envelope allows): cut_by_a_stop() checks where it was cut."""
    bad = []
    seen = {}
    for ch_pulses in rec.pulses_by_channel():
        for run in runs(ch_pulses):
            whole = None
            for i, p in enumerate(run):
                ch, start, pos, gap, neg, ua = p[:6]
                if pos != neg:
                    pos, gap = whole or (max(pos, neg, env.min_phase_us), gap)
                    neg = pos
                else:
                    whole = (pos, gap)
                if i + 1 < len(run):
                    period = run[i + 1][1] - start
                elif i > 0:
                    period = start - run[i - 1][1]
                else:
                    period = MAX_PERIOD_US
                prog = program_at(rec, ch, start)
                ems = bool(prog.ems) if prog is not None else False
                key = (pos, gap, period, ems, ua)
                if key not in seen:
                    spec = PulseSpec(pos, gap, period, ems=ems)
                    seen[key] = limits.check(env, spec, ua, area_mm2)
                if seen[key] is not None:
                    bad.append((p, seen[key]))
    return bad


def cut_pulses(rec):
    """Pulses whose negative phase differs from the positive one: only a stop
    in the middle of a pulse may make one."""
    return [p for p in rec.pulses if p[4] != p[2]]


def cut_by_a_stop(rec, p):
    """True when the firmware stopped p's channel while p ran: a window of
    output_windows closed, or its reference set to 0 (the App stops an engine
    whose amplitude is 0, writing the 0 at the same instant), between its A
    rise and the time the probe gives a missing B phase (tools/sim/probe.py
    CUT_US after the last edge)."""
    from tools.sim.probe import CUT_US
    end = p[1] + p[2] + p[3] + p[4] + CUT_US
    for _t0, t1 in output_windows(rec, p[0]):
        if t1 is not None and p[1] < (t1 + 1) * 1000 and t1 * 1000 <= end:
            return True
    for t, c, ua in rec.amplitude:
        if c == p[0] and ua == 0 and p[1] < t <= end:
            return True
    return False


def stops_in(rec, ch, pulses):
    """Times the reference of channel ch went to 0 from the first to just after
    the last of `pulses` (each a stop of its engine), the end included."""
    if not pulses:
        return 0
    t0, t1 = pulses[0][1], pulses[-1][1] + 1000000
    return sum(1 for t, c, ua in rec.amplitude if c == ch and ua == 0 and t0 <= t <= t1)


def dose_differences(rec, ch, dose, platform):
    """How channel ch's dose (the firmware's summary of its last session)
    differs from the pulses the board emitted, beyond what the engines cannot
    see (docs/pulse-engine.md): a stop may count one pulse that never began
    (rp2: within 5 cycles after its pull) or miss one that did (esp32: within
    the write's return); an amplitude change landing on a pulse in flight may
    count it at the level before. Returns a list of problems ([] = agree)."""
    pulses = last_session_pulses(rec, ch)
    want = dose_of(pulses)
    out = []
    stops = stops_in(rec, ch, pulses)
    extra = dose["pulses"] - want["pulses"]
    allowed = (0, stops) if platform == "rp2" else (-stops, 0)
    if not allowed[0] <= extra <= allowed[1]:
        out.append("pulses: dose %d, emitted %d (%d stops)" % (dose["pulses"], want["pulses"],
                                                               stops))
    steps = 0
    step_max = 0
    last = 0
    if pulses:
        t0, t1 = pulses[0][1], pulses[-1][1]
        for t, c, ua in rec.amplitude:
            if c == ch:
                if t0 - 20000 <= t <= t1:
                    steps += abs(ua - last)
                    step_max = max(step_max, abs(ua - last))
                last = ua
    width = max((max(p[2], p[4]) for p in pulses), default=0)
    tol = (steps + abs(extra) * want["peak_ua"]) * width // 1000 + 1
    for k in ("pos_nc", "neg_nc"):
        if abs(dose[k] - want[k]) > tol:
            out.append("%s: dose %d, emitted %d (allowed %d)" % (k, dose[k], want[k], tol))
    if abs(dose["peak_ua"] - want["peak_ua"]) > step_max:
        out.append("peak_ua: dose %d, emitted %d" % (dose["peak_ua"], want["peak_ua"]))
    return out


def ab_overlaps(rec):
    """Places where a channel's A and B inputs were high together: on the pads
    (the probe records every instant both were high), inside a pulse
    (negative widths or gap) or a pulse starting before the previous one of
    its channel has ended."""
    bad = list(rec.overlaps)
    for ch_pulses in rec.pulses_by_channel():
        prev_end = None
        for p in ch_pulses:
            start, pos, gap, neg = p[1:5]
            if pos < 0 or gap < 0 or neg < 0 or pos + neg <= 0:
                bad.append(p)
            if prev_end is not None and start < prev_end:
                bad.append(p)
            prev_end = start + pos + gap + neg
    return bad


def last_session_pulses(rec, ch):
    """The pulses of channel ch's last session, rebuilt without the firmware:
    the last start before the last session end; the electrode probe runs until
    the amplitude setpoint first returns to 0 after the start; the session's
    pulses run from there to the end event. The dose lives in RAM, so only
    sessions since the last boot count."""
    events = channel_events(rec, ch)
    boots = [i for i, e in enumerate(events) if e[1] == "all-off" and e[2].startswith("boot ")]
    if boots:
        events = events[boots[-1]:]
    ends = [t for t, kind, _ in events if kind == "session ended"]
    end_ms = ends[-1] if ends else None
    starts = [t for t, kind, _ in events
              if kind == "start" and (end_ms is None or t <= end_ms)]
    if not starts:
        return []
    t_start = starts[-1] * 1000
    probe_end = None
    for t, c, ua in rec.amplitude:
        if c == ch and t > t_start and ua == 0:
            probe_end = t
            break
    if probe_end is None:
        return []
    # A pulse at a reference code of 0 carries no current: not a dose. One that
    # rose as the probe's stop came belongs to the probe. The end event is
    # stamped in whole ms (output_windows).
    return [p for p in rec.pulses if p[0] == ch and p[1] > probe_end and p[5] > 0
            and (end_ms is None or p[1] < (end_ms + 1) * 1000)]


def dose_of(pulses):
    """What the dose summary should say for these pulses (exact integers): the
    firmware counts each at the level its reference code sets, the setpoint
    the trace records at A's rise."""
    n = len(pulses)
    pos_pc = sum(p[5] * p[2] for p in pulses)
    neg_pc = sum(p[5] * p[4] for p in pulses)
    return {"pulses": n, "pos_nc": pos_pc // 1000, "neg_nc": neg_pc // 1000,
            "net_pc": pos_pc - neg_pc, "peak_ua": max((p[5] for p in pulses), default=0),
            "mean_ua": sum(p[5] for p in pulses) // n if n else 0}


def level_ua(board, ua):
    """The current a commanded ua sets on this board: its reference code's
    (ustim.hal.amplitude: codes round down)."""
    from ustim.hal import amplitude
    code_max = 65535 if hasattr(board, "PIN_AMP_PWM") else amplitude.DAC_MAX
    top = amplitude.board_max_ua(board)
    code = amplitude.ua_to_code(ua, board.AMP_FULL_SCALE_UA, top, code_max)
    return amplitude.code_to_ua(code, board.AMP_FULL_SCALE_UA, code_max)


# Whole pulses an engine holds ahead of the pins (the PIO's 4-word FIFO, an
# RMT window): a new spec or a stop reaches the pins after them.
QUEUED = 2
# The firmware's clock is in ms and its loop sleeps whole ms: a tick starts up
# to this late against its nominal 10 ms grid, on top of the tick's own time.
TICK_JITTER_US = 2000


def event_time(rec, text, after_ms=-1):
    """Time (ms) of the first event equal to text (or starting with it) after after_ms."""
    for t, e in rec.events:
        if t > after_ms and (e == text or e.startswith(text)):
            return t
    return None


def amplitude_changes(rec, ch, t0_us=0, t1_us=None):
    return [(t, ua) for t, c, ua in rec.amplitude
            if c == ch and t >= t0_us and (t1_us is None or t <= t1_us)]
