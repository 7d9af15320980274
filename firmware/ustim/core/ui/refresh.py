# Refresh only what changed, a few bytes of it per control tick.
#
# The screens draw into `frame` (the driver's buffer: 8 pages of 128 bytes for
# a 128x64 SSD1306). `shown` is what the panel holds as far as we know. The
# frame is cut into chunks of CHUNK columns of one page. mark(), called after
# a drawing is complete, finds the chunks that differ from `shown`; step()
# sends runs of neighbouring changed chunks of one page, at most `budget` bytes
# of panel data per call, so one control tick never carries more than that on
# the bus (48 bytes at 400 kHz is about 1.3 ms) where a full frame takes 25 ms.
#
# The scan continues after the last chunk sent (round robin): a corner that
# changes all the time cannot keep the rest of the panel from being updated.
# Every comparison, copy and bus write goes through memoryviews and vectors
# made here once: mark() and step() allocate nothing on MicroPython.
from micropython import const

CHUNK = const(16)      # columns per chunk: 8 chunks in a 128-column page


class ChunkRefresh:
    def __init__(self, frame, width=128, pages=8):
        if len(frame) < width * pages or width % CHUNK:
            raise ValueError("frame smaller than width x pages, or width not in chunks")
        self.frame = frame
        self.shown = bytearray(width * pages)
        self.width = width
        self.pages = pages
        self.per_page = width // CHUNK
        fm = memoryview(frame)
        sm = memoryview(self.shown)
        self._fp = tuple(fm[p * width:(p + 1) * width] for p in range(pages))
        self._sp = tuple(sm[p * width:(p + 1) * width] for p in range(pages))
        n = pages * self.per_page
        self._fc = tuple(fm[i * CHUNK:(i + 1) * CHUNK] for i in range(n))
        self._sc = tuple(sm[i * CHUNK:(i + 1) * CHUNK] for i in range(n))
        # A run of k chunks is written as one vector: the data control byte, then
        # the k chunk views (I2C.writevto sends them as one transaction).
        self.vectors = tuple([b"\x40"] + [None] * k for k in range(self.per_page + 1))
        self._zero = bytes(width)
        self.dirty = bytearray(pages)   # bit k of dirty[p]: chunk k of page p to send
        self._next = 0                  # chunk index the next scan starts from
        self._clean = True              # no chunk marked: step() has nothing to look at
        self.sent_bytes = 0             # totals, for benchmarks and tests
        self.sent_frames = 0

    def clear(self):
        """The frame all dark, at memory speed (FrameBuffer.fill walks it bit
        row by bit row: 0.8 ms on an RP2040)."""
        z = self._zero
        for p in self._fp:
            p[:] = z

    def invalidate(self):
        """The panel's content is unknown (reset, power loss): resend every chunk."""
        full = (1 << self.per_page) - 1
        for p in range(self.pages):
            self.dirty[p] = full
        self._clean = False

    def mark(self):
        """After a complete drawing: note which chunks differ from the panel.
        Chunks already marked stay marked (the panel has not got them yet)."""
        fc = self._fc
        sc = self._sc
        per = self.per_page
        for p in range(self.pages):
            if self._fp[p] == self._sp[p]:
                continue
            bits = self.dirty[p]
            base = p * per
            for k in range(per):
                if fc[base + k] != sc[base + k]:
                    bits |= 1 << k
            if bits:
                self.dirty[p] = bits
                self._clean = False

    def pending(self):
        if self._clean:
            return False
        for bits in self.dirty:
            if bits:
                return True
        self._clean = True
        return False

    def step(self, send, budget=48):
        """Send changed chunks with send(page, first_column, columns, vector),
        runs of neighbours as one write, until `budget` bytes would be passed.
        Returns the bytes sent (0 when the panel already shows the frame: that
        costs one test)."""
        if self._clean:
            return 0
        per = self.per_page
        pages = self.pages
        dirty = self.dirty
        room = budget // CHUNK
        sent = 0
        p = self._next // per
        k = self._next - p * per
        turns = 0
        while room > 0 and turns <= pages:
            bits = dirty[p] >> k
            if not bits:
                p = p + 1 if p + 1 < pages else 0
                k = 0
                turns += 1
                continue
            while not bits & 1:
                bits >>= 1
                k += 1
            run = 1
            while run < room and k + run < per and bits >> run & 1:
                run += 1
            i = p * per + k
            vec = self.vectors[run]
            for j in range(run):
                vec[1 + j] = self._fc[i + j]
            send(p, k * CHUNK, run * CHUNK, vec)
            for j in range(run):
                self._sc[i + j][:] = self._fc[i + j]
            dirty[p] &= ~(((1 << run) - 1) << k)
            sent += run * CHUNK
            room -= run
            k += run
            if k >= per:
                p = p + 1 if p + 1 < pages else 0
                k = 0
        self._next = p * per + k
        if sent:
            self.sent_bytes += sent
            if not self.pending():
                self.sent_frames += 1
        else:
            self._clean = True
        return sent
