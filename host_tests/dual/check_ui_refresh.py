# Chunk refresh on both runtimes: only changed chunks are sent, never more than
# the byte budget per step, neighbours as one run, every chunk eventually
# (round robin), a frame drawn while another is half sent ends up whole once
# marked, clear() darkens the frame, and mark() and step() allocate nothing.
import sys

from dualcheck import Lcg, eq, true
from ustim.core.ui.refresh import CHUNK, ChunkRefresh


class Panel:
    """What the display RAM holds: runs written through send()."""

    def __init__(self):
        self.ram = bytearray(1024)
        self.sends = []       # (page, first column, columns)

    def send(self, page, col, cols, vector):
        eq(vector[0], b"\x40", "data control byte first")
        eq(len(vector), 1 + cols // CHUNK, "one view per chunk")
        self.sends.append((page, col, cols))
        at = page * 128 + col
        for part in vector[1:]:
            self.ram[at:at + len(part)] = part
            at += len(part)


def _drain(r, panel, budget, limit=200):
    steps = 0
    while r.step(panel.send, budget):
        steps += 1
        true(steps < limit, "refresh converges")
    return steps


def check_nothing_sent_when_nothing_changed():
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    r.mark()
    eq(r.step(p.send, 48), 0, "blank frame equals blank panel")
    true(not r.pending(), "clean")


def check_only_changed_chunks_are_sent_and_only_once_marked():
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    frame[3 * 128 + 5] = 0xFF          # page 3, chunk 0
    frame[6 * 128 + 127] = 1           # page 6, chunk 7
    eq(r.step(p.send, 1024), 0, "a drawing not marked yet is not sent")
    r.mark()
    eq(list(r.dirty), [0, 0, 0, 1, 0, 0, 1 << 7, 0], "dirty chunks")
    eq(r.step(p.send, 1024), 2 * CHUNK, "two chunks")
    eq(sorted(p.sends), [(3, 0, CHUNK), (6, 112, CHUNK)], "just those")
    eq(bytes(p.ram), bytes(frame), "panel shows the frame")


def check_neighbours_go_as_one_run():
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    for x in range(20, 60):            # chunks 1, 2, 3 of page 2
        frame[2 * 128 + x] = 0x81
    r.mark()
    eq(r.step(p.send, 1024), 3 * CHUNK, "three chunks")
    eq(p.sends, [(2, 16, 3 * CHUNK)], "one run")


def check_at_most_budget_per_step_and_all_arrive():
    for budget in (16, 48, 100, 1024):
        frame = bytearray(1024)
        r = ChunkRefresh(frame)
        p = Panel()
        for i in range(1024):
            frame[i] = (i * 7 + 1) & 0xFF
        r.mark()
        steps = 0
        while True:
            n = r.step(p.send, budget)
            true(n <= budget, "no more than %d bytes", budget)
            if n == 0:
                break
            steps += 1
        per_step = budget // CHUNK * CHUNK
        # Runs end at page ends: a budget above one page takes a page a run.
        want = -(-1024 // per_step) if per_step <= 128 else 8
        true(steps <= want + 8, "full frame split over %d steps (budget %d)", steps, budget)
        eq(bytes(p.ram), bytes(frame), "whole frame arrived (budget %d)" % budget)


def check_a_chunk_changing_every_step_cannot_starve_the_others():
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    for i in range(1024):
        frame[i] = 0x55
    r.mark()
    for k in range(64):
        frame[0] = k + 1              # chunk 0 changes before every step
        r.mark()
        r.step(p.send, CHUNK)
    sent = set((pg, col) for pg, col, _ in p.sends)
    eq(len(sent), 64, "every chunk sent within 64 steps")


def check_frames_drawn_mid_refresh_end_up_whole():
    rng = Lcg(99)
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    for _ in range(40):
        for _ in range(rng.between(0, 30)):
            frame[rng.below(1024)] = rng.below(256)
        r.mark()
        r.step(p.send, rng.between(1, 4) * CHUNK)
    _drain(r, p, 48)
    eq(bytes(p.ram), bytes(frame), "panel equals the newest frame")


def check_invalidate_resends_everything_and_clear_darkens():
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    p = Panel()
    r.invalidate()
    eq(_drain(r, p, 128), 8, "a page per step")
    eq(sorted(pg for pg, _, _ in p.sends), list(range(8)), "each page once")
    for i in range(1024):
        frame[i] = 0xFF
    r.clear()
    eq(bytes(frame), bytes(1024), "cleared")


def check_mark_and_step_allocate_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    frame = bytearray(1024)
    r = ChunkRefresh(frame)
    sink = bytearray(128)

    def send(page, col, cols, vector):
        sink[0] = vector[1][0]

    r.mark()
    r.step(send, 48)
    before = gc.mem_alloc()
    for k in range(200):
        frame[(k * 131) % 1024] = k & 0xFF
        r.mark()
        r.step(send, 48)
    r.clear()
    r.pending()
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 200 marks and steps")
