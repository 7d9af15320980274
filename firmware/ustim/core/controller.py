# The stimulator's command layer: every way to change the output (buttons,
# console, timers, the electrode watchdog) goes through these methods, so every
# value meets the same envelope. Pure logic: the app feeds it time and pulse
# counts and turns its per-channel outputs (spec + amplitude) into hardware.
#
# Commands return None when done, or (code, message) when refused; codes are
# the console's (docs/protocol.md): not_allowed, out_of_range, bad_argument,
# fault_active, busy.
from micropython import const

from ustim.core import channel as C
from ustim.core import limits
from ustim.core.dose import Dose
from ustim.core.programs import PRESETS, check_program
from ustim.core.sequencer import Sequencer
from ustim.core.session import END_RAMP_MS, Session
from ustim.core.spec import PulseSpec
from ustim.core.ticks import ticks_diff
from ustim.core.usage_log import END_BATTERY, END_ESTOP, END_FAULT, END_STOP, END_TIMER

FULL_SCALE = const(1000)
# The channel states the tick compares against, as literals: C.OFF would be a
# module attribute lookup each time (a test keeps these equal to channel's).
_OFF = const(0)
_ARMED = const(1)
_RAMPING = const(2)
_RUNNING = const(3)
_FAULT = const(6)
E_NOT_ALLOWED = "not_allowed"
E_RANGE = "out_of_range"
E_ARG = "bad_argument"
E_FAULT = "fault_active"
E_BUSY = "busy"

# Module-level tuples: a tuple written inline in tick() would be rebuilt (and
# allocated) on every call on MicroPython.
_ACTIVE = (C.ARMED, C.RAMPING, C.RUNNING, C.STOPPING)
_STOPPABLE = (C.ARMED, C.RAMPING, C.RUNNING, C.PAUSED)


class Output:
    """One channel's hardware demand for this tick."""

    def __init__(self):
        self.spec = PulseSpec()   # the accepted spec the engine should run
        self.ua = 0               # amplitude now (0: engine stopped, output off)
        self.changed = True       # spec differs from what the engine was given


class ChannelCtl:
    def __init__(self, index, env):
        self.ch = C.Channel(index)
        self.seq = Sequencer()
        self.session = Session(env)
        self.dose = Dose(C.N_STATES)
        self.out = Output()
        self.program = None
        self.max_ua = 0            # envelope bound over every spec of the program
        self.session_start_ms = 0
        self.in_session = False
        self.faults = 0
        self.last_tick = 0
        self.end = END_STOP        # how the session is ending (usage_log END_*)


def program_max_ua(env, prog, area_mm2):
    """The highest amplitude the envelope accepts for every pulse spec the
    program can produce (its rate extremes bound them all)."""
    spec = PulseSpec()
    best = -1
    for hz in (prog.hz, prog.alt_hz, prog.sweep_hz):
        if hz <= 0:
            continue
        m = limits.max_amplitude_ua(env, prog.fill_spec(spec, hz), area_mm2)
        if m < 0:
            return -1
        best = m if best < 0 or m < best else best
    return best


class Controller:
    def __init__(self, env, n_channels=2, area_mm2=2500, cap_ua=80000, programs=PRESETS):
        self.env = env
        self.area_mm2 = area_mm2
        self.cap_ua = cap_ua
        self.programs = programs
        self.chans = [ChannelCtl(i, env) for i in range(n_channels)]
        self.session_s = 0          # user timer; 0 = each program's default
        self.session_cap_s = 0      # the settings' longest session; 0 = none
        self.finished = []          # ended sessions waiting for the usage log
        self.on_event = None        # callback(text) for the event log
        self.now_ms = 0
        self.idle = False           # the last tick found every channel idle: no output
        # Battery rules (App.battery, once a second): below start_min_pct no
        # new session starts; at stop_pct every channel ramps down and stops.
        self.battery_pct = 100
        self.start_min_pct = 0
        self.stop_pct = -1

    # -- helpers ----------------------------------------------------------

    def _event(self, text):
        if self.on_event is not None:
            self.on_event(text)

    def _ctl(self, ch):
        if not isinstance(ch, int) or ch < 0 or ch >= len(self.chans):
            return None
        return self.chans[ch]

    def find_program(self, pid):
        for prog in self.programs:
            if prog.pid == pid:
                return prog
        return None

    def _limit_for(self, c):
        if c.program is None:
            return 0
        m = program_max_ua(self.env, c.program, self.area_mm2)
        if m < 0:
            return 0
        return m if m < self.cap_ua else self.cap_ua

    def _refused(self, c, reason):
        if reason is None:
            return None
        if c.ch.state == C.FAULT:
            return (E_FAULT, "channel %d: %s" % (c.ch.index + 1, reason))
        if reason in (C.R_ABOVE_LIMIT, C.R_NEGATIVE, C.R_AT_MAX, C.R_AT_ZERO):
            return (E_RANGE, "channel %d: %s (limit %d uA)" % (c.ch.index + 1, reason, c.max_ua))
        return (E_NOT_ALLOWED, "channel %d: %s (%s)" % (
            c.ch.index + 1, reason, c.ch.state_name()))

    # -- configuration ------------------------------------------------------

    def set_area(self, area_mm2):
        """Electrode pad area; lowers each channel's limit at once if needed."""
        if area_mm2 <= 0:
            return (E_RANGE, "electrode area must be positive")
        self.area_mm2 = area_mm2
        self._relimit()
        return None

    def set_cap(self, cap_ua):
        if cap_ua <= 0 or cap_ua > self.env.max_peak_ua:
            return (E_RANGE, "amplitude cap %d uA outside 1..%d" % (cap_ua, self.env.max_peak_ua))
        self.cap_ua = cap_ua
        self._relimit()
        return None

    def _relimit(self):
        for c in self.chans:
            c.max_ua = self._limit_for(c)
            c.ch.set_limit(c.max_ua)

    def select(self, ch, pid):
        prog = self.find_program(pid)
        if prog is None:
            return (E_ARG, "no program %r" % (pid,))
        return self.select_program(ch, prog)

    def select_program(self, ch, prog):
        """Select a program object (a preset, or a custom one already built)."""
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        if c.ch.state == C.FAULT:
            return (E_FAULT, "channel %d: fault latched: clear it first" % (ch + 1))
        if c.ch.state != C.OFF:
            return (E_BUSY, "channel %d is %s: stop it first" % (ch + 1, c.ch.state_name()))
        bad = check_program(self.env, prog)
        if bad is not None:
            return (E_RANGE, "program %s: %s %s" % (prog.pid, bad[0], bad[1]))
        # The same peak is a different dose on another program (45 mA is 1.4 mA
        # rms on acu, 9 mA rms on tens): a new program starts at target 0, and
        # the user chooses its amplitude anew. The channel is OFF here, where
        # SET_AMP 0 is always accepted.
        c.ch.handle(C.SET_AMP, 0, self.now_ms)
        c.program = prog
        c.seq.load(prog)
        c.session.load(prog)
        c.session.set_length(self._session_length(prog))
        c.out.spec.copy_from(c.seq.spec)
        c.out.changed = True
        c.max_ua = self._limit_for(c)
        c.ch.set_limit(c.max_ua)
        self._event("ch%d select %s" % (ch + 1, prog.pid))
        return None

    def set_session_cap(self, seconds):
        """The longest session of the settings: a session that starts
        afterwards lasts its program's own length, or the timer's, but never
        longer than this (nor than the envelope's max_session_s). Sessions
        already running keep their length."""
        r = limits.check_session(self.env, seconds)
        if r is not None:
            return (E_RANGE, str(r))
        self.session_cap_s = seconds
        return None

    def _capped(self, seconds):
        cap = self.session_cap_s
        return cap if 0 < cap < seconds else seconds

    def _session_length(self, prog):
        return self._capped(self.session_s if self.session_s else prog.session_s)

    def set_timer(self, minutes):
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            return (E_ARG, "minutes must be an integer")
        r = limits.check_session(self.env, minutes * 60)
        if r is not None:
            return (E_RANGE, str(r))
        self.session_s = minutes * 60
        for c in self.chans:
            c.session.set_length(self._capped(self.session_s))
        return None

    def timer_lengthens(self, minutes):
        """True if set_timer(minutes) would make any session longer: one that
        has a program on a channel now, or one any program would run later."""
        new = self._capped(minutes * 60)
        for c in self.chans:
            if c.program is not None and new > c.session.length_s:
                return True
        if self.session_s:
            return new > self._capped(self.session_s)
        for prog in self.programs:
            if new > self._capped(prog.session_s):
                return True
        return False

    # -- commands -----------------------------------------------------------

    def start(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        if c.program is None:
            return (E_NOT_ALLOWED, "channel %d: select a program first" % (ch + 1))
        if c.ch.state == C.OFF and self.battery_pct < self.start_min_pct:
            # A session that starts now could not end before the supply sags.
            # The first 16 characters are what the OLED's notice line shows.
            return (E_NOT_ALLOWED, "Battery low %d%%: a session needs %d%% or more, charge "
                    "first" % (self.battery_pct, self.start_min_pct))
        if c.ch.state == C.OFF:
            if c.session.expired:
                c.session.reset()
            c.session.set_length(self._session_length(c.program))
        r = self._refused(c, c.ch.handle(C.START, 0, self.now_ms))
        if r is None:
            self._event("ch%d start %s" % (ch + 1, c.program.pid))
        return r

    def electrode_check(self, ch, ok, reason=None):
        """Result of the pre-start electrode check for a channel in ARMED."""
        c = self.chans[ch]
        if ok:
            r = c.ch.handle(C.CHECK_OK, 0, self.now_ms)
            if r is None:
                self._begin_session(c)
        else:
            r = c.ch.handle(C.CHECK_FAIL, reason, self.now_ms)
            if r is None:
                self._event("ch%d start refused: %s" % (ch + 1, reason))
        return self._refused(c, r)

    def _begin_session(self, c):
        if not c.in_session:
            c.in_session = True
            c.end = END_STOP
            c.dose.reset()
            c.session_start_ms = self.now_ms
        c.session.start(self.now_ms)

    def stop(self, ch, end=END_STOP):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        was = c.ch.state
        r = c.ch.handle(C.STOP, 0, self.now_ms)
        if r is None:
            if was != C.STOPPING:
                # A stop in the timer's end ramp: the session still ended by the timer.
                c.end = end
            self._event("ch%d stop" % (ch + 1))
        return self._refused(c, r)

    def emergency_stop(self):
        """Every channel off at once, from any state (never refused)."""
        for c in self.chans:
            c.ch.handle(C.ESTOP, 0, self.now_ms)
            c.end = END_ESTOP
            c.out.ua = 0
            c.session.pause(self.now_ms)
        self._event("emergency stop")
        return None

    def battery(self, pct):
        """A battery reading. At or below stop_pct every channel that ramps,
        runs or is paused is stopped (its ramp down), channel 1 first: True
        when any was, for the app's notice."""
        self.battery_pct = pct
        if pct > self.stop_pct:
            return False
        stopped = False
        for c in self.chans:
            if c.ch.state in _STOPPABLE and c.ch.handle(C.STOP, 0, self.now_ms) is None:
                c.end = END_BATTERY
                self._event("ch%d stop: battery %d%%" % (c.ch.index + 1, pct))
                stopped = True
        return stopped

    def pause(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        r = c.ch.handle(C.PAUSE, 0, self.now_ms)
        if r is None:
            c.session.pause(self.now_ms)
            c.out.ua = 0
            self._event("ch%d pause" % (ch + 1))
        return self._refused(c, r)

    def resume(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        r = c.ch.handle(C.RESUME, 0, self.now_ms)
        if r is None:
            c.session.start(self.now_ms)
            self._event("ch%d resume" % (ch + 1))
        return self._refused(c, r)

    def set_amp(self, ch, ua):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        if not isinstance(ua, int) or isinstance(ua, bool):
            return (E_ARG, "amplitude must be an integer")
        if c.program is None:
            return (E_NOT_ALLOWED, "channel %d: select a program first" % (ch + 1))
        return self._refused(c, c.ch.handle(C.SET_AMP, ua, self.now_ms))

    def up(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        return self._refused(c, c.ch.handle(C.UP, 0, self.now_ms))

    def down(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        return self._refused(c, c.ch.handle(C.DOWN, 0, self.now_ms))

    def fault(self, ch, kind):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        was = c.ch.state
        r = c.ch.handle(C.FAULT_EV, kind, self.now_ms)
        if r is None:
            c.out.ua = 0
            c.session.pause(self.now_ms)
            if was != C.FAULT:
                c.faults += 1
                self._event("ch%d FAULT %s" % (ch + 1, C.FAULT_NAMES[kind]))
        return self._refused(c, r)

    def clear(self, ch):
        c = self._ctl(ch)
        if c is None:
            return (E_ARG, "no channel %r" % (ch,))
        r = c.ch.handle(C.CLEAR_FAULT, 0, self.now_ms)
        if r is None:
            self._event("ch%d fault cleared" % (ch + 1))
        return self._refused(c, r)

    # -- the control tick ---------------------------------------------------

    def tick(self, now_ms):
        """Advance every channel to now_ms and compute its Output. Allocates
        nothing in the steady state; an idle channel (OFF or FAULT outside a
        session) costs a few comparisons, a steady one (level reached, one
        rate, no contraction cycle, not in the session's end ramp) no call but
        the session timer's. This runs every 10 ms: each Python call costs
        some 25 us on an RP2040, so the steady path is written out here."""
        idle = True
        for c in self.chans:
            ch = c.ch
            state = ch.state
            if not c.in_session and (state == _OFF or state == _FAULT):
                # Nothing moves: no dose or session time outside a session, no
                # output. select_program has already handed over the spec.
                c.last_tick = now_ms
                c.out.ua = 0
                continue
            idle = False
            dt = ticks_diff(now_ms, c.last_tick)
            c.last_tick = now_ms
            if 0 < dt < 60000:
                c.dose.state_ms[state] += dt
            ses = c.session
            if (state == _RAMPING or state == _RUNNING) and ses.tick(now_ms):
                ch.handle(C.TIMER_EXPIRED, 0, now_ms)
                c.end = END_TIMER
            if state != _RUNNING or ch.seg_ms:
                ch.tick(now_ms)
            state = ch.state
            scale = FULL_SCALE
            seq = c.seq
            if c.program is not None and (seq.pending or not seq.static):
                scale = seq.tick(ses.elapsed_ms)
                if seq.changed:
                    c.out.spec.copy_from(seq.spec)
                    c.out.changed = True
            if state == _ARMED:
                ua = ch.output_ua()
            else:
                # Outside ARMED the output is the level (0 in every off state).
                ua = ch.level_ua
                # Contraction ramps and rests, then the session's end ramp.
                if scale != FULL_SCALE:
                    ua = ua * scale // FULL_SCALE
                if ses.length_s * 1000 - ses.elapsed_ms < END_RAMP_MS:
                    ua = ua * ses.scale() // FULL_SCALE
            if ua > c.max_ua:
                # Unreachable by construction; refuse rather than exceed.
                ch.handle(C.FAULT_EV, C.FAULT_INTERNAL, now_ms)
                ua = 0
            c.out.ua = ua
            state = ch.state
            if c.in_session and (state == _OFF or state == _FAULT):
                self._end_session(c, now_ms)
        self.idle = idle
        self.now_ms = now_ms

    def account(self, ch, pulses, ua):
        """The engine delivered `pulses` pulses at `ua` since the last tick."""
        c = self.chans[ch]
        c.dose.add_pulses(c.out.spec, ua, pulses)

    def _end_session(self, c, now_ms):
        c.in_session = False
        d = c.dose
        # The usage log keeps one polarity's charge (both are equal: balanced).
        pos_nc, _neg_nc = d.charge_nc()
        self.finished.append((
            c.ch.index, c.program.num if c.program else 0,
            ticks_diff(now_ms, c.session_start_ms) // 1000, d.peak_ua, d.mean_ua(),
            pos_nc, c.ch.fault_kind, END_FAULT if c.ch.fault_kind else c.end))
        self._event("ch%d session ended (%s)" % (
            c.ch.index + 1, C.FAULT_NAMES[c.ch.fault_kind] if c.ch.fault_kind else "ok"))

    def any_active(self):
        for c in self.chans:
            if c.ch.state in _ACTIVE:
                return True
        return False
