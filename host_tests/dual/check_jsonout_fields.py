# ustim.core.jsonout's fields: each value at the right of a field of its own
# width, so that a value changing length within it leaves the rest of the line
# where it was (the console's `status`). Apart from check_jsonout: the runner
# keeps the collector off, and a module's checks share one heap.
import json

from check_jsonout import _line, _vary
from dualcheck import eq, true
from ustim.core.jsonout import Line, pad


def _fielded(values, widths):
    out = []
    for i in range(len(values)):
        t = json.dumps(values[i])
        out.append(" " * (widths[i] - len(t)) + t)
    return "[" + ", ".join(out) + "]\n"


def check_values_in_fields_keep_the_parts_in_place():
    # Each value at the right of its field: one that changes length within it
    # moves nothing after it; one longer than its field takes its own length.
    widths = (6, 10, 0, 4, 7)
    pool = [0, 5, 99, 12345, -7, -12345, None, True, False, "OFF", "RUNNING", "ramp down",
            "a longer string than any field", 1073741823, -1073741823]
    line = _line([0] * 5, 400, widths)
    seed = 777
    # (The runner keeps the collector off: few lines, little garbage.)
    for step in range(100):
        seed, want = _vary(line, pool, seed, 3)
        true(line.build(), "built")
        eq(line.value(), _fielded(want, widths), "line %d" % step)
        if step % 25 == 0:
            eq(json.loads(line.value()), want, "its values, line %d" % step)
        if len(json.dumps(want[0])) <= 6 and len(json.dumps(want[1])) <= 10:
            eq(bytes(line.buf[19:21]), b", ", "the part after two values in place")
        pad(line.buf, line.n, 64)


def check_widths_are_one_per_value():
    try:
        Line((b"[", b", ", b"]"), 20, (3,))
    except ValueError:
        return
    true(False, "one width for two values refused")
