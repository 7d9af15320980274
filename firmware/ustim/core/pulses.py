# Reference model of a pulse train: the exact edge times a spec stands for.
#
# Every engine (RP2040 PIO, ESP32 RMT, the simulator) is tested against this
# module, so it is the single definition of "what the pins should do":
#
#   pulse k starts at t0 + start_offset(spec, k)
#   A rises at the start, falls pos_us later; both are low for gap_us;
#   B rises, falls neg_us later; both stay low until the next start.
#
# Pulse k sits in cycle k // n at position k % n (n = pulses per cycle), so
# starts are  (k // n) * cycle_us + (k % n) * period_us.
# Integer microseconds throughout, so both runtimes agree exactly.
from micropython import const

A_RISE = const(0)
A_FALL = const(1)
B_RISE = const(2)
B_FALL = const(3)
EDGES_PER_PULSE = const(4)


def start_offset(spec, k):
    """Start of pulse k (k >= 0) relative to the start of pulse 0, in us."""
    n = spec.pulses_per_cycle()
    return (k // n) * spec.cycle_us() + (k % n) * spec.period_us


def edge_offset(spec, kind):
    """Offset of an edge (A_RISE..B_FALL) from the start of its pulse."""
    if kind == A_RISE:
        return 0
    if kind == A_FALL:
        return spec.pos_us
    if kind == B_RISE:
        return spec.pos_us + spec.gap_us
    return spec.pos_us + spec.gap_us + spec.neg_us


def interval_after(spec, i):
    """Time from the start of the pulse at position i of a cycle to the start
    of the next pulse (the last pulse of a burst waits out the burst period)."""
    n = spec.pulses_per_cycle()
    if i < n - 1:
        return spec.period_us
    return spec.cycle_us() - (n - 1) * spec.period_us


def idle_after(spec, i):
    """Time both pins are low after the pulse at position i of a cycle."""
    return interval_after(spec, i) - spec.pulse_us()


def fill_edges(spec, t0_us, first, count, out):
    """Write the edge times of pulses first .. first+count-1 into the
    preallocated list `out` (4 per pulse, in A_RISE..B_FALL order). Returns the
    number of entries written."""
    a_fall = spec.pos_us
    b_rise = a_fall + spec.gap_us
    b_fall = b_rise + spec.neg_us
    j = 0
    for k in range(first, first + count):
        s = t0_us + start_offset(spec, k)
        out[j] = s
        out[j + 1] = s + a_fall
        out[j + 2] = s + b_rise
        out[j + 3] = s + b_fall
        j += 4
    return j


def edges(spec, t0_us, count):
    """Yield (time_us, kind) for the first `count` pulses, in time order.
    Convenient for tools and tests; firmware uses fill_edges."""
    for k in range(count):
        s = t0_us + start_offset(spec, k)
        for kind in range(EDGES_PER_PULSE):
            yield s + edge_offset(spec, kind), kind


def first_pulse_at(spec, t0_us, t_us):
    """Index of the first pulse starting at or after t_us (0 if t_us <= t0)."""
    rel = t_us - t0_us
    if rel <= 0:
        return 0
    n = spec.pulses_per_cycle()
    cycle = spec.cycle_us()
    c = rel // cycle
    within = rel - c * cycle
    # Position in the cycle of the first start >= within; n means "next cycle".
    i = (within + spec.period_us - 1) // spec.period_us
    if i > n:
        i = n
    return c * n + i


def pulses_in_window(spec, t0_us, w0_us, w1_us):
    """(first, end): pulses first .. end-1 are those starting in [w0, w1). A
    simulator emits these without stepping any engine cycle by cycle."""
    first = first_pulse_at(spec, t0_us, w0_us)
    end = first_pulse_at(spec, t0_us, w1_us)
    if end < first:
        end = first
    return first, end


def level_at(spec, t0_us, t_us):
    """(a, b) pin levels at time t_us, 0 or 1 each: the model's answer to "what
    is on the pins now", used to check engines sample by sample."""
    if t_us < t0_us:
        return 0, 0
    k = first_pulse_at(spec, t0_us, t_us + 1) - 1
    if k < 0:
        return 0, 0
    rel = t_us - t0_us - start_offset(spec, k)
    if rel < spec.pos_us:
        return 1, 0
    b_rise = spec.pos_us + spec.gap_us
    if b_rise <= rel < b_rise + spec.neg_us:
        return 0, 1
    return 0, 0
