"""Output characterisation at a standard test load (FDA practice for TENS:
500 ohm, 2 kohm and 10 kohm resistors, docs/safety-limits.md).

    python -m tools.bench --port /dev/ttyACM0 characterise --load 500 [--png FILE]
    python -m tools.bench characterise --sim pico --load 10000 --json

With a resistor of --load ohm across channel --ch, the procedure selects the
program (tens by default), then steps its amplitude through the set points
(5, 10, 20, 40 mA and the board maximum): at each it waits until the output
is at the set point, lets it settle, and reads the sense path (`sense`: the
delivered current and the peak electrode voltage of the latest pulse) a few
times. It reports set against measured current, the peak voltage against
I x R, the charge per phase and pass or fail, and stops the channel at the
end, whatever happened.

Tolerance (project choice, stated in every report): the delivered current
within 10 % of the set point or 0.5 mA, whichever is larger; the peak voltage
within 10 % or 0.5 V of the measured current times the load.

Where the load cannot take the current (set point x load above the board's
compliance voltage), the point is LIMIT, not a failure: the output stage
delivers what the compliance allows (compliance / load), and the firmware's
electrode watchdog blocks further increases (impedance high) or stops the
channel (current collapsed). The report names that limit and what the device
did. A set point above the channel's limit now (the envelope, or the
device's Max amp setting) is REFUSED by the device and not measured.

The device must be in bench mode (`sense` is refused otherwise) with console
control on (to select, set and start): both are switched on at the device.
--sim BOARD runs the same procedure on a simulated board whose electrodes are
a plain resistor of --load ohm (scenario field `load_ohm`, docs/scenarios.md),
in simulated time.
"""

import argparse
import json
import sys

from tools.bench import show

SET_POINTS_MA = (5, 10, 20, 40)      # and the board maximum (issue 17; StimJim-like table)
TOLERANCE_PCT = 10                   # project choice
TOLERANCE_UA = 500                   # project choice: the floor of the current tolerance
TOLERANCE_MV = 500                   # project choice: the floor of the voltage tolerance
SAMPLES = 5                          # sense readings averaged per set point
SAMPLE_S = 0.1
SETTLE_S = 0.3                       # at the set point before the first reading
POLL_S = 0.2                         # status polls while the output moves (they keep the lease)
STILL_S = 1.0                        # the level has not moved this long below target: blocked
MOVE_TIMEOUT_S = 40.0                # 0 -> 80 mA at the 4 mA/s slew is 20 s
PASS, FAIL, LIMIT, REFUSED = "PASS", "FAIL", "LIMIT", "REFUSED"


class DeviceRefused(Exception):
    """A command the procedure cannot go on without was refused."""

    def __init__(self, line, reply):
        super().__init__("%s: %s" % (line, reply.get("msg", reply)))
        self.reply = reply


def _need(link, line):
    r = link.request(line)
    if not r.get("ok"):
        raise DeviceRefused(line, r)
    return r


def _ma_arg(ua):
    return "%d.%03d" % (ua // 1000, ua % 1000)


def set_points(board_max_ua, points_ma=SET_POINTS_MA):
    pts = sorted({p * 1000 for p in points_ma if p * 1000 < board_max_ua} | {board_max_ua})
    return pts


def _channel(link, ch):
    return _need(link, "status")["channels"][ch - 1]


def _wait_level(link, ch, sleep):
    """Poll until the channel outputs its target (or stops moving below it,
    or leaves the running states). Returns the last status of the channel,
    with `last_level_ua`, the level before it stopped."""
    waited = 0.0
    still = 0.0
    last = None
    while True:
        c = _channel(link, ch)
        if c["state"] not in ("ARMED", "RAMPING", "RUNNING"):
            c["last_level_ua"] = last if last is not None else 0
            return c
        if c["state"] == "RUNNING" and c["level_ua"] == c["target_ua"]:
            return c
        still = still + POLL_S if c["state"] == "RUNNING" and c["level_ua"] == last else 0.0
        if still >= STILL_S or waited >= MOVE_TIMEOUT_S:
            return c
        last = c["level_ua"]
        sleep(POLL_S)
        waited += POLL_S


def _measure(link, ch, sleep):
    """(level uA, mean delivered uA, mean peak mV, phase us) over SAMPLES readings."""
    sleep(SETTLE_S)
    got = []
    for _ in range(SAMPLES):
        got.append(_need(link, "sense %d" % ch))
        sleep(SAMPLE_S)
    level = got[-1]["set_ua"]
    i = sum(r["i_ua"] for r in got) // len(got)
    v = sum(r["v_mv"] for r in got) // len(got)
    return level, i, v, got[-1]["phase_us"]


def within(measured, expected, pct, floor):
    return abs(measured - expected) <= max(abs(expected) * pct // 100, floor)


def run(link, load_ohm, ch=1, program="tens", sleep=None, points_ma=SET_POINTS_MA,
        tolerance_pct=TOLERANCE_PCT):
    """The characterisation as a dict (the --json output)."""
    if sleep is None:
        import time
        sleep = time.sleep
    first = _need(link, "sense %d" % ch)       # bench mode, before anything changes
    compliance = first["compliance_mv"]
    board_max = first["max_peak_ua"]
    limit_ua = compliance * 1000 // load_ohm   # the most this load takes
    sel = _need(link, "select %d %s" % (ch, program))
    out = {"load_ohm": load_ohm, "ch": ch, "program": program, "compliance_mv": compliance,
           "limit_ua": limit_ua, "board_max_ua": board_max, "channel_max_ua": sel["max_ua"],
           "tolerance_pct": tolerance_pct, "tolerance_ua": TOLERANCE_UA,
           "tolerance_mv": TOLERANCE_MV, "points": []}
    started = False
    try:
        stopped = None
        for set_ua in set_points(board_max, points_ma):
            if stopped is not None:
                # The channel stopped: the points after it are not run.
                out["points"].append({"set_ua": set_ua, "measured": False,
                                      "result": LIMIT if set_ua > limit_ua else FAIL,
                                      "note": "not run: the channel stopped at %s mA" % (
                                          show.ma(stopped))})
                continue
            p = _point(link, ch, set_ua, load_ohm, limit_ua, sel["max_ua"], started, sleep,
                       tolerance_pct)
            out["points"].append(p)
            started = started or p["measured"]
            if p.pop("stopped", None):
                stopped = set_ua
                out["left_in"] = p.pop("state")
    finally:
        link.request("stop %d" % ch)
    pts = out["points"]
    out["passed"] = any(p["result"] == PASS for p in pts) and not any(
        p["result"] == FAIL for p in pts)
    return out


def _point(link, ch, set_ua, load_ohm, limit_ua, channel_max, started, sleep, tol):
    p = {"set_ua": set_ua, "measured": False, "result": None, "note": ""}
    beyond = set_ua > limit_ua
    if set_ua > channel_max:
        p["result"] = REFUSED
        p["note"] = "above the channel's limit now, %s mA (envelope or Max amp setting)" % (
            show.ma(channel_max))
        return p
    r = link.request("amp %d %s" % (ch, _ma_arg(set_ua)))
    if not r.get("ok"):
        p["result"] = LIMIT if beyond else REFUSED
        p["note"] = "device: %s" % r.get("msg")
    elif not started:
        _need(link, "start %d" % ch)
    c = _wait_level(link, ch, sleep)
    if c["state"] != "RUNNING":
        why = c["fault"] or c["check"] or "no reason given"
        p["result"] = LIMIT if beyond else FAIL
        p["note"] = "%sdevice stopped the channel at %s mA: %s %s" % (
            "the load takes at most %s mA at the compliance; " % show.ma(limit_ua)
            if beyond else "", show.ma(c["last_level_ua"]), c["state"], why)
        p["stopped"] = True
        p["state"] = "%s (%s)" % (c["state"], why)
        return p
    level, i, v, phase = _measure(link, ch, sleep)
    p.update(measured=True, level_ua=level, i_ua=i, v_mv=v, phase_us=phase,
             expect_mv=i * load_ohm // 1000, ohm=v * 1000 // i if i > 0 else None,
             charge_nc=i * phase // 1000)
    if p["result"] is not None:
        return p
    if beyond:
        p["result"] = LIMIT
        p["note"] = "the load takes at most %s mA at the compliance" % show.ma(limit_ua)
        if level < set_ua:
            p["note"] += "; device held the level at %s mA" % show.ma(level)
        return p
    ok_i = level == set_ua and within(i, set_ua, tol, TOLERANCE_UA)
    ok_v = within(v, p["expect_mv"], tol, TOLERANCE_MV)
    p["result"] = PASS if ok_i and ok_v else FAIL
    if not ok_i:
        p["note"] = "current outside tolerance"
    elif not ok_v:
        p["note"] = "peak voltage is not I x R"
    return p


def _v(mv):
    return "-" if mv is None else "%.1f" % (mv / 1000)


def text(res):
    rows = []
    for p in res["points"]:
        m = p["measured"]
        err = ("%+.1f" % ((p["i_ua"] - p["set_ua"]) * 100 / p["set_ua"])) if m else "-"
        rows.append((show.ma(p["set_ua"]), show.ma(p.get("level_ua")), show.ma(p.get("i_ua")),
                     err, _v(p.get("v_mv")), _v(p.get("expect_mv")), p.get("ohm"),
                     "%.2f" % (p["charge_nc"] / 1000) if m else "-", p["result"], p["note"]))
    head = ("load %d ohm, channel %d, program %s; tolerance: current within %d %% or %s mA, "
            "peak voltage within %d %% or %s V of I x R (project choice)" % (
                res["load_ohm"], res["ch"], res["program"], res["tolerance_pct"],
                show.ma(res["tolerance_ua"]), res["tolerance_pct"], _v(res["tolerance_mv"])))
    foot = ("compliance %s V: this load takes at most %s mA (board maximum %s mA, channel "
            "limit now %s mA)" % (_v(res["compliance_mv"]), show.ma(res["limit_ua"]),
                                  show.ma(res["board_max_ua"]), show.ma(res["channel_max_ua"])))
    at_limit = [p for p in res["points"] if p["result"] == LIMIT and p["measured"]]
    if at_limit:
        p = max(at_limit, key=lambda q: q["i_ua"])
        foot += "\nmeasured at the compliance limit: %s mA at %s V" % (
            show.ma(p["i_ua"]), _v(p["v_mv"]))
    if "left_in" in res:
        foot += ("\nchannel %d is left in %s: a fault latches until it is cleared at the "
                 "device (or `clear %d`)" % (res["ch"], res["left_in"], res["ch"]))
    foot += "\n" + ("PASS" if res["passed"] else "FAIL")
    table = show.table(("set mA", "level mA", "measured mA", "error %", "peak V", "I x R V",
                        "ohm", "charge/phase uC", "result", "note"), rows)
    return head + "\n" + table + "\n" + foot


def plot(res, path):
    """Set vs measured current, and peak voltage, against the set point."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in res["points"] if p["measured"]]
    fig, (ax_i, ax_v) = plt.subplots(1, 2, figsize=(10, 4.2))
    top = max([p["set_ua"] for p in res["points"]] + [1000]) / 1000
    ax_i.plot([0, top], [0, top], color="0.7", lw=1, label="set = measured")
    lim = res["limit_ua"] / 1000
    if lim < top * 1.05:
        ax_i.axhline(lim, color="tab:red", ls="--", lw=1,
                     label="compliance / load: %.1f mA" % lim)
    colours = {PASS: "tab:green", FAIL: "tab:red", LIMIT: "tab:orange"}
    for p in pts:
        ax_i.plot(p["set_ua"] / 1000, p["i_ua"] / 1000, "o", color=colours[p["result"]])
        ax_v.plot(p["set_ua"] / 1000, p["v_mv"] / 1000, "o", color=colours[p["result"]])
    unmeasured = [p for p in res["points"] if not p["measured"] and p["result"] == LIMIT]
    for p in unmeasured:
        # Beyond the load's limit and not measured (the channel stopped): shown
        # at the limit, which is all the load could have taken.
        ax_i.plot(p["set_ua"] / 1000, lim, "x", color="tab:orange")
    if unmeasured:
        ax_i.plot([], [], "x", color="tab:orange", label="not measured: the channel stopped")
    ax_i.plot([], [], "o", color="tab:green", label="pass")
    if any(p["result"] == LIMIT for p in pts):
        ax_i.plot([], [], "o", color="tab:orange", label="at the compliance limit")
    if any(p["result"] == FAIL for p in pts):
        ax_i.plot([], [], "o", color="tab:red", label="fail")
    ax_i.set_xlabel("set current (mA)")
    ax_i.set_ylabel("delivered current (mA)")
    ax_i.legend(loc="upper left", fontsize=8)
    ax_v.plot([0, top], [0, top * res["load_ohm"] / 1000], color="0.7", lw=1,
              label="set x %d ohm" % res["load_ohm"])
    ax_v.axhline(res["compliance_mv"] / 1000, color="tab:red", ls="--", lw=1,
                 label="compliance %.0f V" % (res["compliance_mv"] / 1000))
    ax_v.set_ylim(0, res["compliance_mv"] / 1000 * 1.15)
    ax_v.set_xlabel("set current (mA)")
    ax_v.set_ylabel("peak electrode voltage (V)")
    ax_v.legend(loc="lower right", fontsize=8)
    for ax in (ax_i, ax_v):
        ax.set_xlim(0, top * 1.05)
        ax.grid(alpha=0.3)
    fig.suptitle("Output at %d ohm, channel %d, %s: %s" % (
        res["load_ohm"], res["ch"], res["program"], "PASS" if res["passed"] else "FAIL"))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _parser():
    p = argparse.ArgumentParser(prog="python -m tools.bench characterise",
                                description=__doc__.splitlines()[0])
    p.add_argument("--load", type=int, required=True, metavar="OHM",
                   help="the test resistor across the channel (500, 2000 or 10000)")
    p.add_argument("--ch", type=int, default=1, help="channel (default 1)")
    p.add_argument("--program", default="tens", help="program id (default tens)")
    p.add_argument("--points", default=",".join(str(m) for m in SET_POINTS_MA),
                   help="set points in mA below the board maximum, which is always "
                        "added (default 5,10,20,40)")
    p.add_argument("--tolerance-pct", type=int, default=TOLERANCE_PCT)
    p.add_argument("--png", metavar="FILE", help="also plot the result to FILE")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--sim", metavar="BOARD", choices=("pico", "esp32_devkitc"),
                   help="a simulated board with a plain resistor of --load ohm as the load")
    return p


def simulated(board, load_ohm):
    """The scenario of a simulated board at a test load, set up as a bench
    tester sets up a device: console control and bench mode on, Max amp at
    the 80 mA cap so the board maximum can be reached."""
    load = {"load_ohm": load_ohm}
    return {"name": "characterise %d ohm" % load_ohm, "board": board, "duration_s": 3600,
            "console_control": True, "bench_mode": True, "max_ma": 80,
            "electrodes": {"1": dict(load), "2": dict(load)}}


def main(argv, open_link, as_json=False):
    """Exit 0 pass, 1 fail or refused by the device, 2 bad input or no device."""
    try:
        opts = _parser().parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if not 10 <= opts.load <= 1000000:
        raise SystemExit("characterise --load %d: want a resistance of 10..1000000 ohm"
                         % opts.load)
    if not 1 <= opts.tolerance_pct <= 50:
        raise SystemExit("characterise --tolerance-pct %d: want 1..50" % opts.tolerance_pct)
    try:
        points = tuple(int(x) for x in opts.points.split(","))
    except ValueError:
        raise SystemExit("characterise --points %r: want mA like 5,10,20,40" % opts.points) \
            from None
    if not points or min(points) < 1:
        raise SystemExit("characterise --points %r: want whole mA from 1" % opts.points)
    if opts.png:
        from pathlib import Path
        where = Path(opts.png).resolve().parent
        if not where.is_dir():
            raise SystemExit("characterise --png %s: no folder %s" % (opts.png, where))
    if opts.sim:
        from tools.bench.sim_link import SimLink
        link = SimLink(simulated(opts.sim, opts.load))
        sleep = link.sleep
    else:
        link = open_link()
        sleep = None
    try:
        with link:
            res = run(link, opts.load, opts.ch, opts.program.lower(), sleep, points,
                      opts.tolerance_pct)
    except DeviceRefused as e:
        print("bench: characterise: %s" % e, file=sys.stderr)
        return 1
    if opts.png:
        plot(res, opts.png)
    if as_json or opts.json:
        print(json.dumps(res))
    else:
        print(text(res))
        if opts.png:
            print("plot: %s" % opts.png)
    return 0 if res["passed"] else 1
