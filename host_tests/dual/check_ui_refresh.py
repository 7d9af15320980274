# Page refresh on both runtimes: only changed pages are sent, never more than
# max_pages per step, every page eventually (round robin), a frame drawn while
# another is half sent ends up whole, and step() allocates nothing.
import sys

from dualcheck import Lcg, eq, true
from ustim.core.ui.refresh import PageRefresh


class Panel:
    """What the display RAM holds: pages written through send()."""

    def __init__(self):
        self.ram = bytearray(1024)
        self.sends = []

    def send(self, page, data):
        self.sends.append(page)
        self.ram[page * 128:(page + 1) * 128] = data


def _drain(r, panel, max_pages, limit=100):
    steps = 0
    while r.step(panel.send, max_pages):
        steps += 1
        true(steps < limit, "refresh converges")
    return steps


def check_nothing_sent_when_nothing_changed():
    frame = bytearray(1024)
    r = PageRefresh(frame)
    p = Panel()
    eq(r.step(p.send, 8), 0, "blank frame equals blank panel")
    eq(r.dirty_mask(), 0, "clean")


def check_only_changed_pages_are_sent():
    frame = bytearray(1024)
    r = PageRefresh(frame)
    p = Panel()
    frame[3 * 128 + 5] = 0xFF
    frame[6 * 128 + 127] = 1
    eq(r.dirty_mask(), (1 << 3) | (1 << 6), "dirty pages")
    eq(r.step(p.send, 8), 2, "two pages")
    eq(sorted(p.sends), [3, 6], "just those")
    eq(bytes(p.ram), bytes(frame), "panel shows the frame")


def check_at_most_max_pages_per_step_and_all_arrive():
    for max_pages in (1, 2, 3, 8):
        frame = bytearray(1024)
        r = PageRefresh(frame)
        p = Panel()
        for i in range(1024):
            frame[i] = (i * 7 + 1) & 0xFF
        steps = 0
        while True:
            n = r.step(p.send, max_pages)
            true(n <= max_pages, "no more than %d pages", max_pages)
            if n == 0:
                break
            steps += 1
        eq(steps, (8 + max_pages - 1) // max_pages, "full frame split over steps")
        eq(bytes(p.ram), bytes(frame), "whole frame arrived")


def check_a_page_changing_every_step_cannot_starve_the_others():
    frame = bytearray(1024)
    r = PageRefresh(frame)
    p = Panel()
    for i in range(1024):
        frame[i] = 0x55
    for k in range(8):
        frame[0] = k + 1              # page 0 changes before every step
        r.step(p.send, 1)
    eq(sorted(set(p.sends)), list(range(8)), "every page sent within 8 steps")


def check_frames_drawn_mid_refresh_end_up_whole():
    rng = Lcg(99)
    frame = bytearray(1024)
    r = PageRefresh(frame)
    p = Panel()
    for _ in range(40):
        for _ in range(rng.between(0, 30)):
            frame[rng.below(1024)] = rng.below(256)
        r.step(p.send, rng.between(1, 3))
    _drain(r, p, 1)
    eq(bytes(p.ram), bytes(frame), "panel equals the newest frame")


def check_invalidate_resends_everything():
    frame = bytearray(1024)
    r = PageRefresh(frame)
    p = Panel()
    r.invalidate()
    eq(r.dirty_mask(), 0xFF, "all pages forced")
    eq(_drain(r, p, 2), 4, "four steps of two")
    eq(sorted(p.sends), list(range(8)), "each page once")


def check_step_allocates_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    frame = bytearray(1024)
    r = PageRefresh(frame)
    sink = bytearray(128)

    def send(page, data):
        sink[:] = data

    r.step(send, 1)
    before = gc.mem_alloc()
    for k in range(200):
        frame[(k * 131) % 1024] = k & 0xFF
        r.step(send, 1)
    r.dirty_mask()
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 200 steps")
