# Refresh only what changed, a few pages per tick.
#
# The screens draw into `frame` (the driver's buffer: 8 pages of 128 bytes for
# a 128x64 SSD1306). `shown` is what the panel holds as far as we know. step()
# compares the two page by page and sends at most max_pages changed pages per
# call, so one control tick never carries a full frame (about 25 ms at 400 kHz)
# but at most max_pages x ~3.3 ms. A frame drawn while an older one is half sent
# is no problem: pages are compared with the newest frame when they are sent.
#
# The scan starts after the last page sent (round robin): a page that changes
# every tick cannot keep the others from ever being sent. Comparison and copy
# use memoryviews made once here; step() allocates nothing on MicroPython.


class PageRefresh:
    def __init__(self, frame, width=128, pages=8):
        if len(frame) < width * pages:
            raise ValueError("frame smaller than width x pages")
        self.frame = frame
        self.shown = bytearray(width * pages)
        self.pages = pages
        fm = memoryview(frame)
        sm = memoryview(self.shown)
        self._f = tuple(fm[p * width:(p + 1) * width] for p in range(pages))
        self._s = tuple(sm[p * width:(p + 1) * width] for p in range(pages))
        self._force = 0        # pages to send even if equal (panel content unknown)
        self._next = 0
        self.sent_pages = 0    # totals, for benchmarks and tests
        self.sent_frames = 0

    def invalidate(self):
        """The panel's content is unknown (reset, power loss): resend every page."""
        self._force = (1 << self.pages) - 1

    def dirty_mask(self):
        mask = self._force
        for p in range(self.pages):
            if self._f[p] != self._s[p]:
                mask |= 1 << p
        return mask

    def step(self, send, max_pages=1):
        """Send up to max_pages changed pages with send(page, data); returns how
        many were sent (0 when the panel already shows the frame)."""
        n = 0
        pages = self.pages
        p = self._next
        for _ in range(pages):
            if n >= max_pages:
                break
            bit = 1 << p
            if self._force & bit or self._f[p] != self._s[p]:
                send(p, self._f[p])
                self._s[p][:] = self._f[p]
                self._force &= ~bit
                n += 1
                self._next = (p + 1) % pages
            p = (p + 1) % pages
        if n:
            self.sent_pages += n
            if self.dirty_mask() == 0:
                self.sent_frames += 1
        return n
