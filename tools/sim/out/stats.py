# Per-channel figures for summary.json and report.md, and which events are
# faults (the overview plot marks them).
import re

from tools.sim.out.pulses_csv import phase_charge_nc
from tools.sim.out.recording import CHANNELS

# An event is a fault when its text has one of these words; the channel is the
# one it names ("ch1", "ch 2", "channel 1"), or none (board-wide, e.g. battery).
# A text saying the fault was cleared is the end of one, not a new one.
FAULT_WORDS = ("fault", "lead-off", "lead off", "short", "over-current", "overcurrent",
               "sense fail", "brown-out", "brownout")
_CHANNEL = re.compile(r"\bch(?:annel)?\s*([1-9])\b", re.IGNORECASE)


def is_fault(text):
    low = text.lower()
    return "clear" not in low and any(w in low for w in FAULT_WORDS)


def event_channel(text):
    """0-based channel an event names, or None."""
    m = _CHANNEL.search(text)
    if m is None:
        return None
    ch = int(m.group(1)) - 1
    return ch if ch < CHANNELS else None


def fault_events(rec):
    """[(t_ms, channel or None, text)] for the fault events, in time order."""
    return [(t, event_channel(text), text) for t, text in sorted(rec.events, key=_first)
            if is_fault(text)]


def channel_stats(rec):
    """One dict per channel (1-based "channel"): pulses, peak_ua, charge per
    phase summed over the run (nC), net charge (nC), first and last pulse start
    (us, None without pulses), faults (count of fault events naming it)."""
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
    for _t, ch, _text in fault_events(rec):
        if ch is not None:
            out[ch]["faults"] += 1
    return out


def _first(item):
    return item[0]
