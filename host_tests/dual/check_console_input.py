# Console input on both runtimes: lines fed in pieces of any size, faster than
# the console answers them, are answered in order, each by its own reply or by
# a refusal; no line is ever made of the bytes of two.
import json

from console_host import Bench, FakeHost
from dualcheck import Lcg, eq, true
from ustim.core import limits
from ustim.core import lines as L
from ustim.core.controller import Controller


def _bench():
    b = Bench(Controller(limits.Envelope()), FakeHost(True, False))
    b.con.feed("select 1 tens\n")
    b.con.poll()
    return b


def _amp_lines(rng, n):
    # Each line sets a different amplitude, so a reply tells which line it answers.
    out = []
    for i in range(n):
        out.append("amp 1 %d.%03d" % (1 + i % 70, i % 1000) + " " * rng.below(4))
    return out


def check_lines_faster_than_answers_are_answered_in_order_or_refused():
    rng = Lcg(2024)
    b = _bench()
    sent = _amp_lines(rng, 600)
    data = ("\n".join(sent) + "\n").encode()
    start = len(b.out)
    i = 0
    while i < len(data):
        k = 1 + rng.below(90)
        b.con.feed(data[i:i + k])
        i += k
        for _ in range(rng.below(3)):
            b.con.poll()
    while b.con.poll():
        pass
    replies = [json.loads(t) for t in b.out[start:]]
    eq(len(replies), len(sent), "one reply per line")
    refused = 0
    for i in range(len(sent)):
        line, r = sent[i], replies[i]
        if r["ok"]:
            want = int(line.split()[2].replace(".", ""))
            eq(r["target_ua"], want, "reply to %r", line)
        else:
            eq(r["error"], "busy", "refusal of %r", line)
            refused += 1
    true(0 < refused < len(sent), "some answered, some refused (%d)", refused)
    eq(b.con.input.refused, refused, "counted")


def check_a_line_that_does_not_fit_is_refused_whole():
    b = _bench()
    first = "amp 1 " + "0" * 110 + "1"        # 117 bytes: fits
    second = "amp 1 " + "0" * 110 + "2"
    third = "amp 1 " + "0" * 110 + "3"        # no room left for it
    b.con.feed((first + "\n" + second + "\n" + third).encode())
    b.con.feed(b"\n")
    out = []
    while b.con.poll():
        out.append(json.loads(b.out[-1]))
    eq([r.get("target_ua") for r in out], [1000, 2000, None], "two answered, the third refused")
    eq(out[2]["error"], "busy", "refused as busy")
    eq(b.con.room(), L.IN_MAX, "nothing left behind")


def check_refusals_owed_for_want_of_room_keep_their_place():
    q = L.LineQueue()
    q.feed(b"x" * 127 + b"\n" + b"y" * 127 + b"\n")     # 256 of 258 bytes
    # abc: room for its length byte, not its bytes: a marker in its place; d:
    # the last byte, a marker; e, f: not even that, owed.
    q.feed(b"abc\nd\ne\nf\n")
    items = [q.pop()[:1]]
    q.feed(b"g\n")            # room again, but refusals are owed: g waits its turn
    while True:
        item = q.pop()
        if item is None:
            break
        items.append(item if isinstance(item, int) else item[:1])
    eq(items, ["x", "y", L.FULL, L.FULL, L.FULL, L.FULL, L.FULL], "in order")
    eq((q.refused, q.owed, q.count), (5, 0, 0), "counted, nothing left")
    q.feed(b"h\n")
    eq(q.pop(), "h", "taken again once the refusals are answered")


def check_long_and_non_ascii_lines_keep_their_reason_across_pieces():
    q = L.LineQueue()
    q.feed(b"s" * 100)
    q.feed(b"\xff" + b"t" * 100)
    q.feed(b"\r\n")
    q.feed(b"st\x03at\r")
    q.feed(b"\nversion\n")
    eq([q.pop(), q.pop(), q.pop(), q.pop()], [L.LONG, L.ASCII, "version", None],
       "long wins over non-ASCII; CR LF ends one line")
