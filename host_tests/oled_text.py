# Reads the text back from a recorded 128x64 SSD1306 frame (MONO_VLSB), so a
# test can ask "does the screen say HIGH" instead of comparing pixels. The
# firmware's screens write text on the 8x8 character grid (screens.text), so
# each cell is matched against the glyphs the framebuf font draws, in normal
# and inverted video. Cells that are no glyph (bars, icons) read as "?".
import framebuf

COLS = 16
ROWS = 8
_GLYPHS = None


def _glyphs():
    global _GLYPHS
    if _GLYPHS is None:
        table = {}
        for code in range(32, 127):
            buf = bytearray(8)
            fb = framebuf.FrameBuffer(buf, 8, 8, framebuf.MONO_VLSB)
            fb.text(chr(code), 0, 0, 1)
            table.setdefault(bytes(buf), chr(code))
            table.setdefault(bytes(b ^ 0xFF for b in buf), chr(code))
        _GLYPHS = table
    return _GLYPHS


def frame_lines(fb):
    """The frame as ROWS strings of COLS characters."""
    glyphs = _glyphs()
    lines = []
    for row in range(ROWS):
        chars = []
        for col in range(COLS):
            i = row * 128 + col * 8
            chars.append(glyphs.get(bytes(fb[i:i + 8]), "?"))
        lines.append("".join(chars))
    return lines


def frame_text(fb):
    return "\n".join(frame_lines(fb))
