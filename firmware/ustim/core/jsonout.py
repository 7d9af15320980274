# A JSON line of fixed shape built into a preallocated bytearray, allocating
# nothing once the strings it holds have been seen: the console's `status`,
# which a bench host polls up to ten times a second while the channels run. On
# an RP2040 a collection takes 25-30 ms, longer than the PIO FIFO holds at high
# pulse rates, so a reply that allocates makes, sooner or later, a gap in the
# train. One call builds the whole line (a call per field cost more than the
# formatting it saved), and writes only what changed since the last one. The
# boards run its build as machine code (tools/dev/native.py).
#
# A value may have a field of its own width, right-aligned after spaces (JSON
# allows them): a value that changes length within its field leaves every part
# after it in place, so a poll rewrites only the values that changed. Without
# fields, a number gaining a digit moves the rest of the line, all of it then
# written again (on an RP2040 the whole `status` line of two channels took
# 3-4 ms, its values moving as the channels start).
#
#   line = Line(parts, size, widths=None)
#                              parts: bytes, the JSON between the values;
#                              widths: each value's field, in bytes (0: its own
#                              length); a longer value takes its own length
#   line.vals[k] = v           None, True, False, an int (below 2**30) or a str
#   line.build()               buf[:n] = parts[0] vals[0] parts[1] ... parts[-1],
#                              each value at the right of its field; False
#                              when it did not fit in size bytes
#   line.buf, line.n           the line
#   line.value()               the line as a str (allocates: hosts without a
#                              port that takes the buffer)
#   line.keep(strings)         encode these now (at boot), not at the first
#                              line that holds one
#   pad(buf, n, block)         spaces before the line end of buf[:n] (after its
#                              last byte when it has none) up to a whole number
#                              of blocks; the new length (the USB port's blocks)
# A str is encoded once (json.dumps) and its bytes kept: state, stage and fault
# names, program ids, check reasons are a few dozen at most.
import json

from micropython import const

_KEPT_MAX = const(48)     # distinct strings kept encoded; past this, start over

# build() and pad() are viper code on the boards (tools/dev/native.py): a byte
# of the buffer is then one store through ptr8, where machine code makes a call
# into the runtime for each index, each load and each store (the first `status`
# after the channels start, every value written: 2.1 ms on an RP2040, 5.4 ms in
# machine code). The same source runs as bytecode: there ptr8 is the function
# below, which gives the buffer itself. Viper reads None, True, False, int and
# bool in a function as its own types and casts, so the values are compared
# with these names instead.
_NONE = None
_TRUE = True
_FALSE = False
_INT = int


def ptr8(buf):
    return buf


class Line:
    def __init__(self, parts, size, widths=None):
        self.parts = parts
        self.vals = [None] * (len(parts) - 1)
        self.wid = (0,) * len(self.vals) if widths is None else tuple(widths)
        if len(self.wid) != len(self.vals):
            raise ValueError("%d widths for %d values" % (len(self.wid), len(self.vals)))
        self.buf = bytearray(size)
        self.n = 0
        self.enc = {}
        # Where each part went last time (-1: nowhere yet) and the string that
        # followed it: what is still in place is not copied again.
        self.at = [-1] * len(parts)
        self.was = [None] * len(parts)

    def build(self):
        n = build(self.buf, self.parts, self.vals, self.enc, self.at, self.was, self.wid)
        if n >= 0:
            self.n = n
            return True
        # Refused part way (a byte may be written where an earlier line had
        # something that is kept): the next one writes everything.
        at = self.at
        for i in range(len(at)):
            at[i] = -1
        self.n = 0
        return False

    def value(self):
        return bytes(self.buf[:self.n]).decode()

    def keep(self, strings):
        for v in strings:
            if isinstance(v, str) and v not in self.enc:
                _encode(v, self.enc)


def _encode(v, enc):
    if len(enc) >= _KEPT_MAX:
        enc.clear()
    b = json.dumps(v).encode()
    enc[v] = b
    return b


def build(buf, parts, vals, enc, at, was, wid) -> int:
    # A part copied only when it moved, a value only when it or its part did:
    # most polls find most values as they were, and each digit written costs
    # a division. The last part is always written (pad() overwrites its line
    # end). was[i] is the value last written at i: a value that `is` it (a
    # small int, None, a bool, the same str) after a part in place is still
    # there, and the next part where it was. That test comes first, alone:
    # each further operation on an object is a call into the runtime.
    size = int(len(buf))
    last = int(len(vals))
    d = ptr8(buf)
    n = 0
    i = 0
    while True:
        moved = int(at[i]) != n or i == last
        if not moved and was[i] is vals[i] and int(at[i + 1]) >= 0:
            n = int(at[i + 1])
            i += 1
            continue
        b = parts[i]
        k = int(len(b))
        if n + k > size:
            at[i] = -1
            return -1
        if moved:
            at[i] = n
            s = ptr8(b)
            j = 0
            while j < k:
                d[n + j] = s[j]
                j += 1
        n += k
        if i == last:
            return n
        v = vals[i]
        w = int(wid[i])
        was[i] = v
        if v is _NONE:
            b = b"null"
        elif v is _TRUE:
            b = b"true"
        elif v is _FALSE:
            b = b"false"
        elif isinstance(v, _INT):
            i += 1
            x = int(v)
            neg = x < 0
            if neg:
                x = -x
            k = 2 if neg else 1
            t = x
            while t >= 10:
                t //= 10
                k += 1
            if k < w:
                k = w
            if n + k > size:
                return -1
            n += k
            p = n
            while True:
                p -= 1
                d[p] = 48 + x % 10
                x //= 10
                if not x:
                    break
            if neg:
                p -= 1
                d[p] = 45                # "-"
            while p > n - k:
                p -= 1
                d[p] = 32
            continue
        else:
            b = enc.get(v)
            if b is _NONE:
                b = _encode(v, enc)
        k = int(len(b))
        f = w if k < w else k
        if n + f > size:
            at[i] = -1
            return -1
        p = n
        while p < n + f - k:
            d[p] = 32
            p += 1
        s = ptr8(b)
        j = 0
        while j < k:
            d[p + j] = s[j]
            j += 1
        n += f
        i += 1


def pad(buf, n: int, block: int) -> int:
    end = (n + block - 1) // block * block
    d = ptr8(buf)
    if end > n and end <= int(len(buf)):
        lf = d[n - 1] == 10
        i = n - 1 if lf else n
        while i < end:
            d[i] = 32
            i += 1
        if lf:
            d[end - 1] = 10
        return end
    return n
