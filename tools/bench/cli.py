"""Command line of the bench tool (see tools/bench/__init__.py).

Exit codes: 0 done; 1 the device refused (ok: false), a self-test failed or a
capture failed verification; 2 usage, port or timeout problems.
"""

import argparse
import json
import os
import sys
import time

from tools.bench import show

EXIT_REFUSED = 1
EXIT_TROUBLE = 2
LOG_ALL = 64      # the most records one `log` reply carries
# monitor sends a line at least this often, whatever its interval: the device
# stops what the console started when no line has come for its lease (1-60 s,
# 5 s by default; docs/protocol.md).
KEEPALIVE_S = 0.5


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description="Drive a stimulator's bench console over serial, or verify a capture.",
        epilog="commands: any console command (status, programs, select 1 tens, amp 1 12.5, "
               "start 1, stop all, ...; see docs/protocol.md), and: "
               "monitor [--interval S] [--count N] [--csv FILE]; log [n] [--csv FILE]; "
               "diary [--port P | --file F] [--plan N] [--png FILE] (diary --help); "
               "verify CAPTURE.vcd --program ID [...] (verify --help); "
               "characterise --load OHM [--png FILE] [--sim BOARD] (characterise --help)")
    p.add_argument("--port", default=os.environ.get("USTIM_PORT"),
                   help="serial port (default: $USTIM_PORT)")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    p.add_argument("--json", action="store_true", help="print raw JSON replies")
    p.add_argument("command", nargs=argparse.REMAINDER)
    return p


def _open(args):
    from tools.bench.link import Link
    if not args.port:
        raise SystemExit("no --port given (or set USTIM_PORT)")
    return Link(args.port, args.baud, args.timeout)


def _print_reply(args, line, r):
    if args.json:
        print(json.dumps(r))
    elif r.get("ok"):
        print(show.reply(line, r))
    else:
        print(show.reply(line, r), file=sys.stderr)


def _one(args, words):
    if words[0].lower() == "select" and len(words) == 3:
        # Program ids are lower case on the device; accept them in any case,
        # as the device accepts command names.
        words = words[:2] + [words[2].lower()]
    line = " ".join(words)
    with _open(args) as link:
        r = link.request(line)
    _print_reply(args, line, r)
    if not r.get("ok"):
        return EXIT_REFUSED
    if words[0].lower() == "selftest" and not r.get("passed", True):
        return EXIT_REFUSED
    return 0


def _monitor(args, rest):
    p = argparse.ArgumentParser(prog="monitor")
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--count", type=int, default=0, help="stop after N refreshes (0: Ctrl-C)")
    p.add_argument("--csv", metavar="FILE",
                   help="also write each refresh as rows of FILE: time, and per channel "
                        "state, levels (uA) and impedance")
    opts = p.parse_args(rest)
    clear = sys.stdout.isatty() and not args.json
    n = 0
    series = None
    try:
        if opts.csv:
            try:
                series = show.StatusCsv(opts.csv)
            except OSError as e:
                raise SystemExit("monitor --csv %s: %s" % (opts.csv, e.strerror)) from None
        with _open(args) as link:
            t0 = time.monotonic()
            while opts.count <= 0 or n < opts.count:
                if n:
                    _wait(link, opts.interval)
                r = link.request("status")
                n += 1
                if series is not None and r.get("ok"):
                    series.add(time.monotonic() - t0, r)
                if clear:
                    sys.stdout.write("\x1b[H\x1b[2J")
                if args.json:
                    print(json.dumps(r))
                else:
                    print(time.strftime("%H:%M:%S"), "refresh", n)
                    print(show.reply("status", r))
                sys.stdout.flush()
                if not r.get("ok"):
                    return EXIT_REFUSED
    except KeyboardInterrupt:
        pass
    finally:
        if series is not None:
            series.close()
    return 0


def _wait(link, seconds):
    """Sleep, keeping the device's console lease with a short request."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, KEEPALIVE_S))
        if end - time.monotonic() > 0:
            link.request("version")


def _log(args, rest):
    p = argparse.ArgumentParser(prog="log")
    p.add_argument("n", nargs="?", type=int, default=None)
    p.add_argument("--csv", metavar="FILE", help="write the records as CSV")
    p.add_argument("--all", action="store_true",
                   help="every record of the log, fetched %d at a time" % LOG_ALL)
    opts = p.parse_args(rest)
    n = opts.n if opts.n is not None else (LOG_ALL if opts.csv else 10)
    line = "log %d" % n
    with _open(args) as link:
        if opts.all:
            from tools.bench.diary import records_from_device
            line = "log --all"
            r = {"ok": True, "records": records_from_device(link, LOG_ALL)}
        else:
            r = link.request(line)
    if not r.get("ok") or not opts.csv:
        _print_reply(args, line, r)
        return 0 if r.get("ok") else EXIT_REFUSED
    show.write_log_csv(r["records"], opts.csv)
    if args.json:
        print(json.dumps(r))
    else:
        print("wrote %d records to %s" % (len(r["records"]), opts.csv))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    words = args.command
    if not words:
        _parser().print_help()
        return EXIT_TROUBLE
    from tools.bench.link import LinkError
    try:
        if words[0] == "verify":
            from tools.bench.verify import main as verify_main
            return verify_main(words[1:], as_json=args.json)
        if words[0] == "monitor":
            return _monitor(args, words[1:])
        if words[0] == "log":
            return _log(args, words[1:])
        if words[0] == "diary":
            from tools.bench import diary

            def link_for(port):
                if port:
                    args.port = port
                return _open(args)
            return diary.main(words[1:], link_for)
        if words[0] == "characterise":
            from tools.bench.characterise import main as characterise_main
            return characterise_main(words[1:], lambda: _open(args), as_json=args.json)
        return _one(args, words)
    except LinkError as e:
        print("bench: %s" % e, file=sys.stderr)
        return EXIT_TROUBLE
    except SystemExit as e:
        if isinstance(e.code, str):
            print("bench: %s" % e.code, file=sys.stderr)
            return EXIT_TROUBLE
        return e.code if isinstance(e.code, int) else EXIT_TROUBLE
