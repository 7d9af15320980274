"""Safety campaign, soak: conventional TENS sessions back to back on channel 1
of the whole App on the simulated board, the session timer at its 60-minute
cap and the next session started from the console as soon as one ends.

Across the whole run: every period of a pulse train exactly the spec's period
(no drift, no missing pulse) with breaks only at session boundaries, the App
saw every tick stepped, and the campaign invariants held (envelope, no
overlap, amplitude ramp bound, no output when OFF, dose = pulses).

`make soak` runs 8 hours (USTIM_SOAK_HOURS=8, a few minutes on CPython);
`make test` runs 1 hour. Figures go to out/campaign/soak.json."""

import json
import os
from pathlib import Path

from campaign_rig import Rig
from ustim.core import channel as C
from ustim.core.programs import find

OUT = Path(__file__).resolve().parent.parent / "out" / "campaign"
HOURS = float(os.environ.get("USTIM_SOAK_HOURS", "1"))
TICKS_PER_HOUR = 360000
SESSION_MIN = 60


class TrainLog:
    """Pulse trains of channel 1 as the engine ran them: a train is the pulses
    between an engine start and stop (the rig's run id)."""

    def __init__(self, period_us):
        self.period_us = period_us
        self.trains = []          # [run id, first start, last start, pulses, bad periods]
        self.cut = 0

    def pulse(self, p, facts):
        if p[0] != 0:
            return
        if p[2] != p[4]:
            # Cut by the stop at the end of the session's ramp (at its last,
            # lowest level): in the train of the tick it began in or the next.
            self.cut += 1
            return
        run = facts[1]
        t = self.trains
        if t and t[-1][0] == run:
            tr = t[-1]
            if p[1] - tr[2] != self.period_us:
                tr[4].append((tr[2], p[1]))
            tr[2] = p[1]
            tr[3] += 1
        else:
            t.append([run, p[1], p[1], 1, []])


def test_soak_back_to_back_sessions_no_drift_no_missed_tick():
    prog = find("tens")
    period = 1000000 // prog.hz
    rig = Rig(seed=2)          # channel 1: a 1.2 kohm gel pad (tools/sim/models/electrode.healthy)
    log = TrainLog(period)
    rig.on_pulse = log.pulse
    for line in ("select 1 tens", "timer %d" % SESSION_MIN, "amp 1 20", "start 1"):
        rig.console(line)
    # A minute over the hours asked for: each session ends with its stop ramp
    # and the next one's electrode check, and the last session runs to its end.
    total = int(HOURS * TICKS_PER_HOUR) + 60 * 100
    starts = 1
    ended = 0
    was_off = False
    while rig.k < total:
        # Polled every 100 ms: the next session starts within 0.1 s of the end.
        rig.run(min(10, total - rig.k))
        rig.check()
        ch = rig.sim.app.ctl.chans[0].ch
        if ch.state == C.OFF and not was_off:
            ended += 1
            if rig.k < total - 60 * 100:
                rig.console("start 1")
                starts += 1
        was_off = ch.state == C.OFF
        assert ch.state != C.FAULT, rig.sim.rec.events[-5:]
    rig.flush()
    rig.check()
    app = rig.sim.app
    # Every tick stepped reached the App, on one boot, with no gap between them.
    assert rig.sim.boots == 1 and app.failed is None
    assert app.ticks == rig.ticks_run == total
    # Trains: the electrode check's probe, then the session's train from the
    # first ramp tick to the end of the end-of-session ramp.
    bad = [b for tr in log.trains for b in tr[4]]
    assert bad == [], "periods off %d us: %r" % (period, bad[:5])
    session_trains = [tr for tr in log.trains if tr[3] > 1000]
    probes = [tr for tr in log.trains if tr[3] <= 1000]
    full = ended
    assert log.cut <= 2 * starts
    assert len(session_trains) == starts and len(probes) == starts
    expect = SESSION_MIN * 60 * 1000000 // period
    for tr in session_trains[:full]:
        # The train starts one tick into the session (level 0 at its first
        # tick) and the last pulse goes out in the last tick before expiry.
        assert expect - 2 <= tr[3] <= expect, tr[:4]
        assert tr[2] - tr[1] == (tr[3] - 1) * period
    assert full >= int(HOURS * 60) // SESSION_MIN
    figures = {"hours": HOURS, "ticks": total, "sessions_started": starts,
               "sessions_completed": full, "pulses": rig.stats["pulses"],
               "trains": len(log.trains), "dose_checks": rig.stats["dose_checks"],
               "period_us": period, "periods_off": len(bad)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ("soak-%gh.json" % HOURS)).write_text(json.dumps(figures, indent=1) + "\n")
    print("soak:", figures)
