# trace.vcd, written two ways that give the same bytes:
#   "pyvcd"  through pyvcd's VCDWriter (the reference)
#   "direct" the same text formatted here in bulk, several times faster, for
#            long sessions (a 30-minute two-channel 100 Hz session has 720,000
#            edges). host_tests/test_sim_out.py proves the two are identical.
from tools.sim.out.vcd_changes import SCOPE, SIGNALS, TIMESCALE, changes, edge_count, end_us

ENGINES = ("pyvcd", "direct")
_VERSION = "ustim simulated board"


def write_vcd(rec, path, engine="pyvcd", date=""):
    """Write rec as VCD to path. Returns the number of logic edges (changes
    of the 1-bit wires) in it. `date` goes in $date; empty
    leaves it out so that the same recording always gives the same file."""
    ch = changes(rec)
    end = end_us(rec)
    with open(path, "w", newline="\n") as f:
        if engine == "pyvcd":
            _write_pyvcd(f, ch, end, date)
        elif engine == "direct":
            _write_direct(f, ch, end, date)
        else:
            raise ValueError("engine %r: expected one of %s" % (engine, ENGINES))
    return edge_count(ch)


def _write_pyvcd(f, ch, end, date):
    from vcd import VCDWriter

    with VCDWriter(f, timescale=TIMESCALE, date=date, version=_VERSION) as w:
        vs = []
        for name, kind in SIGNALS:
            if kind == "wire":
                vs.append(w.register_var(SCOPE, name, "wire", size=1, init=0))
            else:
                vs.append(w.register_var(SCOPE, name, "real", init=0.0))
        change = w.change
        for t, i, v in ch:
            change(vs[i], t, v)
        w.close(max(end, ch[-1][0]) if ch else end)


def _ident(n):
    # pyvcd's identifier code (base 94 from "!"), so both engines agree byte
    # for byte.
    s = ""
    while n:
        n -= 1
        s += chr(n % 94 + 33)
        n //= 94
    return s


def header(date=""):
    lines = []
    if date:
        lines.append("$date %s $end" % date)
    lines.append("$timescale %s $end" % TIMESCALE)
    lines.append("$version %s $end" % _VERSION)
    lines.append("$scope module %s $end" % SCOPE)
    for n, (name, kind) in enumerate(SIGNALS, 1):
        size = 1 if kind == "wire" else 64
        lines.append("$var %s %d %s %s $end" % (kind, size, _ident(n), name))
    lines.append("$upscope $end")
    lines.append("$enddefinitions $end")
    return lines


def _write_direct(f, ch, end, date):
    ids = [_ident(n) for n in range(1, len(SIGNALS) + 1)]
    # Every value string a wire can take is known in advance; reals are few
    # (one per setpoint change) and formatted as pyvcd does (%.16g).
    text = {}
    for i, (_name, kind) in enumerate(SIGNALS):
        if kind == "wire":
            text[(i, 0)] = "0" + ids[i]
            text[(i, 1)] = "1" + ids[i]
    # Changes at time 0 are the initial values: they go into $dumpvars.
    init = [0] * len(SIGNALS)
    k = 0
    while k < len(ch) and ch[k][0] == 0:
        init[ch[k][1]] = ch[k][2]
        k += 1
    out = header(date)
    out.append("#0")
    out.append("$dumpvars")
    for i, (_name, kind) in enumerate(SIGNALS):
        if kind == "wire":
            out.append(text[(i, init[i])])
        else:
            out.append("r%.16g %s" % (init[i], ids[i]))
    out.append("$end")
    append = out.append
    last_t = 0
    for t, i, v in ch[k:] if k else ch:
        if t != last_t:
            append("#%d" % t)
            last_t = t
        s = text.get((i, v))
        if s is None:
            s = "r%.16g %s" % (v, ids[i])
        append(s)
    if end > last_t:
        append("#%d" % end)
    out.append("")
    f.write("\n".join(out))
