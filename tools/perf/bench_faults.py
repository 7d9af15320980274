"""Reaction-time benchmark of the electrode watchdog, in simulated time.

For each fault kind x pulse rate x amplitude the closed loop of
tools/perf/fault_loop.py runs a healthy electrode until the baseline is taken, then
the fault happens at several moments spread over one pulse period (the worst
case is reported). Columns:

  react ms     event -> output off (includes waiting for the next pulse: the
               sense path only sees the electrode during a pulse)
  pulse ms     first pulse into the fault -> output off
  pulses       pulses delivered from the event until the output was off
  budget       ok when pulses <= 2, and, at >= 10 Hz, pulse ms <= 20

OPEN peel: the contact area shrinks to 0 over 2 s; times are measured from
full lift-off (negative: the watchdog stopped the output before it).
drying -> HIGH: Rp rises 6x over 20 s; times are from the moment the model's
impedance passes the HIGH bound (2x baseline) to the warning (the output keeps
running: HIGH only blocks increases); pulses are those in between.

    python -m tools.perf.bench_faults        # prints the table, writes out/bench/faults.json
"""

import json

from tools.sim.models.electrode import Electrode
from tools.perf.fault_loop import ROOT, FaultLoop
from ustim.core import channel as C

RATES = (2, 10, 50, 100, 150)
AMPS = (("low", 5000), ("high", 40000))
KINDS = ("OPEN lift-off", "OPEN peel", "SHORT", "OVERCURRENT", "drying->HIGH")
SETTLE_MS = 8000
PEEL_MS = 2000
DRY_MS = 20000
PHASES = 5
# Where pulses fall between control ticks (engine start -> first pulse), one per phase.
LAGS_US = (0, 2300, 4700, 7100, 9900)


def electrode(seed):
    # Low enough impedance (about 1.4 kohm) to take 40 mA under 80 V compliance.
    return Electrode(rs=200, rp=1500, cp_nf=100, seed=seed)


def _inject(el, kind, t):
    if kind == "OPEN lift-off":
        el.lift_off(t)
    elif kind == "OPEN peel":
        el.peel(t, PEEL_MS)
    elif kind == "SHORT":
        el.short(t)
    elif kind == "OVERCURRENT":
        el.stage_fault(t)
    else:
        el.dry(t, DRY_MS, 6.0)


def _high_crossing(el, t0, baseline, phase_us):
    # First ms at which the model's own (noise-free) impedance passes 2x baseline.
    t = t0
    while t < t0 + DRY_MS:
        if el.z_ohm(t, phase_us) > 2 * baseline:
            return t
        t += 0.5
    return None


def run_one(kind, hz, amp_ua, offset_ms, seed=1, lag_us=0):
    el = electrode(seed)
    lp = FaultLoop(el, hz=hz, amp_ua=amp_ua, lag_us=lag_us)
    lp.start()
    lp.run_until(SETTLE_MS)
    if lp.ch.state != C.RUNNING or lp.guard.watchdog.baseline_ohm <= 0:
        raise RuntimeError("not settled: %s %s" % (lp.ch.state_name(), lp.events))
    t_e = SETTLE_MS + offset_ms
    _inject(el, kind, t_e)
    if kind == "drying->HIGH":
        t_x = _high_crossing(el, t_e, lp.guard.watchdog.baseline_ohm, lp.spec.pos_us)
        lp.mark(t_x)
        lp.run_until(t_e + DRY_MS + 2000)
        if lp.high_ms is None:
            return None
        return {"react_ms": round(lp.high_ms - t_x, 3),
                "pulse_ms": (None if lp.first_pulse_ms is None
                             else round(lp.high_ms - lp.first_pulse_ms, 3)),
                "pulses": lp.pulses_after_high, "fault": "high warning",
                "stopped_later": C.FAULT_NAMES[lp.ch.fault_kind]}
    if kind == "OPEN peel":
        # Measured from full lift-off: off_ms may come before it (negative).
        end = t_e + PEEL_MS
        lp.mark(end)
        lp.run_until(end + 2000, stop_on_fault=True)
        lp.run_until(lp.now_ms + 50)
        r = lp.reaction()
        if r is None:
            return None
        return {"react_ms": round(r["react_ms"], 3), "pulse_ms": None,
                "pulses": r["pulses_after"], "fault": r["fault"]}
    lp.mark(t_e)
    lp.run_until(t_e + 2000, stop_on_fault=True)
    lp.run_until(lp.now_ms + 50)
    r = lp.reaction()
    if r is None:
        return None
    return {"react_ms": round(r["react_ms"], 3), "pulse_ms": r["from_pulse_ms"],
            "pulses": r["pulses_after"], "fault": r["fault"]}


def row(kind, hz, label, amp):
    period = 1000.0 / hz
    worst = None
    for j in range(PHASES):
        off = 0.37 + j * period / PHASES
        r = run_one(kind, hz, amp, off, seed=j + 1, lag_us=LAGS_US[j])
        if r is None:
            return {"kind": kind, "hz": hz, "amp": label, "amp_ua": amp, "missed": True}
        if worst is None or r["react_ms"] > worst["react_ms"]:
            worst = dict(r)
        worst["pulses"] = max(worst["pulses"], r["pulses"])
        if r["pulse_ms"] is not None and worst["pulse_ms"] is not None:
            worst["pulse_ms"] = max(worst["pulse_ms"], r["pulse_ms"])
    worst.update({"kind": kind, "hz": hz, "amp": label, "amp_ua": amp, "missed": False})
    worst["budget_ok"] = budget_ok(kind, hz, worst)
    return worst


def budget_ok(kind, hz, r):
    if r.get("missed"):
        return False
    if kind == "drying->HIGH":
        return True          # a warning, no stop budget
    if kind == "OPEN peel":
        return r["pulses"] <= 2
    if r["pulses"] > 2:
        return False
    return hz < 10 or r["pulse_ms"] <= 20


def main():
    rows = []
    for kind in KINDS:
        for hz in RATES:
            for label, amp in AMPS:
                rows.append(row(kind, hz, label, amp))
    head = "%-14s %5s %5s %9s %9s %7s %-12s %s" % (
        "fault", "Hz", "amp", "react ms", "pulse ms", "pulses", "result", "budget")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r["missed"]:
            print("%-14s %5d %5s   MISSED" % (r["kind"], r["hz"], r["amp"]))
            continue
        pm = "-" if r["pulse_ms"] is None else "%.1f" % r["pulse_ms"]
        print("%-14s %5d %5s %9.1f %9s %7d %-12s %s" % (
            r["kind"], r["hz"], r["amp"], r["react_ms"], pm, r["pulses"], r["fault"],
            "ok" if r["budget_ok"] else "OVER"))
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "faults.json").write_text(json.dumps(
        {"tick_ms": 10, "phases_per_case": PHASES, "rows": rows}, indent=1))
    print("wrote", out / "faults.json")
    return rows


if __name__ == "__main__":
    main()
