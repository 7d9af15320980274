# waveform.png: an overview of the whole run (amplitude setpoint and delivered
# pulses per channel, hv_en, faults) and, per channel, a zoom on a few pulses
# drawn as output current (+I while A is high, -I while B is high) with the
# phase widths, gap and period marked.
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tools.sim.out.recording import CHANNELS
from tools.sim.out.stats import fault_events

COLORS = ("tab:blue", "tab:orange")
BOARD_COLOR = "dimgray"
SIZE_IN = (12, 11)
DPI = 100
_BINS = 1500          # overview resolution: pulse envelope bins across the run
_ZOOM_PULSES = 3
_MAX_FAULT_LABELS = 12
_LABEL_BOX = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1}


def write_waveform_png(rec, path):
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(5, 2, height_ratios=(1.5, 1.5, 0.55, 2, 2), width_ratios=(1.4, 1),
                          hspace=0.6, wspace=0.18, left=0.07, right=0.98, top=0.94,
                          bottom=0.05)
    by_ch = rec.pulses_by_channel()
    end_us = max(rec.duration_ms * 1000, max((p[1] for p in rec.pulses), default=0), 1)
    scale, unit = (1e6, "s") if end_us <= 600e6 else (60e6, "min")
    top = _top_ma(rec)
    axes = []
    for ch in range(CHANNELS):
        ax = fig.add_subplot(gs[ch, :], sharex=axes[0] if axes else None)
        _overview(ax, rec, ch, by_ch[ch], end_us, scale, top)
        axes.append(ax)
    axes[0].set_title("Whole run: amplitude setpoint and pulses delivered", fontsize=10,
                      loc="left")
    hv_ax = fig.add_subplot(gs[CHANNELS, :], sharex=axes[0])
    _hv(hv_ax, rec, end_us, scale, unit)
    _faults(axes, hv_ax, rec, scale)
    for ch in range(CHANNELS):
        train = fig.add_subplot(gs[CHANNELS + 1 + ch, 0])
        detail = fig.add_subplot(gs[CHANNELS + 1 + ch, 1])
        _zoom(train, detail, ch, by_ch[ch])
    fig.suptitle("%s  (%s runtime, %s %s)" % (rec.board, rec.runtime,
                                              _num(end_us / scale), unit), fontsize=12)
    fig.savefig(path)


def _top_ma(rec):
    # One scale for both channels so their levels compare at a glance.
    peak = max([p[5] for p in rec.pulses] + [a[2] for a in rec.amplitude] + [1000])
    return peak / 1000.0 * 1.3


def _overview(ax, rec, ch, pulses, end_us, scale, top):
    color = COLORS[ch]
    if pulses:
        edges = np.linspace(0, end_us, _BINS + 1)
        starts = np.fromiter((p[1] for p in pulses), dtype=np.int64, count=len(pulses))
        amps = np.fromiter((p[5] for p in pulses), dtype=np.float64, count=len(pulses))
        idx = np.clip(np.searchsorted(edges, starts, side="right") - 1, 0, _BINS - 1)
        env = np.zeros(_BINS + 1)
        np.maximum.at(env, idx, amps / 1000.0)
        ax.fill_between(edges / scale, env, step="post", color=color, alpha=0.3,
                        linewidth=0, label="pulses delivered (peak)")
    t = [0.0]
    v = [0.0]
    for ts, c, ua in sorted(rec.amplitude, key=lambda a: a[0]):
        if c == ch:
            t.append(ts)
            v.append(ua / 1000.0)
    t.append(end_us)
    v.append(v[-1])
    ax.step(np.array(t) / scale, v, where="post", color=color, linewidth=1.4,
            label="setpoint")
    ax.set_xlim(0, end_us / scale)
    ax.set_ylim(0, top)
    ax.set_ylabel("ch%d (mA)" % (ch + 1))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8, ncol=2, framealpha=0.9)


def _hv(ax, rec, end_us, scale, unit):
    t = [0.0]
    v = [0]
    for ts, on in sorted(rec.hv, key=lambda h: h[0]):
        t.append(ts)
        v.append(1 if on else 0)
    t.append(end_us)
    v.append(v[-1])
    ax.fill_between(np.array(t) / scale, v, step="post", color="tab:red", alpha=0.3,
                    linewidth=0)
    ax.step(np.array(t) / scale, v, where="post", color="tab:red", linewidth=1)
    ax.set_yticks((0, 1))
    ax.set_ylim(-0.15, 1.3)
    ax.set_ylabel("hv_en")
    ax.set_xlabel("time (%s)" % unit)
    ax.grid(True, alpha=0.3)


def _faults(axes, hv_ax, rec, scale):
    # A line across every panel; the marker and label on the channel's own.
    for n, (t_ms, ch, text) in enumerate(fault_events(rec)):
        x = t_ms * 1000 / scale
        for a in axes + [hv_ax]:
            a.axvline(x, color="tab:red", linestyle="--", linewidth=0.9, alpha=0.8)
        for c, ax in enumerate(axes):
            if ch != c:
                continue
            top = ax.get_ylim()[1]
            ax.plot([x], [top], marker="v", color="tab:red", markersize=8, clip_on=False)
            if n < _MAX_FAULT_LABELS:
                # Alternate heights so labels of faults close in time stay apart.
                y = top * (0.93 - 0.25 * (n % 2))
                ax.text(x, y, " " + text[:48], va="top", ha="left", fontsize=7,
                        color="darkred", bbox=_LABEL_BOX)


def _zoom_pulses(pulses):
    # A few consecutive pulses at the channel's peak amplitude: the ones that
    # matter for the safety limits.
    peak = max(p[5] for p in pulses)
    i = next(k for k, p in enumerate(pulses) if p[5] == peak)
    return pulses[i:i + _ZOOM_PULSES]


def _current_steps(pulses, t0, per_unit):
    # Corner points of the output current for a step plot.
    t = []
    i = []
    for _ch, s, pos, gap, neg, ua, _qp, _qn in pulses:
        ma = ua / 1000.0
        b = s + pos + gap
        for tt, ii in ((s, ma), (s + pos, 0.0), (b, -ma), (b + neg, 0.0)):
            t.append((tt - t0) / per_unit)
            i.append(ii)
    return t, i


def _zoom(train_ax, detail_ax, ch, pulses):
    color = COLORS[ch]
    name = "ch%d" % (ch + 1)
    if not pulses:
        for a in (train_ax, detail_ax):
            a.text(0.5, 0.5, "no pulses on %s" % name, ha="center", va="center",
                   transform=a.transAxes)
            a.set_xticks(())
            a.set_yticks(())
        return
    zp = _zoom_pulses(pulses)
    p0 = zp[0]
    s0 = p0[1]
    width = p0[2] + p0[3] + p0[4]
    ma = p0[5] / 1000.0
    last = zp[-1]
    span = last[1] + last[2] + last[3] + last[4] - s0
    margin = max(span * 0.08, width)
    t, i = _current_steps(zp, s0, 1000.0)
    train_ax.step([-margin / 1000.0] + t + [(span + margin) / 1000.0], [0.0] + i + [0.0],
                  where="post", color=color, linewidth=1.2)
    train_ax.axhline(0, color="black", linewidth=0.5)
    train_ax.set_xlim(-margin / 1000.0, (span + margin) / 1000.0)
    _pad_y(train_ax, ma)
    train_ax.set_ylabel("%s current (mA)" % name)
    train_ax.set_xlabel("ms from pulse start at %s s" % _num(s0 / 1e6, 6))
    train_ax.set_title("%s: %d pulses at peak amplitude" % (name, len(zp)), fontsize=10,
                       loc="left")
    train_ax.grid(True, alpha=0.3)
    if len(zp) > 1:
        period = zp[1][1] - s0
        y = -ma * 1.25
        train_ax.annotate("", xy=(0, y), xytext=(period / 1000.0, y),
                          arrowprops={"arrowstyle": "<->", "color": "black", "lw": 0.8})
        train_ax.text(period / 2000.0, y * 1.02, "%s ms (%s Hz)" % (
            _num(period / 1000.0), _num(1e6 / period)), ha="center", va="top", fontsize=8)
    _detail(detail_ax, p0, color, name)


def _detail(ax, p, color, name):
    _ch, s, pos, gap, neg, ua, qp, qn = p
    ma = ua / 1000.0
    width = pos + gap + neg
    m = max(width * 0.35, 20)
    t, i = _current_steps([p], s, 1.0)
    ax.step([-m] + t + [width + m], [0.0] + i + [0.0], where="post", color=color,
            linewidth=1.6)
    ax.fill_between([-m] + t + [width + m], [0.0] + i + [0.0], step="post", color=color,
                    alpha=0.2, linewidth=0)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlim(-m, width + m)
    _pad_y(ax, ma)
    ax.set_xlabel("us from pulse start")
    ax.set_title("one pulse: %s mA, %s / %s nC delivered per phase" % (
        _num(ma), qp // 1000, qn // 1000), fontsize=10, loc="left")
    ax.grid(True, alpha=0.3)
    arrow = {"arrowstyle": "<->", "color": "black", "lw": 0.8}
    b = pos + gap
    if pos:
        ax.annotate("", xy=(0, ma * 1.12), xytext=(pos, ma * 1.12), arrowprops=arrow)
        ax.text(pos / 2, ma * 1.16, "A +%s mA\n%d us" % (_num(ma), pos), ha="center",
                va="bottom", fontsize=8)
    if neg:
        ax.annotate("", xy=(b, -ma * 1.12), xytext=(b + neg, -ma * 1.12), arrowprops=arrow)
        ax.text(b + neg / 2, -ma * 1.16, "B -%s mA\n%d us" % (_num(ma), neg), ha="center",
                va="top", fontsize=8)
    if gap:
        # The gap is narrow next to the phases: its label goes beside it, over
        # the idle line after A, where nothing else is drawn.
        ax.annotate("", xy=(pos, ma * 0.2), xytext=(b, ma * 0.2), arrowprops=arrow)
        ax.text(b + width * 0.03, ma * 0.2, "gap %d us" % gap, ha="left", va="center",
                fontsize=8)
    else:
        ax.text(pos, ma * 0.3, " no gap", ha="left", va="bottom", fontsize=8)


def _pad_y(ax, ma):
    lim = max(ma, 0.001) * 1.7
    ax.set_ylim(-lim, lim)


def _num(x, digits=4):
    return ("%." + str(digits) + "g") % x
