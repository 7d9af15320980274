"""Command line of the simulated board.

    python -m tools.sim                          # default scenario: scenarios/knee.json
    python -m tools.sim --scenario FILE --out DIR
    python -m tools.sim --runtime micropython    # the firmware inside real MicroPython
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from tools.sim.scenario import ScenarioError, load  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "knee.json"
LIVE_SCENARIO = ROOT / "scenarios" / "idle.json"


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m tools.sim", description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default=None,
                   help="scenario JSON file (default scenarios/knee.json; with --pty or "
                        "--interactive scenarios/idle.json)")
    p.add_argument("--out", default=str(ROOT / "out" / "sim"), help="output folder")
    p.add_argument("--runtime", choices=("cpython", "micropython"), default="cpython",
                   help="where the firmware runs (default cpython: fastest; see docs/simulator.md)")
    p.add_argument("--console-off", action="store_true",
                   help="start with console control disabled, as a real device boots")
    p.add_argument("--pty", action="store_true",
                   help="serve the console on a pseudo-terminal (its path is the first line "
                        "printed) and run in real time")
    p.add_argument("--interactive", action="store_true",
                   help="real time in this terminal: keys are the buttons, the OLED is drawn")
    return p.parse_args(argv)


def out_problem(out):
    """Why the run could not write its files into `out`, or None. Creates the
    folder: the check is that a file can be made there, before the run."""
    if out.exists() and not out.is_dir():
        return "--out %s: is a file, not a folder" % out
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        return "--out %s: cannot write there (%s)" % (out, e.strerror or e)
    return None


def terminal_problem():
    """Why --interactive cannot draw here, or None."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return "--interactive needs a terminal (stdin and stdout); use --pty to drive it " \
               "from another program"
    from tools.sim.live import SCREEN_COLS, SCREEN_ROWS
    size = os.get_terminal_size(sys.stdout.fileno())
    if size.columns < SCREEN_COLS or size.lines < SCREEN_ROWS:
        return "--interactive needs a terminal of at least %d x %d characters (this one is " \
               "%d x %d)" % (SCREEN_COLS, SCREEN_ROWS, size.columns, size.lines)
    return None


def main(argv):
    args = parse(argv)
    if args.scenario is None:
        live = args.pty or args.interactive
        args.scenario = str(LIVE_SCENARIO if live else DEFAULT_SCENARIO)
    try:
        scenario = load(args.scenario)
    except ScenarioError as e:
        print("scenario error: %s" % e, file=sys.stderr)
        return 2
    problem = out_problem(Path(args.out))
    if problem is None and args.interactive:
        problem = terminal_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from tools.sim.out.stats import channel_stats
    from tools.sim.out.write import write_all
    cc = False if args.console_off else None
    if args.runtime == "micropython":
        if args.pty or args.interactive:
            print("--pty and --interactive run on the cpython runtime", file=sys.stderr)
            return 2
        from tools.sim.mpy_runtime import MpySimulation
        sim = MpySimulation(scenario, console_control=cc)
    else:
        from tools.sim.run import Simulation
        sim = Simulation(scenario, console_control=cc)
    if args.pty or args.interactive:
        from tools.sim.live import run_live
        rec = run_live(sim, pty=args.pty, interactive=args.interactive)
    else:
        rec = sim.run()
    files = write_all(rec, args.out)
    s = rec.summary
    print("%s on %s (%s): %.0f s simulated in %.1f s (%sx real time), %d boot(s)" % (
        s["scenario"], s["board"], s["runtime"], s["duration_s"], s["wall_s"], s["speed_x"],
        s["boots"]))
    # The same counts as report.md's table (tools/sim/out/report.py says
    # what each one is).
    print("  over the whole run as in report.md (probe pulses included); "
          "last session: the firmware's dose")
    for c, r in zip(s["channels"], channel_stats(rec), strict=True):
        print("  ch%d %-5s %6d pulses  peak %5.1f mA  charge +%.1f/-%.1f uC  faults %d  "
              "last session %d pulses  now %s" % (
                  c["channel"], c["program"] or "-", r["pulses"], r["peak_ua"] / 1000,
                  r["pos_charge_nc"] / 1000, r["neg_charge_nc"] / 1000, r["faults"],
                  c["pulses"], c["state"]))
    print("  events: %d, OLED frames: %d, console lines: %d" % (
        len(rec.events), len(rec.frames), len(rec.console)))
    top = sorted(str(k) for k in files if "/" not in str(k))
    frames = sum(1 for k in files if str(k).startswith("oled/"))
    print("files in %s: %s, oled/ (%d frames)" % (args.out, ", ".join(top), frames))
    print("open %s" % (Path(args.out) / "report.md"))
    return 0
