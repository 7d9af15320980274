"""A scripted month of knee sessions for the pain diary (`make diary`).

    python -m tools.dev.diary_month [--days 30] [--scenario FILE] [--out DIR] [--png FILE]

Writes the scenario (default scenarios/long/diary-month.json), runs it on the
simulated board and draws the diary from the usage log the firmware wrote
(tools/bench/diary.py): DIR/summary.json, DIR/diary.txt and the PNG (default
docs/images/diary-month.png).

The person of the script: two sessions a day planned, some missed (a whole
day now and then, more evenings than mornings), pain before a session easing
from about 7 to 4 over the month and some 2 points lower after it, an answer
skipped now and then. Everything goes through the device as a person uses it:
the diary is switched on and the skin reminder off in the settings menu with
the buttons, each session is started from the menu (Start, then the pain
score with UP/DOWN and MODE), and the pain after is answered on the screen the
device shows when the session ends. The console only sets the wall clock
before each session (`clock`, as the bench tool does), the program and the
amplitude. Sessions are 5 minutes of acupuncture-like TENS (2 Hz), so the
month runs in about a minute instead of 30 hours of 30-minute sessions.
"""

import argparse
import datetime
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))
SCENARIO = ROOT / "scenarios" / "long" / "diary-month.json"
PNG = ROOT / "docs" / "images" / "diary-month.png"
OUT = ROOT / "out" / "diary"
FIRST_DAY = datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc)   # a Monday
SESSION_MIN = 5
SLOT_S = SESSION_MIN * 60 + 40     # one session and its questions in the script
GAP = 0.4                          # seconds between presses


class Script:
    def __init__(self):
        self.events = []
        self.t = 3.0

    def at(self, dt, **ev):
        self.t += dt
        ev["t"] = round(self.t, 2)
        self.events.append(ev)

    def keys(self, *names):
        for name in names:
            self.at(GAP, press=name)

    def hold(self, name="mode"):
        self.at(GAP, hold=name, s=1.5)
        self.t += 1.5

    def score(self, value):
        # The pain screen starts at 5: UP or DOWN to the score, MODE saves it;
        # None skips the question (MODE held).
        if value is None:
            self.hold()
            return
        step = "up" if value > 5 else "down"
        self.keys(*([step] * abs(value - 5)))
        self.keys("mode")


def setup(s):
    # Menu -> Settings; Diary on (line 9), Skin care off (line 10); back home;
    # the focus on both channels.
    s.hold()
    s.keys("down", "down", "down", "down", "mode")
    s.keys(*(["down"] * 8), "mode", "up", "mode")
    s.keys("down", "mode", "down", "down", "mode")
    s.hold()
    s.hold()
    s.keys("mode", "mode")
    s.at(GAP, console="select 1 acu")
    s.at(GAP, console="select 2 acu")
    s.at(GAP, console="timer %d" % SESSION_MIN)


def plan(days, seed=18):
    """[(day, hour, pain before, pain after, amplitude mA)] of the sessions done."""
    rnd = random.Random(seed)
    out = []
    for d in range(days):
        if rnd.random() < 0.07:
            continue                    # a day off
        for hour in (8, 19):
            if hour == 19 and rnd.random() < 0.15:
                continue                # an evening missed
            progress = d / max(1, days - 1)
            before = max(0, min(10, round(7 - 3 * progress + rnd.gauss(0, 0.8))))
            after = max(0, min(10, before - 2 - round(rnd.random())))
            if rnd.random() < 0.08:
                before = None
            if rnd.random() < 0.08:
                after = None
            out.append((d, hour, before, after, 18 + rnd.randint(0, 4)))
    return out


def scenario(days=30, seed=18):
    s = Script()
    setup(s)
    sessions = plan(days, seed)
    for d, hour, before, after, ma in sessions:
        start = s.t + 5
        wall = FIRST_DAY + datetime.timedelta(days=d, hours=hour)
        s.t = start
        s.at(0, console="clock %d" % wall.timestamp())
        s.at(GAP, console="amp 1 %d" % ma)
        s.at(GAP, console="amp 2 %d" % ma)
        s.hold()                        # the menu, on Start
        s.keys("mode")                  # Start: the pain screen first
        s.score(before)                 # ... and its answer starts both channels
        s.t = start + SESSION_MIN * 60 + 20
        s.score(after)                  # the screen the end of the session brings
        s.t = start + SLOT_S
    return {
        "name": "diary month",
        "description": "A month of knee sessions for the pain diary (tools/dev/diary_month.py): "
                       "%d sessions over %d days, two a day planned, started from the "
                       "device's menu with a pain score before and after each." % (
                           len(sessions), days),
        "board": "pico",
        "duration_s": int(s.t + 10),
        "battery_mv": 4000,
        "events": s.events,
    }


def run(sc, out):
    from tools.sim.run import Simulation
    rec = Simulation(sc).run()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    path.write_text(json.dumps(rec.summary, indent=1) + "\n")
    return rec, path


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--scenario", default=str(SCENARIO))
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--png", default=str(PNG))
    args = ap.parse_args(argv)
    if not 1 <= args.days <= 40:
        raise SystemExit("diary_month --days %d: want 1-40 (the simulator runs at most 8 h)"
                         % args.days)
    sc = scenario(args.days)
    Path(args.scenario).parent.mkdir(parents=True, exist_ok=True)
    Path(args.scenario).write_text(json.dumps(sc, indent=1) + "\n")
    rec, summary = run(sc, Path(args.out))
    from tools.bench import diary
    code = diary.main(["--file", str(summary), "--png", args.png,
                       "--csv", str(Path(args.out) / "diary.csv")], None)
    print("%d records in the usage log; simulated %.0f s in %.0f s" % (
        len(rec.summary["usage_log"]), rec.summary["duration_s"], rec.summary["wall_s"]))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
