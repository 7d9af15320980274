# Per-channel figures for summary.json and report.md, and the faults (the
# overview plot marks them).
from tools.sim.out.pulses_csv import phase_charge_nc
from tools.sim.out.recording import CHANNELS


def fault_events(rec):
    """[(t_ms, channel, text)] for the faults the firmware latched, in time
    order (rec.faults: recorded from the firmware's own fault count and state,
    not read from event text)."""
    return [(t, ch, "ch%d fault: %s" % (ch + 1, kind))
            for t, ch, kind in sorted(rec.faults, key=_first)]


def channel_stats(rec):
    """One dict per channel (1-based "channel"): pulses, peak_ua, charge per
    phase summed over the run (nC), net charge (nC), first and last pulse start
    (us, None without pulses), faults (how many the firmware latched)."""
    out = []
    for ch in range(CHANNELS):
        out.append({"channel": ch + 1, "pulses": 0, "peak_ua": 0, "pos_charge_nc": 0,
                    "neg_charge_nc": 0, "net_charge_nc": 0, "first_start_us": None,
                    "last_start_us": None, "faults": 0})
    for ch, start, pos, _gap, neg, ua in rec.pulses:
        s = out[ch]
        s["pulses"] += 1
        if ua > s["peak_ua"]:
            s["peak_ua"] = ua
        s["pos_charge_nc"] += phase_charge_nc(ua, pos)
        s["neg_charge_nc"] += phase_charge_nc(ua, neg)
        if s["first_start_us"] is None or start < s["first_start_us"]:
            s["first_start_us"] = start
        if s["last_start_us"] is None or start > s["last_start_us"]:
            s["last_start_us"] = start
    for s in out:
        s["net_charge_nc"] = s["pos_charge_nc"] - s["neg_charge_nc"]
    for _t, ch, _kind in rec.faults:
        out[ch]["faults"] += 1
    return out


def _first(item):
    return item[0]
