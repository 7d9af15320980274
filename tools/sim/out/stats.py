# Per-channel figures for summary.json and report.md, and the faults (the
# overview plot marks them).
from tools.sim.out.recording import CHANNELS


def fault_events(rec):
    """[(t_ms, channel, text)] for the faults the firmware latched, in time
    order (rec.faults: recorded from the firmware's own fault count and state,
    not read from event text)."""
    return [(t, ch, "ch%d fault: %s" % (ch + 1, kind))
            for t, ch, kind in sorted(rec.faults, key=_first)]


def channel_stats(rec):
    """One dict per channel (1-based "channel"): pulses, peak_ua, charge each
    phase delivered summed over the run (nC), net charge (nC), the largest net
    charge of one pulse (pC, signed), first and last pulse start (us, None
    without pulses), faults (how many the firmware latched)."""
    out = []
    for ch in range(CHANNELS):
        out.append({"channel": ch + 1, "pulses": 0, "peak_ua": 0, "pos_charge_nc": 0,
                    "neg_charge_nc": 0, "net_charge_nc": 0, "worst_pulse_net_pc": 0,
                    "first_start_us": None, "last_start_us": None, "faults": 0})
    pos_pc = [0] * CHANNELS
    neg_pc = [0] * CHANNELS
    for ch, start, _pos, _gap, _neg, ua, qp, qn in rec.pulses:
        s = out[ch]
        s["pulses"] += 1
        if ua > s["peak_ua"]:
            s["peak_ua"] = ua
        pos_pc[ch] += qp
        neg_pc[ch] += qn
        if abs(qp - qn) > abs(s["worst_pulse_net_pc"]):
            s["worst_pulse_net_pc"] = qp - qn
        if s["first_start_us"] is None or start < s["first_start_us"]:
            s["first_start_us"] = start
        if s["last_start_us"] is None or start > s["last_start_us"]:
            s["last_start_us"] = start
    for ch, s in enumerate(out):
        s["pos_charge_nc"] = pos_pc[ch] // 1000
        s["neg_charge_nc"] = neg_pc[ch] // 1000
        s["net_charge_nc"] = (pos_pc[ch] - neg_pc[ch]) // 1000
    for _t, ch, _kind in rec.faults:
        out[ch]["faults"] += 1
    return out


def _first(item):
    return item[0]
