"""Put the firmware on a board with mpremote (docs/deploy.md).

    python -m tools.dev.deploy --board pico --port /dev/ttyACM0
    python -m tools.dev.deploy --board esp32_devkitc --dry-run   # print the commands only
    python -m tools.dev.deploy --board path/to/myboard.py --dry-run

The board file (a name in boards/ or a path) is checked first with the
firmware's own ustim.board.problems(): a board with problems is refused,
listing each, before anything is compiled or copied (exit 2).
Compiles firmware/ with mpy-cross for the board's architecture (tools/dev/build.py),
stages the .mpy files in build/deploy/<board>/, then runs, in order:
install ssd1306 with mip, remove the old /ustim, copy the new one, copy the
board file as board.py and main.py (both as source, so they can be read and
edited on the device), and reset. --dry-run compiles and prints the exact
commands without touching a device. The board must be in a maintenance boot
(MODE held at power-on): the firmware ignores Ctrl-C, so mpremote cannot stop it.
"""

import argparse
import importlib.util
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tools.dev import build

ROOT = build.ROOT
for _p in (ROOT / "firmware", ROOT / "tools" / "shims"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from ustim import board as board_check  # noqa: E402

# PLATFORM in a board file -> build target name (tools/dev/build.py TARGETS)
TARGET_OF = {"rp2": "rp2", "esp32": "esp32"}
EXIT_BAD_BOARD = 2


def boards():
    return sorted(p.stem for p in (ROOT / "boards").glob("*.py"))


def board_path(board):
    """The board file --board names: one of boards/ or a path to a .py file."""
    path = Path(board) if board.endswith(".py") else ROOT / "boards" / (board + ".py")
    if not path.is_file():
        raise SystemExit("unknown board %r; boards: %s (or a path to a board file)" % (
            board, ", ".join(boards())))
    return path.resolve()


def load_board(path):
    """The board file as a module, the way the device imports board.py."""
    spec = importlib.util.spec_from_file_location("board_" + path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception as e:       # noqa: BLE001 - any error in the file is a problem with it
        raise SystemExit("board file %s does not run: %s: %s" % (
            path, type(e).__name__, e)) from None
    return mod


def stage(board):
    """Compile for the board and lay out exactly what goes on it. Returns the
    staging directory (relative to the repository)."""
    path = board_path(board)
    name = path.stem
    target = TARGET_OF[load_board(path).PLATFORM]
    _sizes, failures = build.compile_all({target: build.TARGETS[target]})
    if failures:
        raise SystemExit("mpy-cross failed:\n" + "\n".join(failures))
    out = ROOT / "build" / "deploy" / name
    if out.exists():
        shutil.rmtree(out)
    for _src, rel in build.sources():
        if rel.parts[0] != "ustim":
            continue   # main.py and the board file go as source
        dest = out / rel.with_suffix(".mpy")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(build.BUILD / target / rel.with_suffix(".mpy"), dest)
    shutil.copyfile(path, out / "board.py")
    main = ROOT / "firmware" / "main.py"
    if main.exists():
        shutil.copyfile(main, out / "main.py")
    return out.relative_to(ROOT)


def commands(staged, port):
    """[(argv, may_fail)] for mpremote, run from the repository root."""
    conn = ["mpremote", "connect", port]
    cmds = [
        (conn + ["mip", "install", "ssd1306"], False),
        # Fails on a fresh board with nothing to remove; a stale .py left by a
        # mip install would otherwise shadow the new .mpy of the same name.
        (conn + ["rm", "-r", ":ustim"], True),
        (conn + ["cp", "-r", (staged / "ustim").as_posix(), ":"], False),
        (conn + ["cp", (staged / "board.py").as_posix(), ":board.py"], False),
    ]
    if (ROOT / staged / "main.py").exists():
        cmds.append((conn + ["cp", (staged / "main.py").as_posix(), ":main.py"], False))
    cmds.append((conn + ["reset"], False))
    return cmds


# The firmware turns Ctrl-C off, so mpremote cannot stop it: only a board in a
# maintenance boot (docs/deploy.md) takes a deploy.
MAINTENANCE = ("first power the board on holding MODE (maintenance boot: outputs low, "
               "REPL free); a running firmware ignores Ctrl-C")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True,
                    help="one of: %s, or a path to a board file" % ", ".join(boards()))
    ap.add_argument("--port", default="auto", help="serial port, or auto (mpremote's default)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, touch no device")
    args = ap.parse_args(argv)
    path = board_path(args.board)
    found = board_check.problems(load_board(path))
    if found:
        print("deploy refused: board file %s has %d problem%s (nothing compiled or copied):"
              % (path, len(found), "" if len(found) == 1 else "s"), file=sys.stderr)
        for problem in found:
            print("  " + problem, file=sys.stderr)
        return EXIT_BAD_BOARD
    staged = stage(args.board)
    files = sorted(p for p in (ROOT / staged).rglob("*") if p.is_file())
    print("# %s: %d files staged in %s" % (args.board, len(files), staged.as_posix()))
    print("# %s" % MAINTENANCE)
    mpremote = Path(sys.executable).parent / "mpremote"
    for argv_, may_fail in commands(staged, args.port):
        line = shlex.join(argv_)
        print(line + ("  # may fail: nothing to remove" if may_fail else ""))
        if args.dry_run:
            continue
        exe = str(mpremote) if mpremote.exists() else argv_[0]
        proc = subprocess.run([exe] + argv_[1:], cwd=ROOT)
        if proc.returncode != 0 and not may_fail:
            print("deploy stopped: %s exited %d" % (argv_[0], proc.returncode))
            return proc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
