"""Human-readable text for console replies.

Units: the device speaks integer microamperes (`*_ua` keys). What is shown to
a person is in mA, and every key or column says so (`max_ma`, `level mA`);
CSV files keep the device's integers, named by their unit (`peak_ua`)."""

import csv

LOG_FIELDS = ("seq", "start_s", "ch", "program", "duration_s", "peak_ua", "mean_ua",
              "charge_nc", "fault", "end", "pain_before", "pain_after", "pad_min")


def ma(ua):
    return "-" if ua is None else "%.3f" % (ua / 1000)


def ma_key(key):
    """The name of a `*_ua` key once its value is shown in mA."""
    return key[:-3] + "_ma" if key.endswith("_ua") else key


def table(header, rows):
    cells = [list(map(str, header))] + [["-" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def clock(s):
    return "%d:%02d" % (s // 60, s % 60) if isinstance(s, int) else "-"


def status(r):
    head = "console control: %s   bench mode: %s   timer: %s" % (
        "on" if r["console"] else "off", "on" if r["bench"] else "off",
        "%d min" % r["timer_min"] if r["timer_min"] else "program default")
    rows = [(c["ch"], c["state"], c["program"], c["stage"], ma(c["target_ua"]),
             ma(c["level_ua"]), ma(c["out_ua"]), ma(c["max_ua"]), clock(c["remaining_s"]),
             c["fault"] or c["check"], c["ohm"]) for c in r["channels"]]
    return head + "\n" + table(("ch", "state", "program", "stage", "target mA", "level mA",
                                "out mA", "max mA", "left", "fault", "ohm"), rows)


def programs(r):
    rows = []
    for p in r["programs"]:
        extra = " ".join("%s=%s" % (k, v) for k, v in p.items() if k not in (
            "id", "num", "name", "kind", "freq_hz", "phase_us", "gap_us", "minutes"))
        rows.append((p["id"], p["name"], p["kind"], p["freq_hz"], p["phase_us"], p["gap_us"],
                     p["minutes"], extra))
    return table(("id", "name", "kind", "Hz", "phase us", "gap us", "min", "more"), rows)


def log(r):
    rows = [[ma(rec[k]) if k.endswith("_ua") else rec[k] for k in LOG_FIELDS]
            for rec in r["records"]]
    return table([ma_key(k) for k in LOG_FIELDS], rows)


def selftest(r):
    lines = ["self-test %s" % ("passed" if r["passed"] else "FAILED")]
    for c in r["checks"]:
        lines.append("  %-4s %s  %s" % ("ok" if c["ok"] else "FAIL", c["name"], c["detail"]))
    return "\n".join(lines)


def generic(r):
    lines = []
    for k, v in r.items():
        if k == "ok":
            continue
        if k.endswith("_ua") and isinstance(v, int):
            k, v = ma_key(k), ma(v)
        elif isinstance(v, list):
            v = ", ".join(str(x) for x in v) or "-"
        elif isinstance(v, dict):
            v = " ".join("%s=%s" % kv for kv in v.items())
        lines.append("%s: %s" % (k, v))
    return "\n".join(lines) or "ok"


_BY_COMMAND = {"status": status, "programs": programs, "log": log, "selftest": selftest,
               "help": lambda r: "\n".join(r["commands"])}


def reply(command, r):
    """Text for reply r to a command line (first word picks the layout)."""
    if not r.get("ok"):
        return "error [%s]: %s" % (r.get("error"), r.get("msg"))
    word = command.split()[0].lower() if command.split() else ""
    if word in ("start", "stop", "pause", "resume") and r.get("skipped"):
        done = ", ".join(str(c) for c in r["channels"])
        skipped = "; ".join("ch%d %s" % (s["ch"], s["msg"]) for s in r["skipped"])
        return "done: ch %s\nskipped: %s" % (done, skipped)
    return _BY_COMMAND.get(word, generic)(r)


def write_log_csv(records, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(LOG_FIELDS)
        for rec in records:
            w.writerow([rec[k] for k in LOG_FIELDS])


STATUS_FIELDS = ("t_s", "ch", "state", "program", "stage", "target_ua", "level_ua", "out_ua",
                 "ohm", "fault")


class StatusCsv:
    """`monitor --csv`: one row per channel per status reply, t_s seconds from
    the first; written through at once, so an interrupted monitor keeps every
    row it showed."""

    def __init__(self, path):
        self.f = open(path, "w", newline="")
        self.w = csv.writer(self.f)
        self.w.writerow(STATUS_FIELDS)
        self.f.flush()

    def add(self, t_s, r):
        for c in r["channels"]:
            row = dict(c, t_s="%.3f" % t_s)
            self.w.writerow(["" if row.get(k) is None else row[k] for k in STATUS_FIELDS])
        self.f.flush()

    def close(self):
        self.f.close()
