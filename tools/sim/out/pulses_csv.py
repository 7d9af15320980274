# pulses.csv: one row per pulse, in time order across channels. The amplitude
# is the setpoint at A's rise; the charges are what each phase delivered (the
# reference through the board's RC filter), so a pulse whose phases saw
# different currents shows its net charge.
import csv

COLUMNS = ("channel", "start_us", "pos_us", "gap_us", "neg_us", "amplitude_ua",
           "pos_charge_nc", "neg_charge_nc", "net_charge_pc")


def phase_charge_nc(amplitude_ua, phase_us):
    """Charge of one phase in nC, rounded down (uA * us = pC)."""
    return amplitude_ua * phase_us // 1000


def rows(rec):
    for ch, start, pos, gap, neg, ua, pos_pc, neg_pc in sorted(rec.pulses,
                                                               key=lambda p: (p[1], p[0])):
        yield (ch + 1, start, pos, gap, neg, ua, pos_pc // 1000, neg_pc // 1000,
               pos_pc - neg_pc)


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
