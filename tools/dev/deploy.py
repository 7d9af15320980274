"""Put the firmware on a board with mpremote (docs/deploy.md).

    python -m tools.dev.deploy --board pico --port /dev/ttyACM0
    python -m tools.dev.deploy --board esp32_devkitc --dry-run   # print the commands only

Compiles firmware/ with mpy-cross for the board's architecture (tools/dev/build.py),
stages the .mpy files in build/deploy/<board>/, then runs, in order:
install ssd1306 with mip, remove the old /ustim, copy the new one, copy the
board file as board.py and main.py (both as source, so they can be read and
edited on the device), and reset. --dry-run compiles and prints the exact
commands without touching a device.
"""

import argparse
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tools.dev import build

ROOT = build.ROOT
# PLATFORM in a board file -> build target name (tools/dev/build.py TARGETS)
TARGET_OF = {"rp2": "rp2", "esp32": "esp32"}


def boards():
    return sorted(p.stem for p in (ROOT / "boards").glob("*.py"))


def board_platform(name):
    path = ROOT / "boards" / (name + ".py")
    if not path.exists():
        raise SystemExit("unknown board %r; boards: %s" % (name, ", ".join(boards())))
    return runpy.run_path(str(path))["PLATFORM"]


def stage(name):
    """Compile for the board and lay out exactly what goes on it. Returns the
    staging directory (relative to the repository)."""
    target = TARGET_OF[board_platform(name)]
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
    shutil.copyfile(ROOT / "boards" / (name + ".py"), out / "board.py")
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True, help="one of: " + ", ".join(boards()))
    ap.add_argument("--port", default="auto", help="serial port, or auto (mpremote's default)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, touch no device")
    args = ap.parse_args(argv)
    staged = stage(args.board)
    files = sorted(p for p in (ROOT / staged).rglob("*") if p.is_file())
    print("# %s: %d files staged in %s" % (args.board, len(files), staged.as_posix()))
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
