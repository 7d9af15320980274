# oled/NNNN.png and oled.gif from the recorded SSD1306 frames.
import re

import numpy as np
from PIL import Image

from tools.sim.out.recording import OLED_H, OLED_W

SCALE = 4
# Lit pixels in the blue-white of a common SSD1306 module, on black.
LIT = (64, 200, 255)
DARK = (0, 0, 0)
# GIF delays are in 10 ms steps and browsers replace delays under 20 ms with
# 100 ms, so shorter screens are shown for 20 ms; a long-held screen is cut
# to 2 s so the animation does not seem to hang.
MIN_FRAME_MS = 20
MAX_FRAME_MS = 2000


def frame_bits(fb):
    """The 64x128 array of 0/1 pixels of a MONO_VLSB frame: byte page*128 + x,
    bit b is row page*8 + b."""
    pages = np.frombuffer(bytes(fb), dtype=np.uint8).reshape(OLED_H // 8, 1, OLED_W)
    return np.unpackbits(pages, axis=1, bitorder="little").reshape(OLED_H, OLED_W)


def frame_image(fb, scale=SCALE):
    """A palette image, each pixel scale x scale with a one-pixel dark seam on
    its right and bottom edge (as a real panel shows its pixel grid)."""
    bits = frame_bits(fb)
    big = np.kron(bits, np.ones((scale, scale), dtype=np.uint8))
    if scale >= 3:
        big[scale - 1::scale, :] = 0
        big[:, scale - 1::scale] = 0
    h, w = big.shape
    img = Image.frombytes("P", (w, h), big.tobytes())
    img.putpalette(list(DARK) + list(LIT))
    return img


def frame_durations_ms(rec):
    """How long each frame was on screen, clamped to the GIF's limits; the last
    one lasts until the end of the run."""
    times = [t for t, _name, _fb in rec.frames]
    out = []
    for i, t in enumerate(times):
        nxt = times[i + 1] if i + 1 < len(times) else max(rec.duration_ms, t)
        out.append(min(MAX_FRAME_MS, max(MIN_FRAME_MS, nxt - t)))
    return out


def frame_name(i):
    return "%04d.png" % i


_FRAME_FILE = re.compile(r"\d{4,}\.png")


def write_oled(rec, oled_dir, gif_path):
    """Write one PNG per frame into oled_dir and the animation to gif_path.
    Returns the PNG file names. No frames: no GIF (there is nothing to show).
    Frames and a GIF left by an earlier run into the same folder are removed
    first, so every file there belongs to this run."""
    oled_dir.mkdir(parents=True, exist_ok=True)
    for old in oled_dir.iterdir():
        if _FRAME_FILE.fullmatch(old.name):
            old.unlink()
    gif_path.unlink(missing_ok=True)
    names = []
    images = []
    for i, (_t, _screen, fb) in enumerate(rec.frames):
        img = frame_image(fb)
        name = frame_name(i)
        img.save(oled_dir / name, optimize=True)
        names.append(name)
        images.append(img)
    if images:
        # Pillow folds a frame identical to the one before into it (adding the
        # durations): the GIF then holds one frame per distinct screen shown.
        images[0].save(gif_path, save_all=True, append_images=images[1:],
                       duration=frame_durations_ms(rec), loop=0, disposal=1)
    return names
