# The VCD contract as data: which signals trace.vcd carries, and every change
# of them in time order, merged across channels.
from tools.sim.out.recording import CHANNELS

TIMESCALE = "1 us"
SCOPE = "board"
# (name, kind): kind "wire" is a 1-bit logic level, "real" a value in mA.
SIGNALS = (
    ("ch1_a", "wire"), ("ch1_b", "wire"),
    ("ch2_a", "wire"), ("ch2_b", "wire"),
    ("hv_en", "wire"),
    ("ch1_ma", "real"), ("ch2_ma", "real"),
)
HV = 4
_MA = 5


def wire_index(channel, phase):
    """Signal index of channel (0-based) phase "a" or "b"."""
    return 2 * channel + (1 if phase == "b" else 0)


def ma_index(channel):
    return _MA + channel


def changes(rec):
    """Every value change as (t_us, signal_index, value), sorted by time and
    then by signal. Wires carry 0/1, reals carry mA as float. A phase of zero
    width has no edges (a 1 and a 0 at the same instant would be a glitch that
    viewers draw differently). Several setpoint changes of one signal at the
    same instant keep the last one recorded, which is the one that took
    effect."""
    out = []
    append = out.append
    for p in rec.pulses:
        ch, start, pos, gap, neg = p[:5]
        a = 2 * ch
        if pos:
            append((start, a, 1))
            append((start + pos, a, 0))
        if neg:
            b_rise = start + pos + gap
            append((b_rise, a + 1, 1))
            append((b_rise + neg, a + 1, 0))
    last = {}
    for t, ch, ua in rec.amplitude:
        last[(t, _MA + ch)] = ua / 1000.0
    for t, v in rec.hv:
        last[(t, HV)] = 1 if v else 0
    for (t, idx), v in last.items():
        append((t, idx, v))
    out.sort()
    return _drop_repeats(out)


def _drop_repeats(out):
    # A setpoint "change" to the value already held is not a change; keeping it
    # would make two writers that both follow the VCD rules differ.
    held = [0] * len(SIGNALS)
    for i in range(_MA, _MA + CHANNELS):
        held[i] = 0.0
    keep = []
    for c in out:
        if c[2] != held[c[1]]:
            held[c[1]] = c[2]
            keep.append(c)
    return keep


def end_us(rec):
    """The time the trace should run to: the session's end, or the last change
    if that is later (a recording cut short still shows all it holds)."""
    duration = rec.duration_ms * 1000
    last = 0
    for p in rec.pulses:
        last = max(last, p[1] + p[2] + p[3] + p[4])
    for t, _ch, _ua in rec.amplitude:
        last = max(last, t)
    for t, _v in rec.hv:
        last = max(last, t)
    # A change at or after the end needs one more microsecond of trace:
    # readers (sigrok) sample up to the end, not at it, and would lose it.
    return duration if last < duration else last + 1


def edge_count(changes_list):
    return sum(1 for c in changes_list if c[1] < _MA)
