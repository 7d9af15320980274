# A small VCD reader, enough to read trace.vcd (and what sigrok-cli writes)
# back for checks: no dependency, so a test of a writer does not lean on the
# library that wrote the file.

_UNITS = {"s": 10 ** 15, "ms": 10 ** 12, "us": 10 ** 9, "ns": 10 ** 6, "ps": 10 ** 3,
          "fs": 1}


class Trace:
    def __init__(self):
        self.timescale_fs = 0
        self.scopes = []
        self.kinds = {}      # name -> var type ("wire", "real", ...)
        self.changes = {}    # name -> [(t, value)], value int 0/1 or float
        self.end = 0         # last timestamp in the file

    def timescale_us(self):
        return self.timescale_fs / 10 ** 9

    def edges(self, name):
        """[(t, level)] for a 1-bit signal, leaving out the initial value at 0
        unless it is 1 (a signal high from the start has a rising edge there)."""
        return [(t, v) for t, v in self.changes[name] if t or v]


def read_vcd(path):
    tr = Trace()
    ids = {}
    with open(path) as f:
        text = f.read()
    head, sep, body = text.partition("$enddefinitions")
    if not sep:
        raise ValueError("%s: no $enddefinitions" % path)
    tokens = head.split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "$timescale":
            j = tokens.index("$end", i)
            spec = "".join(tokens[i + 1:j])
            num = "".join(c for c in spec if c.isdigit())
            unit = spec[len(num):]
            tr.timescale_fs = int(num) * _UNITS[unit]
            i = j
        elif tok == "$scope":
            tr.scopes.append(tokens[i + 2])
        elif tok == "$var":
            kind, _size, ident, name = tokens[i + 1:i + 5]
            ids.setdefault(ident, []).append(name)
            tr.kinds[name] = kind
            tr.changes[name] = []
        i += 1
    t = 0
    lines = body.split("\n")
    for line in lines[1:]:
        for tok in _line_tokens(line):
            c = tok[0]
            if c == "#":
                t = int(tok[1:])
                tr.end = t
            elif c == "$":
                continue
            elif c in "01xzXZ":
                for name in ids.get(tok[1:], ()):
                    tr.changes[name].append((t, int(c) if c in "01" else c.lower()))
            elif c in "rR":
                value, ident = tok[1:].split()
                for name in ids.get(ident, ()):
                    tr.changes[name].append((t, float(value)))
            elif c in "bB":
                value, ident = tok[1:].split()
                for name in ids.get(ident, ()):
                    tr.changes[name].append((t, int(value, 2)))
    return tr


def _line_tokens(line):
    # Scalar changes are one word; real and vector changes are two ("r1.5 &").
    words = line.split()
    k = 0
    while k < len(words):
        w = words[k]
        if w[0] in "rRbB" and k + 1 < len(words):
            yield w + " " + words[k + 1]
            k += 2
        else:
            yield w
            k += 1
