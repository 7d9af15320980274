"""Check a capture of a channel's bridge inputs (A = positive phase, B =
negative phase) against a program: phase widths, interphase gap, pulse
period, A and B never high together, every pulse with both phases, and charge
balance by time.

    python -m tools.bench verify CAPTURE.vcd --program ID [--channel N]
        [--a NAME --b NAME] [--tolerance-us T] [--plot FILE | --no-plot]
        [--programs programs.json] [--probe-samples N]

Signals are ch<N>_a / ch<N>_b unless --a/--b name them (sigrok's D0, D1...).
The tolerance defaults to two sample periods when the capture says its sample
rate (sigrok does), else 2 us, and never less than 1 us.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import tools.bench  # noqa: F401  (firmware on sys.path)
from tools.bench import vcd
from tools.bench.show import table
from ustim.app import TICK_MS
from ustim.core import custom, limits, watchdog
from ustim.core.programs import PRESETS, period_us

US = vcd.US
# A cycling (EMS) program rests between contractions; an engine may stop
# there, so a pause this long or longer between pulses is a rest, not a period
# error (the shortest rest the envelope allows is 1 s).
REST_US = 500000
# Every start begins with the electrode check (firmware/ustim/core/precheck.py):
# probe pulses at the program's timing until probe_samples control ticks have
# counted pulses; then the engine stays stopped for at least one tick and the
# program's train starts from amplitude 0. A start therefore shows as a short
# group of pulses, then an interval longer than a tick that is no period.
PROBE_SAMPLES = [r[1] for r in watchdog.DEFAULTS if r[0] == "probe_samples"][0]
TICK_US = TICK_MS * 1000


def us(fs):
    return ("%.3f" % (fs / US)).rstrip("0").rstrip(".")


class Expect:
    """What a program's pulses look like, in fs."""

    def __init__(self, prog):
        self.prog = prog
        self.pos = prog.phase_us * US
        self.neg = prog.phase_us * US
        self.gap = prog.gap_us * US
        rates = [prog.hz]
        if prog.alt_hz and prog.alt_ms:
            rates.append(prog.alt_hz)
        self.sweep = None
        if prog.sweep_hz and prog.sweep_ms:
            rates.append(prog.sweep_hz)
            lo, hi = sorted((period_us(prog.hz), period_us(prog.sweep_hz)))
            self.sweep = (lo * US, hi * US)
        periods = set()
        for hz in rates:
            p = period_us(hz)
            periods.add(p * US)
            if prog.burst_n > 1:
                periods.add((period_us(prog.burst_hz) - (prog.burst_n - 1) * p) * US)
        self.periods = sorted(periods)
        self.cycles = prog.on_ms > 0

    def longest(self):
        return max(self.periods + ([self.sweep[1]] if self.sweep else []))

    def shortest(self):
        return min(self.periods + ([self.sweep[0]] if self.sweep else []))

    def period_ok(self, interval, tol):
        if self.cycles and interval >= REST_US * US:
            return True
        return self.in_train(interval, tol)

    def in_train(self, interval, tol):
        """A pulse-to-pulse interval of a running train (not a rest)."""
        if self.sweep and self.sweep[0] - tol <= interval <= self.sweep[1] + tol:
            return True
        return any(abs(interval - p) <= tol for p in self.periods)

    def period_text(self, tol):
        if self.sweep:
            base = "%s..%s us" % (us(self.sweep[0]), us(self.sweep[1]))
            others = [p for p in self.periods if not self.sweep[0] <= p <= self.sweep[1]]
            if others:
                base += " or " + ", ".join(us(p) for p in others) + " us"
        else:
            base = " or ".join(us(p) for p in self.periods) + " us"
        return "%s ± %s us" % (base, us(tol))


class Intervals:
    """The intervals between A-phase starts, sorted: periods and bad, [(start,
    interval)] that match the program or do not; breaks, where the output
    stopped and a new train began; probes, [(first start, pulses, interval to
    the program's first pulse)], one per electrode check seen."""

    def __init__(self):
        self.periods = []
        self.bad = []
        self.breaks = []
        self.probes = []

    def probe_text(self):
        if not self.probes:
            return "no probe pulses seen"
        counts = sorted(n for _, n, _ in self.probes)
        waits = sorted(dt for _, _, dt in self.probes)
        return "%d start%s: %s probe pulses, then %s us to the program's first pulse" % (
            len(self.probes), "" if len(self.probes) == 1 else "s",
            counts[0] if counts[0] == counts[-1] else "%d..%d" % (counts[0], counts[-1]),
            us(waits[0]) if waits[0] == waits[-1] else "%s..%s" % (us(waits[0]), us(waits[-1])))


def intervals(starts, exp, tol, probe_samples=PROBE_SAMPLES):
    """Intervals of the A-phase starts (fs) for the program expected."""
    tick = TICK_US * US
    # At most this many pulses start while the check counts probe_samples ticks
    # of pulses that came out, after the tick in which its first one began.
    max_probes = (probe_samples + 1) * -(-tick // exp.shortest())
    longest = exp.longest()
    out = Intervals()
    first = 0                   # index of the current train's first pulse
    fresh = True                # that train began the capture or followed a break
    for i in range(len(starts) - 1):
        t, dt = starts[i], starts[i + 1] - starts[i]
        if exp.period_ok(dt, tol):
            out.periods.append((t, dt))
            continue
        n = i + 1 - first
        if fresh and n <= max_probes and dt + tol > tick:
            out.probes.append((starts[first], n, dt))
            fresh = False
        elif dt * 2 >= longest * 3:
            # The firmware stops the train whenever the output is 0 (a ramp
            # from 0, pause, fault, rest) and starts a new one after: 1.5
            # periods or more is such a break, counted and shown, not a period.
            out.breaks.append((t, dt))
            fresh = True
        else:
            out.bad.append((t, dt))
            fresh = False
        first = i + 1
    return out


def pulses(changes, end):
    """(rise, fall) of each complete high pulse; a pulse already high at the
    start of the capture or still high at its end is cut, so it is left out."""
    out = []
    rise = None
    for i, (t, level) in enumerate(changes):
        if level == 1:
            rise = t if i > 0 else None
        elif rise is not None:
            out.append((rise, t))
            rise = None
    return out


def _overlaps(a, b):
    found = []
    j = 0
    for ar, af in a:
        while j < len(b) and b[j][1] <= ar:
            j += 1
        k = j
        while k < len(b) and b[k][0] < af:
            lo, hi = max(ar, b[k][0]), min(af, b[k][1])
            if hi > lo:
                found.append((lo, hi - lo))
            k += 1
    return found


def _pair(a, b):
    """Match each A phase with the B phase that follows it before the next A."""
    pairs, lone_a, lone_b = [], [], []
    j = 0
    for i, (ar, af) in enumerate(a):
        next_rise = a[i + 1][0] if i + 1 < len(a) else math.inf
        while j < len(b) and b[j][0] < ar:
            lone_b.append(b[j])
            j += 1
        if j < len(b) and b[j][0] < next_rise:
            pairs.append(((ar, af), b[j]))
            j += 1
        else:
            lone_a.append((ar, af))
    lone_b.extend(b[j:])
    return pairs, lone_a, lone_b


def _stop_cuts(a, b, exp, tol_fs):
    """The firmware's stop drives both pins low at once, wherever a pulse is:
    the last pulse of a train (the next one, if any, not a period later: a new
    train, started after the stop) may be cut short or lose its B phase.
    Returns (a, b, cut) with those pulses taken out of the A and B lists."""
    pairs, _lone_a, _lone_b = _pair(a, b)
    b_of = {ar: bp for (ar, _af), bp in pairs}
    cut = []
    keep_a = []
    drop_b = set()
    for i, (ar, af) in enumerate(a):
        last = i + 1 == len(a) or not exp.in_train(a[i + 1][0] - ar, tol_fs)
        bp = b_of.get(ar)
        full_a = af - ar >= exp.pos - tol_fs
        # Cut in the A phase (no B after it), between the phases (A whole, no
        # B) or in the B phase (A whole, B short): nothing else is a stop's.
        if bp is None:
            shape = True
        else:
            shape = full_a and bp[1] - bp[0] < exp.neg - tol_fs
        if last and shape:
            cut.append((ar, af))
            if bp is not None:
                drop_b.add(bp)
        else:
            keep_a.append((ar, af))
    return keep_a, [x for x in b if x not in drop_b], cut


def _spread(values):
    return "%s..%s us" % (us(min(values)), us(max(values))) if values else "-"


def check(a_changes, b_changes, end_fs, prog, tol_fs, marks=None,
          probe_samples=PROBE_SAMPLES):
    """[(check, passed, detail)] for a capture of one channel. marks, a list,
    gets the time of the first failure of each failed check (for the plot)."""
    marks = [] if marks is None else marks
    exp = Expect(prog)
    a = pulses(a_changes, end_fs)
    b = pulses(b_changes, end_fs)
    rows = []
    if not a or not b:
        rows.append(("pulses", False, "no complete %s phase in the capture" % (
            "A" if not a else "B")))
        return rows
    a, b, cut = _stop_cuts(a, b, exp, tol_fs)
    pairs, lone_a, lone_b = _pair(a, b)
    rows.append(("pulses", True, "%d A and %d B phases, %d pulses" % (len(a), len(b),
                                                                       len(pairs))))
    rows.append(("cut by a stop", True, "%d: the last pulse of a train, shorter than "
                 "commanded (first at %s us)" % (len(cut), us(cut[0][0])) if cut else "none"))
    ov = _overlaps(a, b)
    if ov:
        marks.append(ov[0][0])
    rows.append(("A/B overlap", not ov, "A and B high together at %s us for %s us (%d times)"
                 % (us(ov[0][0]), us(ov[0][1]), len(ov)) if ov else "never both high"))

    if lone_a or lone_b:
        marks.append(min(x[0][0] for x in (lone_a, lone_b) if x))
        parts = []
        if lone_a:
            parts.append("no B phase after the A phase at %s us (%d times)" % (
                us(lone_a[0][0]), len(lone_a)))
        if lone_b:
            parts.append("no A phase before the B phase at %s us (%d times)" % (
                us(lone_b[0][0]), len(lone_b)))
        rows.append(("missing phase", False, "; ".join(parts)))
    else:
        rows.append(("missing phase", True, "every pulse has both phases"))

    for name, phases, want in (("A phase width", a, exp.pos), ("B phase width", b, exp.neg)):
        widths = [f - r for r, f in phases]
        bad = [(r, w) for (r, _), w in zip(phases, widths, strict=True) if abs(w - want) > tol_fs]
        if bad:
            marks.append(bad[0][0])
            detail = "%s us at %s us, want %s ± %s us (%d of %d)" % (
                us(bad[0][1]), us(bad[0][0]), us(want), us(tol_fs), len(bad), len(widths))
        else:
            detail = "%s within %s ± %s us" % (_spread(widths), us(want), us(tol_fs))
        rows.append((name, not bad, detail))

    gaps = [(af, br - af) for (ar, af), (br, bf) in pairs]
    bad = [g for g in gaps if abs(g[1] - exp.gap) > tol_fs]
    if bad:
        marks.append(bad[0][0])
    rows.append(("interphase gap", not bad,
                 "%s us after the A phase at %s us, want %s ± %s us (%d of %d)" % (
                     us(bad[0][1]), us(bad[0][0]), us(exp.gap), us(tol_fs), len(bad), len(gaps))
                 if bad else "%s within %s ± %s us" % (_spread([g for _, g in gaps]),
                                                         us(exp.gap), us(tol_fs))))

    iv = intervals([r for r, _ in a], exp, tol_fs, probe_samples)
    if not iv.periods and not iv.bad:
        rows.append(("period", False, "one pulse only: no period to check"))
    elif iv.bad:
        marks.append(iv.bad[0][0])
        rows.append(("period", False, "%s us from the pulse at %s us, want %s (%d of %d)" % (
            us(iv.bad[0][1]), us(iv.bad[0][0]), exp.period_text(tol_fs), len(iv.bad),
            len(iv.periods) + len(iv.bad))))
    else:
        rows.append(("period", True, "%d intervals within %s" % (len(iv.periods),
                                                                 exp.period_text(tol_fs))))
    rows.append(("electrode check", True, iv.probe_text()))
    rows.append(("train breaks", True, "%d (output stopped, then a new train)" % len(iv.breaks)
                 if iv.breaks else "none"))

    # Quantisation errors of independent edges add like a random walk, so the
    # allowed imbalance grows with the square root of the pulse count; a
    # systematic one grows with the count itself and fails.
    sum_a = sum(f - r for r, f in a)
    sum_b = sum(f - r for r, f in b)
    n = max(len(a), len(b))
    allowed = tol_fs * max(1, math.isqrt(n - 1) + 1)
    diff = abs(sum_a - sum_b)
    rows.append(("charge balance", diff <= allowed,
                 "A high %s us, B high %s us in total: difference %s us, allowed %s us" % (
                     us(sum_a), us(sum_b), us(diff), us(allowed))))
    return rows


def load_programs(programs_file):
    """(programs, refused) of a programs.json, checked as the device checks it
    (ustim.core.custom): refused lists each entry left out, naming the
    program, the field and the bound. A file that cannot be read or parsed at
    all is an error (SystemExit)."""
    try:
        data = Path(programs_file).read_bytes()
    except OSError as e:
        raise SystemExit("verify: --programs %s: cannot read (%s)" % (
            programs_file, e.strerror)) from None
    loaded, rejected = custom.load(data, limits.Envelope())
    whole = [r for r in rejected if r.program is None]
    if whole:
        raise SystemExit("verify: --programs %s: %s" % (programs_file, whole[0]))
    return loaded, [str(r) for r in rejected]


def find_program(pid, programs=()):
    """The preset or custom program with this id, whatever its case (ids are
    lower case on the device)."""
    progs = list(PRESETS) + list(programs)
    for p in progs:
        if str(p.pid).lower() == str(pid).lower():
            return p
    raise SystemExit("no program %r (known: %s)" % (pid, ", ".join(str(p.pid) for p in progs)))


def default_tolerance_us(capture):
    if capture.samplerate_hz:
        return max(1.0, 2e6 / capture.samplerate_hz)
    return 2.0


def plot(path, a_changes, b_changes, rows, prog, names, marks=(), tol_fs=2 * US,
         probe_samples=PROBE_SAMPLES):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = pulses(a_changes, None)
    b = pulses(b_changes, None)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6))
    if a:
        t0 = a[0][0]
        if marks:
            # Show the first failure, with a pulse of context before it.
            t0 = max([r for r, _ in a if r < min(marks)] or [t0])
        exp = Expect(prog)
        window = 3 * exp.longest()
        if prog.burst_n > 1:
            window = period_us(prog.burst_hz) * US + prog.phase_us * 4 * US
        if marks:
            window = min(marks) - t0 + 3 * (exp.pos + exp.gap + exp.neg)
        for phases, sign, label in ((a, 1, names[0] + " (A, +)"), (b, -1, names[1] + " (B, -)")):
            xs, ys = [], []
            for r, f in phases:
                if r < t0:
                    continue
                if r - t0 > window:
                    break
                xs += [(r - t0) / US] * 2 + [(f - t0) / US] * 2
                ys += [0, sign, sign, 0]
            top.plot(xs, ys, label=label, drawstyle="default")
        top.set_xlabel("us from %s us" % us(t0))
        top.set_ylabel("phase")
        top.legend(loc="upper right")
        _interval_panel(bottom, [r for r, _ in a], exp, tol_fs, probe_samples)
    failed = [r[0] for r in rows if not r[1]]
    fig.suptitle("program %s: %s" % (prog.pid, "PASS" if not failed else
                                       "FAIL (" + ", ".join(failed) + ")"))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _interval_panel(ax, starts, exp, tol_fs, probe_samples):
    """Intervals between pulses on an axis scaled to the program's periods.
    Those far longer (train breaks, EMS rests, the wait after the electrode
    check) would squash every period into one line: each is a marker on the
    top edge with its length, and the legend counts them."""
    iv = intervals(starts, exp, tol_fs, probe_samples)
    t0 = starts[0]
    top_us = exp.longest() * 1.6 / US
    rests = [x for x in iv.periods if x[1] / US > top_us]
    periods = [x for x in iv.periods if x[1] / US <= top_us]
    for p in exp.periods:
        ax.axhline(p / US, color="0.8", lw=0.8, ls="--", zorder=0)
    if exp.sweep:
        ax.axhspan(exp.sweep[0] / US, exp.sweep[1] / US, color="0.92", zorder=0)

    def xs(items):
        return [(t - t0) / 10**15 for t, *_ in items]

    def ys(items):
        return [min(x[-1] / US, top_us * 0.97) for x in items]

    ax.plot(xs(periods), ys(periods), ".", ms=3, label="period (%d)" % len(periods))
    if iv.bad:
        ax.plot(xs(iv.bad), ys(iv.bad), "x", color="red", label="wrong (%d)" % len(iv.bad))
    for items, marker, color, what in ((iv.breaks, "v", "tab:orange", "train break"),
                                       (rests, "v", "tab:green", "rest"),
                                       (iv.probes, "^", "tab:purple", "after probe pulses")):
        if not items:
            continue
        ax.plot(xs(items), ys(items), marker, color=color,
                label="%s (%d)" % (what, len(items)))
        for x, item in zip(xs(items), items, strict=True):
            if item[-1] / US > top_us:
                ax.annotate(_length(item[-1]), (x, top_us * 0.97), textcoords="offset points",
                            xytext=(2, -10), fontsize=7, color=color)
    ax.set_ylim(0, top_us)
    ax.set_xlabel("s from the first pulse")
    ax.set_ylabel("interval between pulses, us")
    ax.legend(loc="lower right", fontsize=8)


def _length(fs):
    s = fs / 10**15
    return "%.3g s" % s if s >= 1 else "%.3g ms" % (s * 1000)


def main(argv, as_json=False):
    p = argparse.ArgumentParser(prog="python -m tools.bench verify", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("capture")
    p.add_argument("--program", required=True)
    p.add_argument("--channel", type=int, default=1)
    p.add_argument("--a", help="signal of the A (positive phase) input")
    p.add_argument("--b", help="signal of the B (negative phase) input")
    p.add_argument("--tolerance-us", type=float, default=None)
    p.add_argument("--plot", help="PNG to write (default: CAPTURE.png)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--programs", help="programs.json with custom programs")
    p.add_argument("--probe-samples", type=int, default=PROBE_SAMPLES,
                   help="the board's WATCHDOG probe_samples, if it sets one (default %d): "
                        "how many ticks of probe pulses an electrode check sends"
                        % PROBE_SAMPLES)
    opts = p.parse_args(argv)
    custom_progs, refused = load_programs(opts.programs) if opts.programs else ([], [])
    for why in refused:
        print("verify: --programs %s: refused %s" % (opts.programs, why), file=sys.stderr)
    prog = find_program(opts.program, custom_progs)
    try:
        cap = vcd.read(opts.capture)
        names = (opts.a or "ch%d_a" % opts.channel, opts.b or "ch%d_b" % opts.channel)
        a_changes, b_changes = cap.find(names[0]), cap.find(names[1])
    except (OSError, vcd.VcdError) as e:
        raise SystemExit("verify: %s" % e) from None
    tol = opts.tolerance_us if opts.tolerance_us is not None else default_tolerance_us(cap)
    marks = []
    rows = check(a_changes, b_changes, cap.end_fs, prog, round(tol * US), marks,
                 opts.probe_samples)
    ok = all(r[1] for r in rows)
    png = None
    if not opts.no_plot:
        png = opts.plot or str(Path(opts.capture).with_suffix(".png"))
        plot(png, a_changes, b_changes, rows, prog, names, marks, round(tol * US),
             opts.probe_samples)
    if as_json:
        print(json.dumps({"ok": ok, "program": prog.pid, "tolerance_us": tol, "plot": png,
                          "checks": [{"name": n, "ok": k, "detail": d} for n, k, d in rows],
                          "refused_programs": refused}))
    else:
        print("%s vs program %s (%s), tolerance %s us" % (
            opts.capture, prog.pid, prog.name, us(round(tol * US))))
        print(table(("check", "result", "detail"),
                    [(n, "PASS" if k else "FAIL", d) for n, k, d in rows]))
        print("%s%s" % ("PASS" if ok else "FAIL", "; plot: %s" % png if png else ""))
    sys.stdout.flush()
    return 0 if ok else 1
