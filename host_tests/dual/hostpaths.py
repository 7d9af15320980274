# Makes the repository root (tools.*) and tools/shims (machine) importable in
# the MicroPython runner, which mounts the repository at /input. On CPython
# host_tests/conftest.py has done this already. Import it before machine.
import sys

if sys.implementation.name == "micropython":
    for _p in ("/input", "/input/tools/shims"):
        if _p not in sys.path:
            sys.path.append(_p)
