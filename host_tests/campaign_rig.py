# The safety campaign's rig: the whole firmware App on the simulated board
# (tools/sim), stepped tick by tick, with the safety invariants checked from
# what the board emitted (pulses, amplitude writes) against the channel states
# each tick left behind. Nothing here trusts the firmware's view of its own
# output: pulses are counted and judged as the pulse engine recorded them.
#
# A pulse starting in [t, t + TICK) was handed to the engine by the tick at t
# (SimPulseEngine feeds up to the next tick, and a stop drops every pulse not
# yet started), so the window of a pulse is the state the tick at t left.
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
_KEEP_TICKS = 16              # pulses retire within a tick or two of starting
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


class Rig:
    def __init__(self, seed=1, scenario=None, before_boot=None):
        sc = scenario or {"name": "campaign", "duration_s": 1, "events": []}
        self.sim = Simulation(sc, seed=seed)
        if before_boot is not None:
            before_boot(self.sim)
        self.env = limits.Envelope()
        self.sim._boot(0)
        self.k = 0                    # index of the next tick to step
        self.hist = {}                # tick -> per-channel window facts
        self.violations = []
        self.n = 2
        self.app = self.sim.app
        self.runs = [0] * self.n      # engine run id: new each tick it is stopped
        self.prev = [None] * self.n   # pulse waiting for its successor (period)
        self.prev_end = [0] * self.n
        self.full_widths = [None] * self.n
        self.recent = [[] for _ in range(self.n)]
        self.total = [0] * self.n     # pulses drained, per channel
        self.base = [0] * self.n      # pulses before the current session
        self.in_session = [False] * self.n
        self.session_t0 = [None] * self.n
        self.amp_last = [(0, 0)] * self.n
        self.amp_idx = 0
        self.pulse_idx = 0
        self.ticks_run = 0            # ticks the current App was stepped
        self.stats = {"ticks": 0, "pulses": 0, "cut_pulses": 0, "amp_changes": 0,
                      "dose_checks": 0, "boots": 1,
                      "stimulating_ticks": 0}
        self.keepalive = True         # a console line every KEEPALIVE_TICKS
        self.keep_pulses = None       # a list to also keep every pulse in
        self.on_pulse = None          # callback(pulse, window facts of its channel)

    # -- time --------------------------------------------------------------

    def run(self, ticks):
        for _ in range(ticks):
            self.tick()

    def tick(self):
        sim = self.sim
        k = self.k
        t = k * TICK_MS
        boots = sim.boots
        if self.keepalive and sim.down_until < 0 and k % KEEPALIVE_TICKS == 0:
            # A bench host polls the device (the bench tool's monitor does twice a
            # second), which keeps the console's lease on what it started.
            sim.hw.console.send("version")
        sim.step(t)
        self.k += 1
        self.stats["ticks"] += 1
        if sim.boots != boots:
            self._rebooted(t)
        up = sim.down_until < 0
        if up and sim.app is self.app:
            self.ticks_run += 1
        if up and sim.hw.powered_down:
            self._powered_off(t)
            up = False
        self._note_window(k, up)
        self._drain()
        if up:
            self._sessions(t)
        self.hist.pop(k - _KEEP_TICKS, None)

    def _note_window(self, k, up):
        eng = self.sim.hw.pulses
        ctl = self.sim.app.ctl
        area = self.sim.app.settings.area_mm2()
        facts = []
        for i in range(self.n):
            c = ctl.chans[i]
            if not eng.running(i):
                self.runs[i] += 1
            prog = c.program
            state = c.ch.state if up else DOWN
            facts.append((state, self.runs[i], bool(prog is not None and prog.ems),
                          bool(prog is not None and prog.on_ms), c.max_ua, area))
        self.hist[k] = facts
        if facts[0][0] in _STIMULATING or facts[1][0] in _STIMULATING:
            self.stats["stimulating_ticks"] += 1

    def _rebooted(self, t):
        self.stats["boots"] += 1
        self.app = self.sim.app
        self.ticks_run = 0
        for i in range(self.n):
            self.in_session[i] = False
            self.amp_last[i] = (t * 1000, 0)

    def _powered_off(self, t):
        # The device cut its own power: every output must already be off,
        # then it stays off until the user powers it on again (1 s later).
        hw = self.sim.hw
        if hw.hv_on or any(hw.amp_ua) or any(hw.pulses.running(i) for i in range(self.n)):
            self._fail("power down at %d ms left an output on" % t)
        self.sim._reset(t, "power")

    # -- what the board emitted ---------------------------------------------

    def _drain(self):
        sim = self.sim
        eng = sim.hw.pulses
        if eng.record:
            sim.rec.pulses.extend(eng.record)
            eng.record = []
        pulses = sim.rec.pulses
        while self.pulse_idx < len(pulses):
            self._pulse(pulses[self.pulse_idx])
            self.pulse_idx += 1
        if self.keep_pulses is None and self.pulse_idx > 4096:
            del pulses[:self.pulse_idx]
            self.pulse_idx = 0
        amps = sim.rec.amplitude
        while self.amp_idx < len(amps):
            self._amplitude(amps[self.amp_idx])
            self.amp_idx += 1
        if self.amp_idx > 4096:
            del amps[:self.amp_idx]
            self.amp_idx = 0

    def _facts(self, t_us):
        return self.hist.get(t_us // TICK_US)

    def _pulse(self, p):
        ch, start, pos, gap, neg, ua = p
        self.stats["pulses"] += 1
        if self.keep_pulses is not None:
            self.keep_pulses.append(p)
        self.total[ch] += 1
        rec = self.recent[ch]
        rec.append(start)
        if len(rec) > 32:
            del rec[0]
        facts = self._facts(start)
        if facts is None:
            self._fail("pulse %r started in a tick no longer on record" % (p,))
            return
        f = facts[ch]
        if self.on_pulse is not None:
            self.on_pulse(p, f)
        if f[0] in NO_OUTPUT:
            self._fail("pulse %r while channel %d was %s" % (
                p, ch + 1, "down" if f[0] == DOWN else C.STATE_NAMES[f[0]]))
        if pos < 0 or gap < 0 or neg < 0 or ua <= 0:
            self._fail("malformed pulse %r" % (p,))
        # A and B of one channel: the phases of a pulse follow each other by
        # construction; successive pulses must not overlap.
        if start < self.prev_end[ch]:
            self._fail("pulse %r overlaps the previous one (ends %d us)" % (p, self.prev_end[ch]))
        self.prev_end[ch] = start + pos + gap + neg
        prev = self.prev[ch]
        if prev is not None:
            pp, prun, pperiod = prev
            if prun == f[1]:
                self._judge(pp, start - pp[1])
                self.prev[ch] = (p, f[1], start - pp[1])
                return
            self._judge(pp, pperiod)
        self.prev[ch] = (p, f[1], FLOOR_PERIOD_US)

    def _judge(self, p, period):
        ch, start, pos, gap, neg, ua = p
        facts = self._facts(start)
        if facts is None:
            return
        _, _, ems, _, _, area = facts[ch]
        if pos != neg and (start + pos + gap + neg) % TICK_US == 0:
            # Cut short by a stop at a tick: both pins went low at once. Judge
            # its charge at the widths the train was running at.
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
        """Judge the last pulse of each train (no successor to time it by)."""
        self._drain()
        for ch in range(self.n):
            if self.prev[ch] is not None:
                self._judge(self.prev[ch][0], self.prev[ch][2])
                self.prev[ch] = None

    def _amplitude(self, a):
        t_us, ch, ua = a
        self.stats["amp_changes"] += 1
        t0, ua0 = self.amp_last[ch]
        self.amp_last[ch] = (t_us, ua)
        if ua <= ua0:
            return
        facts = self._facts(t_us)
        if facts is None:
            return
        state, _, _, cycling, max_ua, _ = facts[ch]
        if ua > max_ua:
            self._fail("ch%d amplitude %d uA above its limit %d uA" % (ch + 1, ua, max_ua))
        if state == C.ARMED and ua0 == 0 and ua == min(C.PROBE_UA, max_ua):
            return        # the electrode check's probe current, at once by design
        rate = rate_bound_ua_s(max_ua, cycling, self.env)
        allowed = rate * ((t_us - t0) // 1000 + TICK_MS) // 1000 + 1
        if ua - ua0 > allowed:
            self._fail("ch%d amplitude %d -> %d uA in %d us: above %d uA (%d uA/s)" % (
                ch + 1, ua0, ua, t_us - t0, allowed, rate))

    # -- dose ------------------------------------------------------------------

    def _before(self, ch, t_us):
        n = self.total[ch]
        for s in self.recent[ch]:
            if s >= t_us:
                n -= 1
        for pend in self.sim.hw.pulses.trains[ch].pending:
            if pend[0] < t_us:
                n += 1
        return n

    def _sessions(self, t):
        ctl = self.sim.app.ctl
        eng = self.sim.hw.pulses
        for i in range(self.n):
            c = ctl.chans[i]
            new = not self.in_session[i] or self.session_t0[i] != c.session_start_ms
            if c.in_session and new:
                self.session_t0[i] = c.session_start_ms
                self.base[i] = self._before(i, c.session_start_ms * 1000)
            if c.in_session or self.in_session[i]:
                emitted = self.total[i] + len(eng.trains[i].pending) - self.base[i]
                self.stats["dose_checks"] += 1
                if c.dose.pulses != emitted:
                    self._fail("ch%d dose counts %d pulses, the board emitted %d (t %d ms)" % (
                        i + 1, c.dose.pulses, emitted, t))
            self.in_session[i] = c.in_session

    # -- results ----------------------------------------------------------------

    def _fail(self, text):
        if len(self.violations) < 20:
            self.violations.append(text)

    def check(self):
        if self.sim.app.failed and self.sim.down_until < 0:
            self._fail("firmware error: %s" % self.sim.app.failed)
        if self.violations:
            raise Violation("\n".join(self.violations))

    # -- inputs ------------------------------------------------------------------

    def console(self, line, ticks=1):
        if self.sim.down_until < 0:
            self.sim.hw.console.send(line)
        self.run(ticks)

    def press(self, button, ticks):
        if self.sim.down_until < 0:
            self.sim.hw.press(button, True)
        self.run(ticks)
        if self.sim.down_until < 0:
            self.sim.hw.press(button, False)
        self.run(3)

    def electrode(self, ch, kind, over_ms=1000):
        el = self.sim.electrodes[ch]
        t = self.k * TICK_MS
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

    def outputs_off(self):
        hw = self.sim.hw
        return (not hw.hv_on and not any(hw.amp_ua)
                and not any(hw.pulses.running(i) for i in range(self.n)))

    def outputs(self):
        """What is still on, for failure messages."""
        hw = self.sim.hw
        return {"hv_on": hw.hv_on, "amp_ua": list(hw.amp_ua),
                "engine_running": [hw.pulses.running(i) for i in range(self.n)]}

    def states(self):
        return [c.ch.state for c in self.sim.app.ctl.chans]
