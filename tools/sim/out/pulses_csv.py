# pulses.csv: one row per pulse, in time order across channels.
import csv

COLUMNS = ("channel", "start_us", "pos_us", "gap_us", "neg_us", "amplitude_ua",
           "pos_charge_nc", "neg_charge_nc")


def phase_charge_nc(amplitude_ua, phase_us):
    """Charge of one phase in nC, rounded down (uA * us = pC)."""
    return amplitude_ua * phase_us // 1000


def rows(rec):
    for ch, start, pos, gap, neg, ua in sorted(rec.pulses, key=lambda p: (p[1], p[0])):
        yield (ch + 1, start, pos, gap, neg, ua,
               phase_charge_nc(ua, pos), phase_charge_nc(ua, neg))


def write_pulses_csv(rec, path):
    """Write pulses.csv; returns the number of rows (pulses)."""
    n = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows(rec):
            w.writerow(r)
            n += 1
    return n
