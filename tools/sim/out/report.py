# report.md: what the run did, in one page that links every other file.
from tools.sim.out.logs import stamp
from tools.sim.out.stats import channel_stats

_MAX_FAULT_ROWS = 30
# What the counts mean; the simulator's printed summary says the same.
COUNTS_NOTE = ("Whole run, as trace.vcd and pulses.csv hold it: every pulse, the electrode "
               "check's probe pulses included, and every fault the firmware latched. "
               "*Last session pulses* is the firmware's own dose count of the channel's last "
               "session (from the start its electrode check allowed; probe pulses not "
               "counted), the figure its usage log keeps.")


def last_session_pulses(rec, ch):
    """The firmware's dose count of channel ch's last session, or None when the
    recording did not come from a simulated run."""
    chans = rec.summary.get("channels") or []
    return chans[ch]["pulses"] if ch < len(chans) else None


def _or_dash(value):
    return "-" if value is None else str(value)


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
    out.append(COUNTS_NOTE)
    out.append("")
    out.append("| channel | pulses | peak mA | charge + (uC) | charge - (uC) | net (nC) "
               "| faults | last session pulses |")
    out.append("|---|---|---|---|---|---|---|---|")
    for s in channel_stats(rec):
        out.append("| ch%d | %d | %s | %s | %s | %d | %d | %s |" % (
            s["channel"], s["pulses"], _ma(s["peak_ua"]), _uc(s["pos_charge_nc"]),
            _uc(s["neg_charge_nc"]), s["net_charge_nc"], s["faults"],
            _or_dash(last_session_pulses(rec, s["channel"] - 1))))
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
