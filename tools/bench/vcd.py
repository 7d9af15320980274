"""Reading logic-analyzer captures in VCD (as sigrok-cli saves them) and writing
traces in the same format (pyvcd), so captures and simulator traces are one
format for `verify`.

Times are integer femtoseconds: every VCD timescale (1 s .. 1 fs) is a whole
number of them, so nothing is rounded.
"""

import re

from vcd import VCDWriter

FS = {"s": 10**15, "ms": 10**12, "us": 10**9, "ns": 10**6, "ps": 10**3, "fs": 1}
US = FS["us"]


class VcdError(ValueError):
    pass


class Capture:
    """signals: name -> [(t_fs, level 0/1), ...], a level at the start and then
    each change. Names are the last component of the VCD reference ("ch1_a")."""

    def __init__(self, signals, start_fs, end_fs, samplerate_hz=None):
        self.signals = signals
        self.start_fs = start_fs
        self.end_fs = end_fs
        self.samplerate_hz = samplerate_hz

    def find(self, name):
        for key in self.signals:
            if key.lower() == name.lower():
                return self.signals[key]
        raise VcdError("no signal %r in the capture (has: %s)" % (
            name, ", ".join(sorted(self.signals)) or "none"))


def _timescale(text):
    m = re.fullmatch(r"\s*(1|10|100)\s*(s|ms|us|ns|ps|fs)\s*", text)
    if not m:
        raise VcdError("timescale %r not understood" % text.strip())
    return int(m.group(1)) * FS[m.group(2)]


def _samplerate(text):
    # sigrok: "Acquisition with 8/8 channels at 1 MHz"
    m = re.search(r"at\s+([\d.]+)\s*([kMG]?)Hz", text)
    if not m:
        return None
    return int(float(m.group(1)) * {"": 1, "k": 10**3, "M": 10**6, "G": 10**9}[m.group(2)])


def _level(ch):
    # x and z (unknown, high impedance) read as low: the bridge input is off.
    return 1 if ch == "1" else 0


def parse(text):
    tokens = text.split()
    scale = FS["us"]
    rate = None
    ids = {}            # identifier code -> [names]
    values = {}         # identifier code -> [(t_fs, level)]
    t = None
    start = None
    i = 0
    n = len(tokens)

    def block(j):
        k = j
        while k < n and tokens[k] != "$end":
            k += 1
        return tokens[j:k], k + 1

    while i < n:
        tok = tokens[i]
        if tok == "$end":       # closes $dumpvars and friends
            i += 1
            continue
        if tok.startswith("$"):
            body, nxt = block(i + 1)
            if tok == "$timescale":
                scale = _timescale(" ".join(body))
            elif tok == "$comment":
                rate = _samplerate(" ".join(body)) or rate
            elif tok == "$var":
                if len(body) < 4:
                    raise VcdError("bad $var: %s" % " ".join(body))
                ids.setdefault(body[2], []).append(body[3])
                values.setdefault(body[2], [])
            elif tok in ("$dumpvars", "$dumpon", "$dumpoff", "$dumpall"):
                i += 1      # their value changes follow; the $end is skipped below
                continue
            i = nxt
            continue
        if tok.startswith("#"):
            try:
                t = int(tok[1:]) * scale
            except ValueError:
                raise VcdError("bad time %r" % tok) from None
            if start is None:
                start = t
        elif tok[0] in "01xXzZ" and len(tok) > 1:
            code = tok[1:]
            if code in values:
                values[code].append((t if t is not None else 0, _level(tok[0])))
        elif tok[0] in "bB" and i + 1 < n:
            code = tokens[i + 1]
            if code in values:
                values[code].append((t if t is not None else 0, _level(tok[-1])))
            i += 1
        elif tok[0] in "rR" and i + 1 < n:
            i += 1
        i += 1
    if not ids:
        raise VcdError("no $var in the capture")
    start = start or 0
    end = t if t is not None else start
    signals = {}
    for code, names in ids.items():
        changes = []
        for when, level in values[code]:
            if changes and changes[-1][0] == when:
                changes[-1] = (when, level)     # the last value at a time counts
            elif not changes or changes[-1][1] != level:
                changes.append((when, level))
        if not changes or changes[0][0] > start:
            changes.insert(0, (start, 0))
        for name in names:
            signals[name.split(".")[-1]] = changes
    return Capture(signals, start, end, rate)


def read(path):
    with open(path, encoding="ascii", errors="replace") as f:
        return parse(f.read())


def write(path, a_changes, b_changes, names=("ch1_a", "ch1_b"), end_us=None,
          comment="ustim trace"):
    """Write A/B pin changes [(t_us, level), ...] (integer us) as a VCD with
    pyvcd, timescale 1 us."""
    last = max([t for t, _ in a_changes] + [t for t, _ in b_changes] + [0])
    with open(path, "w") as f:
        w = VCDWriter(f, timescale="1 us", date="today", comment=comment)
        a = w.register_var("ustim", names[0], "wire", size=1, init=0)
        b = w.register_var("ustim", names[1], "wire", size=1, init=0)
        merged = sorted([(t, 0, v) for t, v in a_changes] + [(t, 1, v) for t, v in b_changes])
        for t, which, v in merged:
            w.change(a if which == 0 else b, t, v)
        w.close(end_us if end_us is not None else last + 1)
