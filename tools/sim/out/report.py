# report.md: what the run did, in one page that links every other file.
from tools.sim.out.logs import stamp
from tools.sim.out.stats import channel_stats

_MAX_FAULT_ROWS = 30


def _ma(ua):
    return "%.1f" % (ua / 1000.0)


def _uc(nc):
    return "%.1f" % (nc / 1000.0)


def report_text(rec, oled_names, files):
    """The report as text. `files` are the other files written (relative
    names), `oled_names` the frame PNGs inside oled/."""
    out = ["# Simulated session: %s" % rec.board, ""]
    out.append("Runtime %s, tick %d ms, duration %s s." % (
        rec.runtime, rec.tick_ms, stamp(rec.duration_ms).strip()))
    out.append("")
    out.append("| channel | pulses | peak mA | charge + (uC) | charge - (uC) | net (nC) "
               "| faults |")
    out.append("|---|---|---|---|---|---|---|")
    for s in channel_stats(rec):
        out.append("| ch%d | %d | %s | %s | %s | %d | %d |" % (
            s["channel"], s["pulses"], _ma(s["peak_ua"]), _uc(s["pos_charge_nc"]),
            _uc(s["neg_charge_nc"]), s["net_charge_nc"], s["faults"]))
    out.append("")
    faults = rec.faults
    if faults:
        out.append("## Faults")
        out.append("")
        out.append("The faults the firmware latched (each stops its channel until cleared).")
        out.append("")
        out.append("| time (s) | channel | fault |")
        out.append("|---|---|---|")
        for t, ch, kind in sorted(rec.faults)[:_MAX_FAULT_ROWS]:
            out.append("| %s | ch%d | %s |" % (stamp(t).strip(), ch + 1, kind))
        if len(faults) > _MAX_FAULT_ROWS:
            out.append("")
            out.append("%d more in [events.log](events.log)." % (len(faults) - _MAX_FAULT_ROWS))
        out.append("")
    out.append("## Waveform")
    out.append("")
    out.append("![waveform](waveform.png)")
    out.append("")
    if oled_names:
        out.append("## Display")
        out.append("")
        out.append("![display](oled.gif)")
        out.append("")
    out.append("## Files")
    out.append("")
    for name, what in files:
        out.append("- [%s](%s): %s" % (name, name, what))
    if oled_names:
        out.append("")
        out.append("### Display frames")
        out.append("")
        out.append("| time (s) | screen | frame |")
        out.append("|---|---|---|")
        for (t, screen, _fb), name in zip(rec.frames, oled_names, strict=True):
            out.append("| %s | %s | [oled/%s](oled/%s) |" % (
                stamp(t).strip(), str(screen).replace("|", "/"), name, name))
    out.append("")
    return "\n".join(out)
