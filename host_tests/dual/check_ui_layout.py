# Every screen sample fits 128x64 with nothing clipped, on both runtimes: the
# screens draw onto a recording frame buffer that checks every call's extent.
# On MicroPython the home screen is also drawn with the real framebuf to show
# that a redraw while stimulating allocates nothing.
import sys

import hostpaths  # noqa: F401  (makes tools.* importable on MicroPython)
from dualcheck import eq, true
from tools.dev import ui_samples
from ustim.core.ui import screens

W = 128
H = 64


class CheckingFB:
    """FrameBuffer stand-in that records drawing outside the screen."""

    def __init__(self):
        self.bad = []
        self.texts = 0

    def _box(self, what, x, y, w, h):
        if x < 0 or y < 0 or x + w > W or y + h > H or w < 0 or h < 0:
            self.bad.append((what, x, y, w, h))

    def fill(self, c):
        pass

    def text(self, s, x, y, c=1):
        self.texts += 1
        n = len(s.encode()) if isinstance(s, str) else len(s)
        if x % 8 or y % 8:
            self.bad.append(("text off grid", s, x, y))
        self._box("text %r" % s, x, y, 8 * n, 8)

    def fill_rect(self, x, y, w, h, c):
        self._box("fill_rect", x, y, w, h)

    def rect(self, x, y, w, h, c, f=False):
        self._box("rect", x, y, w, h)

    def hline(self, x, y, w, c):
        self._box("hline", x, y, w, 1)

    def vline(self, x, y, h, c):
        self._box("vline", x, y, 1, h)

    def pixel(self, x, y, c=None):
        self._box("pixel", x, y, 1, 1)

    def line(self, x1, y1, x2, y2, c):
        self._box("line", min(x1, x2), min(y1, y2), abs(x2 - x1) + 1, abs(y2 - y1) + 1)


def check_every_screen_fits_the_display():
    for name in ui_samples.names():
        m, v = ui_samples.build(name)
        fb = CheckingFB()
        screens.draw(fb, m, v)
        eq(fb.bad, [], "clipped on %s", name)
        true(fb.texts > 0, "%s draws text", name)


def check_numbers_draw_right_aligned_digits():
    calls = []

    class Rec:
        def text(self, s, x, y, c=1):
            calls.append((s, x // 8))

    screens.num(Rec(), 305, 0, 0, 4)
    eq(calls, [("5", 3), ("0", 2), ("3", 1)], "305 in 4 columns")
    del calls[:]
    screens.num(Rec(), 7, 3, 0, 2, True)
    eq(calls, [("7", 4), ("0", 3)], "zero padded")
    del calls[:]
    screens.amp_ma(Rec(), 24560, 0, 0)
    eq("".join(s for s, _ in sorted(calls, key=lambda t: t[1])), "24.5mA", "mA text")


def check_home_redraw_allocates_nothing_on_micropython():
    if sys.implementation.name != "micropython":
        return
    import gc

    import framebuf
    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    m, v = ui_samples.build("home_ramping")
    screens.draw(fb, m, v)
    before = gc.mem_alloc()
    for i in range(20):
        v.level_ua[0] = 1000 * i
        v.remaining_s = 1000 - i
        screens.draw(fb, m, v)
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 20 home redraws")
