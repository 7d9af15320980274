# ustim.core.jsonout on both runtimes: the line it builds is the JSON that
# json.dumps gives for each value, it refuses what does not fit, and it pads a
# line to whole blocks before its line end.
import json

from dualcheck import eq, true
from ustim.core.jsonout import Line, pad


def _line(values, size=200, widths=None):
    parts = [b"["] + [b", "] * (len(values) - 1) + [b"]\n"]
    line = Line(tuple(parts), size, widths)
    for i, v in enumerate(values):
        line.vals[i] = v
    return line


def _vary(line, pool, seed, keep):
    # Each value kept, or (one time in `keep`) one from the pool: the values
    # and the generator's next state.
    want = []
    for k in range(len(line.vals)):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        v = line.vals[k] if seed % keep else pool[(seed >> 8) % len(pool)]
        line.vals[k] = v
        want.append(v)
    return seed, want


def check_values_are_their_json():
    values = [0, 7, 10, 99, 1000, 30000, 1073741823, -1, -2500, None, True, False,
              "RUNNING", "ramp up", 'a "quoted" \\ name', "", 12]
    line = _line(values)
    true(line.build(), "built")
    eq(line.value(), json.dumps(values) + "\n", "the line")
    eq(bytes(line.buf[:line.n]), (json.dumps(values) + "\n").encode(), "its bytes")
    true(line.build(), "built again, from the kept strings")
    eq(line.value(), json.dumps(values) + "\n", "the line again")


def check_a_line_that_does_not_fit_is_refused():
    for size in (1, 5, 14, 17):
        line = _line([12345, "abcdef"], size)
        eq(line.build(), False, "%d bytes" % size)
        eq(line.n, 0, "nothing kept")
    line = _line([12345, "abcdef"], 18)        # [12345, "abcdef"] and its line end
    true(line.build(), "18 bytes")
    eq(line.value(), '[12345, "abcdef"]\n', "the line")


def check_many_strings_start_the_store_over():
    line = _line(["x"])
    for i in range(100):
        line.vals[0] = "s%d" % i
        true(line.build(), "built")
        eq(line.value(), '["s%d"]\n' % i, "string %d" % i)
    true(len(line.enc) <= 48, "strings kept: %d" % len(line.enc))


def check_pad_makes_whole_blocks():
    buf = bytearray(b"{}\n" + b"." * 125)
    eq(pad(buf, 3, 64), 64, "one block")
    eq(bytes(buf[:64]), b"{}" + b" " * 61 + b"\n", "spaces before the line end")
    buf = bytearray(b"." * 63 + b"\n" + b"." * 64)
    eq(pad(buf, 64, 64), 64, "a whole block stays")
    eq(pad(buf, 65, 64), 128, "one byte over: two blocks")
    eq(pad(bytearray(100), 70, 64), 70, "no room for a whole block: as it was")
    buf = bytearray(b"abc" + b"." * 61)
    eq(pad(buf, 3, 64), 64, "a piece without a line end")
    eq(bytes(buf), b"abc" + b" " * 61, "spaces after it, no line end made up")


def check_lines_built_over_each_other_stay_exact():
    # Values that change length, strings that come and go, each line padded
    # to blocks after it is built (as the USB port does): every line exact.
    pool = [0, 5, 99, 12345, -7, None, True, False, "OFF", "RUNNING", "electrode open",
            "mod", 1073741823]
    line = _line([0] * 9, 640)
    seed = 12345
    for step in range(300):
        # Mostly what it was: the common poll, where little moves.
        seed, want = _vary(line, pool, seed, 4)
        true(line.build(), "built")
        eq(line.value(), json.dumps(want) + "\n", "line %d" % step)
        pad(line.buf, line.n, 64)


def check_a_refused_line_leaves_the_next_exact():
    # A line that sometimes does not fit (a long string, a minus sign at the
    # edge) between lines that do: each one that fits is exact, as a fresh
    # build gives it.
    pool = [7, 7, 7, -123456, 99, None, "RUNNING", "a much longer string here", 1073741823]
    line = _line([7] * 4, 44)
    seed = 99
    fits = refused = 0
    for step in range(400):
        seed, want = _vary(line, pool, seed, 3)
        text = json.dumps(want) + "\n"
        ok = line.build()
        eq(ok, len(text) <= 44, "line %d fits: %r" % (step, text))
        if ok:
            fits += 1
            eq(line.value(), text, "line %d" % step)
            pad(line.buf, line.n, 16)
        else:
            refused += 1
            eq(line.n, 0, "nothing kept")
    true(fits > 50 and refused > 50, "both kinds: %d fit, %d refused" % (fits, refused))
