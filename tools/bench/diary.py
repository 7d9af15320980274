"""The pain and adherence diary: a report from the device's usage log.

    python -m tools.bench diary [--port P | --file F] [--plan 2] [--png OUT] [--csv OUT]

Records come from the device (paged with `log 64 <before>`), or from a file: a
CSV written by `log --csv`, a `usage.bin` copied off the device (`mpremote cp
:usage.bin .`), or a simulator summary.json. Records of both channels that
start within SAME_SESSION_S of each other are one session. Days are UTC days
of the start times, which are wall-clock times once the device's clock was set
(console `clock`); earlier records count seconds since a boot and are left out
of the day figures (the table says how many).

The PNG has three panels: sessions and minutes per day; pain before and after
each session over the weeks; adherence per week against the plan (sessions a
day). The table has a row per day: sessions, minutes, mean pain before and
after, and whether the plan was met.
"""

import argparse
import csv
import datetime
import json
from pathlib import Path

SAME_SESSION_S = 120       # channel records this close together are one session
WALL_CLOCK_MIN_S = 1577836800   # 2020-01-01: earlier start times are since a boot
DAY_S = 86400


class Session:
    def __init__(self, start_s):
        self.start_s = start_s
        self.minutes = 0.0
        self.pain_before = None
        self.pain_after = None
        self.ends = []
        self.channels = []


def _pain(v):
    if v is None or v == "" or v == 255:
        return None
    return int(v)


def records_from_csv(path):
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out.append({"seq": int(row["seq"]), "start_s": int(row["start_s"]),
                        "ch": int(row["ch"]), "duration_s": int(row["duration_s"]),
                        "end": row.get("end") or "", "pain_before": _pain(row.get("pain_before")),
                        "pain_after": _pain(row.get("pain_after"))})
    return out


def records_from_bin(path):
    from ustim.core import usage_log as U
    data = Path(path).read_bytes()
    recs, _damaged = U.parse(data, max(1, len(data) // U.RECORD_SIZE))
    return [{"seq": r.seq, "start_s": r.start_s, "ch": r.channel + 1,
             "duration_s": r.duration_s,
             "end": U.END_NAMES[r.end] if r.end < len(U.END_NAMES) else str(r.end),
             "pain_before": _pain(r.pain_before), "pain_after": _pain(r.pain_after)}
            for r in recs]


def records_from_summary(path):
    from ustim.core import usage_log as U
    out = []
    for f in json.loads(Path(path).read_text())["usage_log"]:
        r = U.Record(*f)
        out.append({"seq": r.seq, "start_s": r.start_s, "ch": r.channel + 1,
                    "duration_s": r.duration_s, "end": U.END_NAMES[r.end],
                    "pain_before": _pain(r.pain_before), "pain_after": _pain(r.pain_after)})
    return out


def records_from_file(path):
    """Records from a .csv, .bin or summary .json file; SystemExit with one
    clear line when the file cannot be read as one of them."""
    p = Path(path)
    try:
        if p.suffix == ".csv":
            return records_from_csv(p)
        if p.suffix == ".json":
            return records_from_summary(p)
        return records_from_bin(p)
    except OSError as e:
        raise SystemExit("diary --file %s: %s" % (path, e.strerror)) from None
    except (KeyError, ValueError, TypeError) as e:
        raise SystemExit("diary --file %s: not a usage log (%s)" % (path, e)) from None


def records_from_device(link, page=64):
    """Every record of the device's log, oldest first, a page at a time."""
    out = []
    before = None
    while True:
        r = link.request("log %d" % page if before is None else "log %d %d" % (page, before))
        if not r.get("ok"):
            raise SystemExit("diary: the device refused log: %s" % r.get("msg"))
        recs = r["records"]
        if not recs:
            break
        out[:0] = recs
        before = recs[0]["seq"]
        if len(recs) < page or before == 0:
            break
    return out


def sessions(records):
    """Records grouped into sessions, oldest first."""
    out = []
    for r in sorted(records, key=lambda r: (r["start_s"], r["ch"])):
        s = out[-1] if out else None
        if s is None or r["start_s"] - s.start_s > SAME_SESSION_S:
            s = Session(r["start_s"])
            out.append(s)
        s.minutes = max(s.minutes, r["duration_s"] / 60)
        s.channels.append(r["ch"])
        s.ends.append(r["end"])
        if r["pain_before"] is not None:
            s.pain_before = r["pain_before"]
        if r["pain_after"] is not None:
            s.pain_after = r["pain_after"]
    return out


def day_of(start_s):
    return datetime.datetime.fromtimestamp(start_s, datetime.timezone.utc).date()


def days(all_sessions, plan):
    """[(date, sessions, minutes, mean pain before, mean pain after, plan met)]
    for every day from the first to the last with a wall-clock session."""
    dated = [s for s in all_sessions if s.start_s >= WALL_CLOCK_MIN_S]
    if not dated:
        return []
    first, last = day_of(dated[0].start_s), day_of(dated[-1].start_s)
    by_day = {}
    for s in dated:
        by_day.setdefault(day_of(s.start_s), []).append(s)
    rows = []
    d = first
    while d <= last:
        ss = by_day.get(d, [])
        before = [s.pain_before for s in ss if s.pain_before is not None]
        after = [s.pain_after for s in ss if s.pain_after is not None]
        rows.append((d, len(ss), round(sum(s.minutes for s in ss), 1),
                     round(sum(before) / len(before), 1) if before else None,
                     round(sum(after) / len(after), 1) if after else None, len(ss) >= plan))
        d += datetime.timedelta(days=1)
    return rows


def table(rows, undated, plan):
    from tools.bench.show import table as text_table
    body = text_table(("day", "sessions", "minutes", "pain before", "pain after",
                       "plan %d/day" % plan),
                      [(d.isoformat(), n, m, b, a, "met" if ok else "missed")
                       for d, n, m, b, a, ok in rows])
    met = sum(1 for r in rows if r[5])
    done = sum(r[1] for r in rows)
    lines = [body, "",
             "%d days, %d sessions, %.0f minutes; plan met on %d of %d days; adherence %d%% "
             "(%d of %d planned sessions)" % (
                 len(rows), done, sum(r[2] for r in rows), met, len(rows),
                 round(100 * min(done, plan * len(rows)) / (plan * len(rows))) if rows else 0,
                 done, plan * len(rows))]
    if undated:
        lines.append("%d session(s) before the clock was set are not in the days" % undated)
    return "\n".join(lines)


def draw(all_sessions, rows, plan, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    dated = [s for s in all_sessions if s.start_s >= WALL_CLOCK_MIN_S]
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(10, 10), constrained_layout=True)
    dates = [r[0] for r in rows]
    ax1.bar(dates, [r[1] for r in rows], color="#4a90d9", label="sessions")
    ax1.axhline(plan, color="#d0021b", linestyle="--", linewidth=1, label="plan")
    ax1.set_ylabel("sessions")
    ax1.set_ylim(0, max([plan] + [r[1] for r in rows]) + 1.5)
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1b = ax1.twinx()
    ax1b.plot(dates, [r[2] for r in rows], color="#333333", marker=".", label="minutes")
    ax1b.set_ylabel("minutes")
    ax1b.set_ylim(0, max([1] + [r[2] for r in rows]) * 1.6)
    ax1.set_title("Sessions and minutes per day")
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax1b.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, ncol=3)

    t = [datetime.datetime.fromtimestamp(s.start_s, datetime.timezone.utc) for s in dated]
    ax2.plot([x for x, s in zip(t, dated, strict=True) if s.pain_before is not None],
             [s.pain_before for s in dated if s.pain_before is not None], "o-", color="#d0021b",
             markersize=3, linewidth=0.8, label="before")
    ax2.plot([x for x, s in zip(t, dated, strict=True) if s.pain_after is not None],
             [s.pain_after for s in dated if s.pain_after is not None], "s-", color="#417505",
             markersize=3, linewidth=0.8, label="after")
    ax2.set_ylim(-0.5, 10.5)
    ax2.set_ylabel("pain 0-10")
    ax2.set_title("Pain before and after each session")
    ax2.legend(loc="upper right", fontsize=8, ncol=2)

    weeks = {}
    for r in rows:
        monday = r[0] - datetime.timedelta(days=r[0].weekday())
        w = weeks.setdefault(monday, [0, 0])
        w[0] += min(r[1], plan)
        w[1] += plan
    ws = sorted(weeks)
    ax3.bar(ws, [100 * weeks[w][0] / weeks[w][1] for w in ws], width=6, align="edge",
            color="#7ed321")
    ax3.axhline(100, color="#d0021b", linestyle="--", linewidth=1)
    ax3.set_ylim(0, 110)
    ax3.set_ylabel("% of planned sessions")
    ax3.set_title("Adherence per week (plan: %d sessions a day)" % plan)
    for ax in (ax1, ax2, ax3):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b"))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv, link_factory):
    p = argparse.ArgumentParser(prog="diary", description="Pain and adherence report.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--port", help="the device's serial port (default: the tool's --port)")
    src.add_argument("--file", help="a log CSV (log --csv), usage.bin or a simulator summary.json")
    p.add_argument("--plan", type=int, default=2, help="planned sessions a day (default 2)")
    p.add_argument("--png", default="diary.png", help="the report picture (default diary.png)")
    p.add_argument("--csv", help="also write the day table as CSV")
    opts = p.parse_args(argv)
    if opts.plan < 1 or opts.plan > 24:
        raise SystemExit("diary --plan %d: want 1-24 sessions a day" % opts.plan)
    if opts.file:
        records = records_from_file(opts.file)
    else:
        with link_factory(opts.port) as link:
            records = records_from_device(link)
    all_sessions = sessions(records)
    rows = days(all_sessions, opts.plan)
    undated = sum(1 for s in all_sessions if s.start_s < WALL_CLOCK_MIN_S)
    print(table(rows, undated, opts.plan))
    if not rows:
        raise SystemExit("diary: no session with a wall-clock time (set it with `clock`)")
    draw(all_sessions, rows, opts.plan, opts.png)
    if opts.csv:
        with open(opts.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(("day", "sessions", "minutes", "pain_before", "pain_after", "plan_met"))
            for d, n, m, b, a, ok in rows:
                w.writerow((d.isoformat(), n, m, "" if b is None else b, "" if a is None else a,
                            int(ok)))
    print("wrote %s" % opts.png)
    return 0
