"""Render every screen sample to out/screens/<name>.png (`make screens`).

    python -m tools.dev.render_screens [--white] [--scale 4]

Draws each sample of tools/dev/ui_samples.py with the screens module onto a
128x64 MONO_VLSB frame buffer (CPython framebuf shim, proven equal to the real
framebuf by host_tests/test_screens_runtimes.py) and saves it scaled up, lit
pixels in OLED blue (or white) on black, with a one-pixel frame gap around it.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import framebuf  # noqa: E402  (the shim, found through the path set above)

from tools.dev import ui_samples  # noqa: E402
from ustim.core.ui import screens  # noqa: E402

OUT = ROOT / "out" / "screens"
OLED_BLUE = (64, 200, 255)
WHITE = (255, 255, 255)


def render(name):
    """The 1024-byte frame of one sample."""
    buf = bytearray(128 * 64 // 8)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    m, v = ui_samples.build(name)
    screens.draw(fb, m, v)
    return buf


def to_image(buf, scale=4, colour=OLED_BLUE, border=2):
    from PIL import Image

    w, h = 128, 64
    img = Image.new("RGB", (w + 2 * border, h + 2 * border), (0, 0, 0))
    px = img.load()
    for y in range(h):
        for x in range(w):
            if buf[(y >> 3) * w + x] >> (y & 7) & 1:
                px[x + border, y + border] = colour
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--white", action="store_true", help="white instead of OLED blue")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    colour = WHITE if args.white else OLED_BLUE
    for name in ui_samples.names():
        to_image(render(name), args.scale, colour).save(out / (name + ".png"))
    print("wrote %d screens to %s" % (len(ui_samples.names()), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
