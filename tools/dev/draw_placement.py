"""Draw where the pads go for each placement of the presets
(firmware/ustim/core/programs.py PLACEMENTS) to docs/images/placement-*.png.

    python -m tools.dev.draw_placement [--out DIR]

A schematic front view of a right leg (not to scale): thigh, patella, joint
line and shin, with each channel's pair of pads. `make placement` runs it.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "images"
SKIN = "#f3d9c4"
EDGE = "#8a6a55"
PAD = {1: "#2f6fd6", 2: "#d64f2f"}


def _leg(ax):
    from matplotlib.patches import Ellipse, Polygon

    # Thigh from the hip (y 10) to the knee (y 5), shin from the knee to y 0.
    ax.add_patch(Polygon([(1.2, 10), (4.8, 10), (4.1, 5.4), (1.9, 5.4)], closed=True,
                         facecolor=SKIN, edgecolor=EDGE))
    ax.add_patch(Polygon([(1.9, 5.4), (4.1, 5.4), (3.9, 4.2), (3.6, 0), (2.4, 0), (2.1, 4.2)],
                         closed=True, facecolor=SKIN, edgecolor=EDGE))
    ax.add_patch(Ellipse((3.0, 5.0), 1.0, 1.2, facecolor="#ead0b8", edgecolor=EDGE))
    ax.plot([1.7, 4.8], [4.35, 4.35], linestyle="--", color=EDGE, linewidth=1)
    ax.text(4.85, 4.3, "joint line", fontsize=7, color=EDGE, va="center")
    ax.text(3.0, 5.0, "patella", fontsize=6, color=EDGE, ha="center", va="center")
    # Facing the person: the inner (medial) side of the right leg is on the right.
    ax.text(1.0, 7.5, "outer\n(lateral)", fontsize=7, color=EDGE, ha="right", va="center")
    ax.text(5.0, 7.5, "inner\n(medial)", fontsize=7, color=EDGE, ha="left", va="center")
    ax.text(3.0, -0.25, "right leg, from the front", fontsize=7, color=EDGE, ha="center",
            va="top")


def _pad(ax, x, y, ch, label):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.45), 0.9, 0.9, boxstyle="round,pad=0.05",
                                facecolor=PAD[ch], edgecolor="black", alpha=0.85))
    ax.text(x, y, label, fontsize=7, color="white", ha="center", va="center", weight="bold")


def _frame(ax, title):
    ax.set_xlim(-0.5, 6.5)
    ax.set_ylim(-0.8, 10.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def knee(path):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(7, 5.2))
    _leg(a)
    _pad(a, 1.75, 4.35, 1, "1")
    _pad(a, 4.25, 4.35, 1, "1")
    _frame(a, "either side of the joint line")
    _leg(b)
    _pad(b, 3.0, 6.3, 1, "1")
    _pad(b, 3.0, 3.4, 1, "1")
    _frame(b, "above and below the patella")
    fig.suptitle("TENS for knee pain (tens, acu, burst, alt, mod): around the sore knee\n"
                 "channel 2: the other pair, or the same on the other knee", fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def quad(path):
    import matplotlib.pyplot as plt

    fig, a = plt.subplots(1, 1, figsize=(4.2, 5.2))
    _leg(a)
    _pad(a, 3.65, 6.35, 1, "1")
    a.annotate("vastus medialis\nmotor point", (4.0, 6.2), (4.6, 5.4), fontsize=7,
               arrowprops={"arrowstyle": "-", "color": EDGE})
    _pad(a, 2.9, 8.9, 1, "1")
    a.annotate("proximal\nanterior thigh", (2.5, 9.0), (-0.6, 9.6), fontsize=7,
               arrowprops={"arrowstyle": "-", "color": EDGE})
    _frame(a, "")
    fig.suptitle("Quadriceps NMES (oa, tka, short)\nchannel 2: the same on the other thigh",
                 fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


DRAWINGS = (("placement-knee.png", knee), ("placement-quad.png", quad))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in DRAWINGS:
        draw(out / name)
    print("wrote %s" % ", ".join(str(out / n) for n, _ in DRAWINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
