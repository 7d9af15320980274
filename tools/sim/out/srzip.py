# trace.sr: the trace as a sigrok session file (srzip), so PulseView shows the
# currents too: libsigrok's VCD reader skips VCD reals, a session file carries
# them as analog channels. The format is libsigrok's (src/output/srzip.c):
# a zip holding
#   version          "2"
#   metadata         an ini file: [device 1] with capturefile=logic-1, total
#                    probes, samplerate, total analog, probeN and analogN
#                    names, unitsize
#   logic-1-K        chunk K of the logic samples, unitsize bytes each, bit
#                    N-1 is probeN
#   analog-1-N-K     chunk K of analog channel N (numbered after the probes),
#                    float32 little-endian samples
# A session file stores samples, not changes: the sample period is the
# largest one that puts every change of the trace on a sample (a divisor of
# 1 s in whole microseconds), so the file is exact and as small as it can be.
import math
import zipfile

import numpy as np

from tools.sim.out.vcd_changes import SIGNALS, changes, end_us

CHUNK_SAMPLES = 1 << 20
LIBSIGROK_VERSION = "0.5.2"      # the reader the file is tested with (Debian sigrok-cli)
_WIRES = [i for i, (_n, kind) in enumerate(SIGNALS) if kind == "wire"]
_REALS = [i for i, (_n, kind) in enumerate(SIGNALS) if kind == "real"]


def sample_us(ch, end):
    """The sample period in us: the greatest divisor of 1 s that divides every
    change time and the end."""
    g = math.gcd(end, 10 ** 6)
    for t, _i, _v in ch:
        g = math.gcd(g, t)
        if g == 1:
            break
    return g or 1


def rate_text(hz):
    # As libsigrok's sr_samplerate_string writes it.
    for unit, scale in (("GHz", 10 ** 9), ("MHz", 10 ** 6), ("kHz", 10 ** 3)):
        if hz % scale == 0:
            return "%d %s" % (hz // scale, unit)
    return "%d Hz" % hz


def _steps(ch):
    """(times, values) of the logic byte and of each real signal: the value
    held from each time on, starting at 0 at time 0."""
    logic_t, logic_v = [0], [0]
    reals = {i: ([0], [0.0]) for i in _REALS}
    bits = 0
    for t, i, v in ch:
        if i in reals:
            times, values = reals[i]
        else:
            bits = bits | (1 << _WIRES.index(i)) if v else bits & ~(1 << _WIRES.index(i))
            times, values, v = logic_t, logic_v, bits
        if times[-1] == t:
            values[-1] = v
        else:
            times.append(t)
            values.append(v)
    return (logic_t, logic_v), reals


def _sampled(steps, dtype, period):
    """A step signal as (sample index of each step, values as dtype)."""
    return np.asarray(steps[0], dtype=np.int64) // period, np.asarray(steps[1], dtype=dtype)


def _samples(steps, first, last):
    """Samples first..last-1 of a _sampled step signal."""
    times, values = steps
    i0 = np.searchsorted(times, first, side="right") - 1
    i1 = np.searchsorted(times, last, side="left")
    starts = times[i0:i1].copy()
    starts[0] = first
    return np.repeat(values[i0:i1], np.diff(np.append(starts, last)))


def metadata(period_us):
    names = [SIGNALS[i][0] for i in _WIRES]
    lines = ["[global]", "sigrok version=%s" % LIBSIGROK_VERSION, "", "[device 1]",
             "capturefile=logic-1", "total probes=%d" % len(names),
             "samplerate=%s" % rate_text(10 ** 6 // period_us),
             "total analog=%d" % len(_REALS)]
    lines += ["probe%d=%s" % (n, name) for n, name in enumerate(names, 1)]
    lines += ["analog%d=%s" % (len(names) + n, SIGNALS[i][0])
              for n, i in enumerate(_REALS, 1)]
    lines.append("unitsize=1")
    return "\n".join(lines) + "\n"


def write_sr(rec, path):
    """Write rec as a sigrok session to path. Returns the sample period (us)."""
    if len(_WIRES) > 8:
        raise ValueError("more than 8 logic signals need a unitsize above 1")
    ch = changes(rec)
    end = end_us(rec)
    period = sample_us(ch, end)
    n = end // period
    logic, reals = _steps(ch)
    logic = _sampled(logic, np.uint8, period)
    reals = {i: _sampled(s, np.dtype("<f4"), period) for i, s in reals.items()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("version", "2")
        z.writestr("metadata", metadata(period))
        for k, first in enumerate(range(0, n, CHUNK_SAMPLES), 1):
            last = min(n, first + CHUNK_SAMPLES)
            z.writestr("logic-1-%d" % k, _samples(logic, first, last).tobytes())
        for a, i in enumerate(_REALS, len(_WIRES) + 1):
            for k, first in enumerate(range(0, n, CHUNK_SAMPLES), 1):
                last = min(n, first + CHUNK_SAMPLES)
                z.writestr("analog-1-%d-%d" % (a, k), _samples(reals[i], first, last).tobytes())
    return period
