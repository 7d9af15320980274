# The safety campaign's rig: the firmware on the simulated board as a device
# runs it (tools/sim: main.py -> boot -> App with DeviceHw over the shims),
# stepped one control tick at a time, with the safety invariants checked from
# what the board emitted (the probe's pulses from the pads, the reference
# codes written) against the channel states each tick left behind. Nothing
# here trusts the firmware's view of its own output.
#
# A tick's decisions (a start, a stop) happen inside it: a pulse that began in
# the stretch from one exchange to the next is judged by the state before and
# after that tick, whichever allows it, so it is judged once the next
# exchange's facts are in.
import bisect

from tools.sim.probe import CUT_US
from tools.sim.run import Simulation
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.spec import PulseSpec

TICK_MS = 10
TICK_US = TICK_MS * 1000
DOWN = -1                     # no firmware running: reset, hung, powered off
NO_OUTPUT = (C.OFF, C.PAUSED, C.FAULT, DOWN)
FLOOR_PERIOD_US = 1000000     # a lone pulse is judged at the 1 Hz floor
_STIMULATING = (C.RAMPING, C.RUNNING)
_KEEP = 64                    # exchanges of facts kept for judging
# Pulses an engine may hold ahead of the pins, and the one the probe has not
# closed yet: how far the dose and the pins may be apart between two ticks.
_IN_FLIGHT = 7               # 2 queued, 1 open, 2 exchanges of judging lag at 150 Hz
KEEPALIVE_TICKS = 400         # 4 s: within the 5 s console lease


def rate_bound_ua_s(max_ua, cycling, env):
    """Fastest rise of the amplitude setpoint, uA/s, for a channel limited to
    max_ua: the start ramp (0 -> max over RAMP_MS) or the user slew, whichever
    is faster, plus, for EMS programs that cycle, the contraction ramp (0 ->
    full over at least env.min_ramp_ms) that multiplies it."""
    level = max(max_ua * 1000 // C.RAMP_MS, C.SLEW_UP_UA_S)
    if cycling:
        level += max_ua * 1000 // env.min_ramp_ms
    return level


class Violation(AssertionError):
    pass


_open = []                    # the rig whose board runs (one at a time)


class Rig:
    def __init__(self, seed=1, scenario=None, before_boot=None, board="pico"):
        while _open:
            _open.pop().close()
        sc = dict(scenario or {"name": "campaign", "duration_s": 8 * 3600, "events": []})
        sc.setdefault("board", board)
        sc["duration_s"] = max(sc["duration_s"], 8 * 3600)
        self.sim = Simulation(sc, seed=seed)
        if before_boot is not None:
            before_boot(self.sim)
        self.env = limits.Envelope()
        self.n = 2
        self.k = 1                    # exchanges so far: start() runs to the first
        self.times = []               # board us of each exchange kept
        self.facts = []               # per-channel window facts after each
        self.violations = []
        self.runs = [0] * self.n      # engine run id: new each tick it is stopped
        self.prev = [None] * self.n   # pulse waiting for its successor (period)
        self.prev_end = [0] * self.n
        self.full_widths = [None] * self.n
        self.total = [0] * self.n     # pulses judged, per channel
        self.cnt = [0] * self.n       # ... of them with current (reference code > 0)
        self.recent = [[] for _ in range(self.n)]   # starts of the latest of those
        self.judged_to = 0            # every pulse that began before this is judged
        self.amp_last = [(0, 0)] * self.n
        self.zeros = [[] for _ in range(self.n)]   # board us of each reference set to 0
        self.pulse_idx = 0
        self.amp_idx = 0
        self.ticks_run = 1            # ticks the current App was stepped
        self.session = [None] * self.n   # [start ms, probe end us or None] of the open session
        self.stats = {"ticks": 0, "pulses": 0, "cut_pulses": 0, "amp_changes": 0,
                      "dose_checks": 0, "boots": 1, "stimulating_ticks": 0}
        self.keepalive = True         # a console line every KEEPALIVE_TICKS
        self.keep_pulses = None       # a list to also keep every pulse in
        self.on_pulse = None          # callback(pulse, window facts of its channel)
        self.sim.start()
        _open.append(self)
        self.app = self.sim.app
        self._note()

    def close(self):
        """Stop the board (its thread ends)."""
        if self in _open:
            _open.remove(self)
        self.sim.finish()

    @property
    def now_ms(self):
        return self.sim.now_ms

    # -- time --------------------------------------------------------------

    def run(self, ticks):
        for _ in range(ticks):
            self.tick()

    def tick(self):
        sim = self.sim
        boots = sim.boots
        if self.keepalive and sim.up and self.k % KEEPALIVE_TICKS == 0:
            # A bench host polls the device (the bench tool's monitor does twice a
            # second), which keeps the console's lease on what it started.
            sim.send("version")
        sim.step()
        self.k += 1
        self.stats["ticks"] += 1
        if sim.boots != boots:
            self.stats["boots"] += sim.boots - boots
            self.app = sim.app
            self.ticks_run = 0
            self.session = [None] * self.n
        elif sim.up and sim.app is self.app:
            self.ticks_run += 1
        self._note()
        self._drain(final=False)
        if sim.up:
            self._sessions()

    def _note(self):
        sim = self.sim
        app = sim.app
        up = sim.up and app is not None
        facts = []
        for i in range(self.n):
            if up:
                c = app.ctl.chans[i]
                if not app.hw.pulses.running(i):
                    self.runs[i] += 1
                prog = c.program
                facts.append((c.ch.state, self.runs[i], bool(prog is not None and prog.ems),
                              bool(prog is not None and prog.on_ms), c.max_ua,
                              app.settings.area_mm2()))
            else:
                self.runs[i] += 1
                facts.append((DOWN, self.runs[i], False, False, 0, 1))
        self.times.append(sim.now_us)
        self.facts.append(facts)
        if len(self.times) > _KEEP:
            del self.times[0]
            del self.facts[0]
        if any(f[0] in _STIMULATING for f in facts):
            self.stats["stimulating_ticks"] += 1

    def _window(self, t_us):
        """(facts before, facts after) the tick in whose stretch t_us lies,
        or None when it is not known (yet, or any more)."""
        i = bisect.bisect_right(self.times, t_us)
        if i == 0 or i >= len(self.times):
            return None
        return self.facts[i - 1], self.facts[i]

    # -- what the board emitted ---------------------------------------------

    def _drain(self, final):
        rec = self.sim.rec
        pulses = rec.pulses
        latest = self.times[-1] if self.times else 0
        frontier = self.times[-2] if len(self.times) > 1 else 0
        while self.pulse_idx < len(pulses):
            p = pulses[self.pulse_idx]
            if not final and p[1] >= frontier:
                break
            self._pulse(p)
            self.pulse_idx += 1
        self.judged_to = latest if final else frontier
        if self.keep_pulses is None and self.pulse_idx > 4096:
            del pulses[:self.pulse_idx]
            self.pulse_idx = 0
        amps = rec.amplitude
        while self.amp_idx < len(amps):
            a = amps[self.amp_idx]
            if not final and a[0] >= latest:
                break
            self._amplitude(a)
            self.amp_idx += 1
        if self.amp_idx > 4096:
            self._amp_trim()
        for t, ch in rec.overlaps:
            self._fail("A and B high together on channel %d at %d us" % (ch + 1, t))
        del rec.overlaps[:]

    def _amp_trim(self):
        # The session checks look back through self.zeros, not this list.
        keep = self.times[0] if self.times else 0
        amps = self.sim.rec.amplitude
        cut = 0
        while cut < self.amp_idx and amps[cut][0] < keep - 2 * TICK_US:
            cut += 1
        del amps[:cut]
        self.amp_idx -= cut

    def _pulse(self, p):
        ch, start, pos, gap, neg, ua = p[:6]
        self.stats["pulses"] += 1
        if self.keep_pulses is not None:
            self.keep_pulses.append(p)
        self.total[ch] += 1
        if ua > 0:
            self.cnt[ch] += 1
            r = self.recent[ch]
            r.append(start)
            if len(r) > 512:
                del r[:256]
        w = self._window(start)
        if w is None:
            w = (self.facts[-1], self.facts[-1]) if self.facts else None
        if w is None:
            self._fail("pulse %r began before the first tick on record" % (p,))
            return
        before, after = w[0][ch], w[1][ch]
        f = after if after[0] not in NO_OUTPUT else before
        if self.on_pulse is not None:
            self.on_pulse(p, f)
        if before[0] in NO_OUTPUT and after[0] in NO_OUTPUT:
            self._fail("pulse %r while channel %d was %s" % (
                p, ch + 1, "down" if f[0] == DOWN else C.STATE_NAMES[f[0]]))
        if pos < 0 or gap < 0 or neg < 0 or ua < 0:
            self._fail("malformed pulse %r" % (p,))
        # A and B of one channel: the phases of a pulse follow each other by
        # construction; successive pulses must not overlap.
        if start < self.prev_end[ch]:
            self._fail("pulse %r overlaps the previous one (ends %d us)" % (p, self.prev_end[ch]))
        self.prev_end[ch] = start + pos + gap + neg
        prev = self.prev[ch]
        if prev is not None:
            pp, prun, pperiod, pf = prev
            if prun == f[1]:
                self._judge(pp, start - pp[1], pf)
                self.prev[ch] = (p, f[1], start - pp[1], f)
                return
            self._judge(pp, pperiod, pf)
        self.prev[ch] = (p, f[1], FLOOR_PERIOD_US, f)

    def _judge(self, p, period, facts):
        ch, start, pos, gap, neg, ua = p[:6]
        if ua <= 0:
            return               # no current: nothing to judge
        _, _, ems, _, _, area = facts
        if pos != neg:
            # Cut short by a stop: both pins went low at once. Judge its
            # charge at the widths the train was running at.
            self.stats["cut_pulses"] += 1
            w = self.full_widths[ch] or (max(pos, neg, self.env.min_phase_us), gap)
            pos, neg, gap = w[0], w[0], w[1]
        else:
            self.full_widths[ch] = (pos, gap)
        spec = PulseSpec(pos, gap, period, ems=ems, neg_us=neg)
        r = limits.check(self.env, spec, ua, area)
        if r is not None:
            self._fail("pulse %r outside the envelope: %s (period %d us, area %d mm2)" % (
                p, r, period, area))

    def flush(self):
        """Judge what is left (the last pulses, the last pulse of each train)."""
        self._drain(final=True)
        for ch in range(self.n):
            if self.prev[ch] is not None:
                pp, _run, period, f = self.prev[ch]
                self._judge(pp, period, f)
                self.prev[ch] = None

    def _amplitude(self, a):
        t_us, ch, ua = a
        self.stats["amp_changes"] += 1
        t0, ua0 = self.amp_last[ch]
        self.amp_last[ch] = (t_us, ua)
        if ua == 0:
            z = self.zeros[ch]
            z.append(t_us)
            if len(z) > 4096:
                del z[:2048]
        if ua <= ua0:
            return
        w = self._window(t_us)
        if w is None:
            return
        state, _, _, cycling, max_ua, _ = w[1][ch]
        if ua > max_ua:
            self._fail("ch%d amplitude %d uA above its limit %d uA" % (ch + 1, ua, max_ua))
        if state == C.ARMED and ua0 == 0 and ua <= min(C.PROBE_UA, max_ua):
            return        # the electrode check's probe current, at once by design
        rate = rate_bound_ua_s(max_ua, cycling, self.env)
        allowed = rate * ((t_us - t0) // 1000 + TICK_MS) // 1000 + 1
        if ua - ua0 > allowed:
            self._fail("ch%d amplitude %d -> %d uA in %d us: above %d uA (%d uA/s)" % (
                ch + 1, ua0, ua, t_us - t0, allowed, rate))

    # -- dose ------------------------------------------------------------------

    def _probe_end(self, ch, t_us):
        z = self.zeros[ch]
        i = bisect.bisect_left(z, t_us)
        return z[i] if i < len(z) else None

    def _stops(self, ch, t0_us, t1_us):
        z = self.zeros[ch]
        return bisect.bisect_right(z, t1_us) - bisect.bisect_left(z, t0_us)

    def _since(self, ch, t_us):
        # Judged pulses with current that began after t_us (recent ones): one
        # that rose as a stop came at t_us belongs before it.
        r = self.recent[ch]
        return len(r) - bisect.bisect_right(r, t_us)

    def _sessions(self):
        """The dose against the pins: within what is in flight every tick, and
        exactly (but for the engines' blind spots, docs/pulse-engine.md) once
        a session has ended and its last pulse is judged."""
        app = self.sim.app
        now = self.sim.now_us
        judged = self.judged_to
        for i in range(self.n):
            c = app.ctl.chans[i]
            s = self.session[i]
            if c.in_session and (s is None or s[0] != c.session_start_ms):
                # [start on the firmware's clock (it restarts at each boot),
                # probe end us, end us, pulses before the session, board us
                # of the tick that began it]
                since = self.times[-2] if len(self.times) > 1 else 0
                s = self.session[i] = [c.session_start_ms, None, None, None, since]
            if s is None:
                continue
            if s[1] is None:
                s[1] = self._probe_end(i, s[4])
            if s[1] is not None and s[3] is None and judged > s[1]:
                s[3] = self.cnt[i] - self._since(i, s[1])
            if not c.in_session and s[2] is None:
                s[2] = now           # ended: judged once its last pulse is
            if s[3] is None:
                continue
            self.stats["dose_checks"] += 1
            emitted = self.cnt[i] - s[3]
            if s[2] is None:
                stops = self._stops(i, s[1], now)
                if abs(c.dose.pulses - emitted) > _IN_FLIGHT + stops:
                    self._fail("ch%d dose counts %d pulses, the board emitted %d (t %d ms)"
                               % (i + 1, c.dose.pulses, emitted, now // 1000))
            elif judged > s[2] + CUT_US:
                emitted -= self._since(i, s[2])
                stops = self._stops(i, s[1], s[2])
                extra = c.dose.pulses - emitted
                lo, hi = (0, stops) if app.board.PLATFORM == "rp2" else (-stops, 0)
                if not lo <= extra <= hi:
                    self._fail("ch%d session dose %d pulses, the board emitted %d (%d stops)"
                               % (i + 1, c.dose.pulses, emitted, stops))
                self.session[i] = None

    # -- results ----------------------------------------------------------------

    def _fail(self, text):
        if len(self.violations) < 20:
            self.violations.append(text)

    def check(self):
        app = self.sim.app
        if app is not None and app.failed and self.sim.up:
            self._fail("firmware error: %s" % app.failed)
        if self.violations:
            raise Violation("\n".join(self.violations))

    # -- inputs ------------------------------------------------------------------

    def console(self, line, ticks=1):
        if self.sim.up:
            self.sim.send(line)
        self.run(ticks)

    def press(self, button, ticks):
        self.sim.hold(button, True)
        self.run(ticks)
        self.sim.hold(button, False)
        self.run(3)

    def electrode(self, ch, kind, over_ms=1000):
        el = self.sim.electrodes[ch]
        t = self.now_ms
        if kind == "liftoff":
            el.lift_off(t)
        elif kind == "peel":
            el.peel(t, over_ms)
        elif kind == "dry":
            el.dry(t, over_ms, 4.0)
        elif kind == "short":
            el.short(t)
        elif kind == "stage_fault":
            el.stage_fault(t)
        else:
            el.reattach(t)
            # A repaired output stage, as a user would replace the unit.
            el.events = [e for e in el.events if e[1] != "stage_fault"]

    def inject_pulse(self, ch, start_us, pos, gap, neg):
        """Edges of a pulse the firmware did not make, on ch's pads, for the
        rig's own tests: as if something else drove the bridge. start_us must
        lie after the board's time (the board is between two ticks)."""
        import machine
        b = self.sim.board
        a_pin, b_pin = b.PIN_A[ch], b.PIN_B[ch]
        assert start_us >= self.sim.now_us
        edges = machine.state().edges
        edges += [(start_us, a_pin, 1), (start_us + pos, a_pin, 0),
                  (start_us + pos + gap, b_pin, 1), (start_us + pos + gap + neg, b_pin, 0)]

    def outputs_off(self):
        o = self.outputs()
        return not o["hv_on"] and not any(o["amp_ua"]) and not any(o["engine_running"])

    def outputs(self):
        """What is still on, for failure messages: the HV pad, the references
        and the bridge pads, as the probe last saw them."""
        sim = self.sim
        return {"hv_on": bool(sim.probe.hv), "amp_ua": [sim.amp_ua(i) for i in range(self.n)],
                "engine_running": [bool(sim.probe.ch[i].a or sim.probe.ch[i].b)
                                   or (sim.app is not None and sim.up
                                       and sim.app.hw.pulses.running(i))
                                   for i in range(self.n)]}

    def states(self):
        app = self.sim.app
        if app is None or not self.sim.up:
            return [DOWN] * self.n
        return [c.ch.state for c in app.ctl.chans]
