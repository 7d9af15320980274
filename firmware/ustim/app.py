# The device application: a cyclic executive with a fixed 10 ms control tick.
#
# step(now_ms), every TICK_MS:
#   1. sense: current and peak voltage of the latest pulse per channel
#   2. electrode guard per channel: pre-start check (ARMED) or watchdog, whose
#      faults go through the controller and cut the output in this same tick
#   3. buttons -> menu -> actions; console bytes -> one command per line,
#      answered at the latest in the tick after the one that read it whole
#      (a tick that read bytes or handled keys answers no line it read)
#   4. controller tick: channel state machines, sequencer, session, envelope
#   5. outputs: pulse engine configured/started/stopped, amplitude, HV enable,
#      engine fed (service); pulses that began since the last tick are
#      counted into the dose at the level the reference held meanwhile; a
#      level change that would wait long for a quiet moment between pulses is
#      made at the end of the tick instead (after 6)
#   6. UI: every UI_EVERY ticks (or at once after a key) a look at what
#      changed, over two ticks (the model, then the screen); a new screen is
#      drawn in parts over the next ticks, the home screen updated field by
#      field, in parts as the tick has time; other ticks send a few changed
#      chunks (hal.display.BYTES_PER_FLUSH at most, as many as the tick has
#      room for) to the OLED. A piece with no room before UI_END_US waits
#      for a later tick, at most 2 * UI_HOLDS ticks
#   7. the hardware watchdog is fed: only here, only after a complete tick
# Any exception: every output off in the same tick, the error kept for the
# screen and the error file, and `failed` set; main.py then resets the board
# (nothing resumes after a reset: channels always boot OFF at amplitude 0).
#
# hw is the board bundle (main.py builds it from hal/; the simulated board
# runs the same): pulses (hal.pulse interface), amp.set(ch, ua), amp.ua
# (what each reference is set to, uA) and amp.finish_pulse(ch), hv.set(on),
# sense (hal.sense.Sense), buttons (hal.buttons.ButtonPins), display
# (hal.display.Display or None), console.read() -> bytes/None and
# console.write(text) (console.lend/holds too, optional: hal.stdio_console),
# battery_pct(), wdt_feed(), outputs_off(), ticks_us(), power_down().
import sys

from micropython import const

from ustim import VERSION
from ustim.core import channel as C
from ustim.core import limits
from ustim.core import settings as S
from ustim.core.buttons import Buttons
from ustim.core.console import Console
from ustim.core.controller import Controller
from ustim.core.electrode_guard import NO_EVENT, ElectrodeGuard
from ustim.core.programs import PLACEMENTS, PRESETS
from ustim.core.ticks import ticks_diff
from ustim.core.ui import menu as M
from ustim.core.ui import screens, view
from ustim.core.ui.refresh import CHUNK
from ustim.core.usage_log import DEFAULT_SLOTS, NO_PAIN, PAD_UNIT_S, UsageLog
from ustim.core.watchdog import config

TICK_MS = const(10)
UI_EVERY = const(10)         # redraw at most every 100 ms unless a key was pressed
BATTERY_EVERY = const(10)    # UI looks between battery readings (once a second)
# The active states (_ACTIVE below) as literals for the per-tick tests (ARMED..
# RUNNING and STOPPING): C.ARMED would be a module attribute lookup each time.
# Defined before their use, or MicroPython does not fold them; a test keeps
# them equal to the channel's.
_ARMED = const(1)
_RUNNING = const(3)
_STOPPING = const(5)
ERROR_FILE = "error.txt"
PROGRAMS_FILE = "programs.json"   # custom programs, next to settings.json
_PARSER = "ustim.core.custom"
_REFUSALS_KEPT = const(8)   # refused programs listed by selftest (the notice list's size)
# A train that is on puts out a pulse at least once a cycle of every spec it has
# had since its start: twice the longest and this margin (the count is taken
# once a tick) without one, and it has stopped (_stalled).
STALL_MARGIN_MS = const(50)
# The screen takes what the tick leaves, its pieces timed to end by UI_END_US
# of the tick (an RP2040's figures, docs/performance.md): a piece of drawing
# (a part of a screen, the look, a part of the home screen's update: up to
# UI_PART_US each) waits for a tick that has used no more than UI_END_US -
# UI_PART_US (the console's line read, its answer and its reply sent, a key's
# action: each its tick, and several may come in a row). A flush sends the
# 16-byte chunks that fit, FLUSH_CHUNK_US each (bus and driver time), three
# (BYTES_PER_FLUSH) at most, and waits when none fits. A piece waits UI_HOLDS
# ticks running, then UI_HOLDS more for a tick under UI_FORCE_US, then goes in
# any tick: the screen is late by 80 ms at most, never stuck.
UI_END_US = const(4600)
UI_PART_US = const(2300)
UI_HOLDS = const(4)
UI_FORCE_US = const(3300)
FLUSH_CHUNK_US = const(1200)
# A level change that would wait longer than this for a quiet moment between
# pulses (up to a pulse and the reference's settling, 2.4 ms) is made at the
# end of the tick instead, after the console and the screen: the wait is then
# what is left of it.
LEVEL_NOW_US = const(300)


def stall_limit_ms(spec):
    return 2 * spec.cycle_us() // 1000 + STALL_MARGIN_MS


class App:
    def __init__(self, board, hw, storage, reset_cause=0, now_ms=0):
        self.board = board
        self.hw = hw
        self.storage = storage
        self.failed = None
        self.notices = []
        self.view = view.View()     # first: notices land on it from here on
        hw.outputs_off()
        self.env = limits.Envelope(getattr(board, "LIMITS", None))
        self.settings, notice = S.load(storage)
        self._notice(notice)
        programs, refused = load_programs(storage, self.env)
        # Each refused entry is a notice; the first few are kept for `selftest`.
        self.refused_programs = [text for text, _ in refused[:_REFUSALS_KEPT]]
        for text, short in refused:
            self._notice(text, short)
        n = board.CHANNELS
        self.ctl = Controller(self.env, n, self.settings.area_mm2(),
                              min(self.settings.max_ua(), self.env.max_peak_ua), programs)
        # A board's own session cap may be below the setting: the lower one holds.
        self._report(self.ctl.set_session_cap(min(self.settings.session_s(),
                                                  self.env.max_session_s)))
        ctl = self.ctl
        ctl.start_min_pct = getattr(board, "BATTERY_START_PCT", limits.BATTERY_START_PCT)
        ctl.stop_pct = getattr(board, "BATTERY_STOP_PCT", limits.BATTERY_STOP_PCT)
        self.view.start_min_pct = ctl.start_min_pct
        cfg = config(board)
        self.guards = [ElectrodeGuard(cfg) for _ in range(n)]
        # A board may size the ring for its flash (docs/boards.md): a year by default.
        self.log = UsageLog(storage, slots=getattr(board, "USAGE_LOG_SLOTS", DEFAULT_SLOTS))
        self._notice(self.log.open())
        # Diary and skin care: the pain score given before each channel's
        # session, the records waiting for the score after it, stimulation
        # seconds on each channel's pads (from its newest record), and the
        # channels whose skin reminder is due.
        self.pain_before = [NO_PAIN] * n
        self._diary = 0             # bit per channel: its session was started with the diary
        self._ask_after = []        # seqs of records waiting for the pain after
        self.pad_s = [self.log.last_pad10[i] * PAD_UNIT_S for i in range(n)]
        self._skin = 0              # bit per channel: the reminder is due
        self._check_skin()
        self.clock_offset_s = 0     # wall clock seconds at boot (console `clock`); 0: not set
        # A port that takes `status` in its own buffer gets it so (allocation free).
        self.console = Console(self.ctl, self, hw.console.write,
                               hw.console if hasattr(hw.console, "lend") else None)
        self.console.lease_ms = self.settings.lease_ms()
        self.buttons = Buttons()
        self.menu = M.Menu(now_ms)
        self.view.version = VERSION
        self.view.programs = tuple(p.name for p in self.ctl.programs)
        self.view.program_place = tuple(getattr(p, "place", 0) for p in self.ctl.programs)
        self.view.placements = PLACEMENTS
        self.reset_cause = reset_cause
        name = reset_cause_name(reset_cause)
        if name != _POWER_ON:
            # A normal power-on says nothing; any other reset is shown until
            # the next notice (and lands in the notice list for `selftest`).
            self._notice("Reset: " + name)
        self._chans = tuple(c.ch for c in self.ctl.chans)
        self.acct = [0] * n         # engine feed counters when the dose last counted them
        self.delivered = [0] * n    # pulses that began between the last two ticks
        self._quiet = False         # last _outputs: engine stopped, amplitudes 0, nothing began
        self.set_ua = [0] * n       # amplitude commanded at the last tick
        self.ran_ua = [0] * n       # what the reference was set to since the last tick
        self.ran_session = [False] * n  # the channel was in a session since the last tick
        self.pulse_ms = [now_ms] * n    # when the engine's count last rose, or the train started
        self.stall_ms = [0] * n         # no rise for longer than this: the train stopped
        self.ticks = 0
        self.worst_tick_us = 0
        self.overruns = 0
        self.last_ms = now_ms
        self.ui_due = 0
        self._part = -1             # part of a screen drawing due next tick (-1: none)
        self._shown = -1            # screen on the frame (-1: nothing drawn yet)
        self._sig = 0               # screens.signature of what the frame shows
        self._t0 = 0                # ticks_us at the start of this tick
        self._ui_held = 0           # ticks running the screen's work has waited
        self._late = 0              # bit per channel: its level change is at the tick's end
        self._home_part = 0         # the home screen's part the update does next
        self.error_text = self._last_error()
        self._bat_due = 0
        self._fill_view()
        self._fill_settings()

    # -- host interface for the console --------------------------------------

    def console_enabled(self):
        return self.settings.console

    def bench_enabled(self):
        return self.settings.bench

    def version(self):
        return VERSION

    def impedance(self, ch):
        z = self.guards[ch].watchdog.z_ohm
        return z if z >= 0 else None

    def log_records(self, n, before=-1):
        return self.log.newest(n, before) if n > 0 else []

    def clock(self):
        if not self.clock_offset_s:
            return None
        return self.clock_offset_s + self.ctl.now_ms // 1000

    def set_clock(self, wall_s):
        """The wall clock (Unix seconds) from the console: usage-log start times
        use it from now on (until the next reset)."""
        self.clock_offset_s = wall_s - self.ctl.now_ms // 1000

    def selftest(self):
        sense = self.hw.sense
        out = []
        for ch in range(len(self.guards)):
            idle = self.ctl.chans[ch].out.ua == 0
            i = sense.i_ua[ch]
            out.append(("sense ch%d idle" % (ch + 1), (not idle) or i < 500, "%d uA" % i))
            out.append(("pulses ch%d" % (ch + 1), idle or self.hw.pulses.running(ch), ""))
        out.append(("settings", True, self.settings_notice()))
        for text in self.refused_programs:
            out.append((PROGRAMS_FILE, False, text))
        return out

    def settings_notice(self):
        return self.notices[-1] if self.notices else "ok"

    def replies_lost(self):
        return getattr(self.hw.console, "lost", 0)

    def notice(self, text):
        self._notice(text)

    def set_lock(self, on):
        """The channel lock from the console: saved like the menu's setting."""
        self._setting(view.SET_LOCK, 1 if on else 0)
        return None

    def sense(self, ch):
        s = self.hw.sense
        return self.set_ua[ch], s.i_ua[ch], s.v_mv[ch], self.board.COMPLIANCE_MV

    # -- the control tick ------------------------------------------------------

    def step(self, now_ms):
        if self.failed is not None:
            # Failed once: stay off (and unfed, so the watchdog resets the
            # board) even if the caller keeps stepping.
            return False
        hw = self.hw
        t0 = self._t0 = hw.ticks_us()
        try:
            self._step(now_ms)
        except Exception as e:      # noqa: BLE001 - every failure ends the same way
            self.fail(e)
            return False
        dt = ticks_diff(hw.ticks_us(), t0)
        if dt > self.worst_tick_us:
            self.worst_tick_us = dt
        if dt > TICK_MS * 1000:
            self.overruns += 1
        hw.wdt_feed()
        return True

    def _step(self, now_ms):
        hw = self.hw
        ctl = self.ctl
        gap = ticks_diff(now_ms, self.last_ms)
        if gap > 2 * TICK_MS and self.ticks:
            self.overruns += 1
        self.last_ms = now_ms
        self.ticks += 1
        ctl.now_ms = now_ms
        # 1-2: sense, then the guard of each channel that outputs or probes.
        # With none of them the readings are not needed but for the screen and
        # `status`: taken once per UI period.
        chans = self._chans
        watched = False
        for ch in chans:
            s = ch.state
            if _ARMED <= s <= _RUNNING or s == _STOPPING:
                watched = True
        sense = hw.sense
        if watched or self.ui_due == 1:
            sense.read()
        if watched:
            i = 0
            for ch in chans:
                s = ch.state
                if _ARMED <= s <= _RUNNING or s == _STOPPING:
                    g = self.guards[i]
                    ev = g.step(ch, self.set_ua[i], sense.i_ua[i], sense.v_mv[i],
                                self.delivered[i], now_ms)
                    if ev != NO_EVENT:
                        self._guard_event(i, ev, g.arg)
                i += 1
        # 3: people. What they ask can take milliseconds (a menu action, a
        # console reply: `status` 2-3 ms on an RP2040), and the engine's feed
        # is after it: the FIFO is topped up first, so the pulses due in the
        # meantime are there (at 150 Hz it holds 13 ms).
        btn = self.buttons
        keys = hw.buttons.poll_into(btn, now_ms)
        con = self.console
        q = con.input
        waiting = q.count or q.owed
        data = hw.console.read()
        if data:
            con.feed(data)
        if keys or q.count or q.owed:
            hw.pulses.service()
        if keys:
            ev = btn.get()
            while ev:
                self._act(self.menu.key(ev, self.view, now_ms))
                self.ui_due = 0
                ev = btn.get()
        # Reading a line (a byte a call on USB) and answering it (`status`: 2 ms)
        # in one tick, or answering after the keys' actions, is more than a
        # tick should carry on an RP2040: a tick that read bytes or handled
        # keys answers only a line that was complete before it. A line is
        # answered at most a tick after it came in whole.
        if waiting or not (data or keys):
            con.poll()
        else:
            con.check_lease()
        # 4-5: logic, then the hardware.
        ctl.tick(now_ms)
        self._outputs()
        if ctl.finished:
            self._write_log(now_ms)
        # 6: the screen, with the time the tick has used so far.
        self._ui(now_ms, ticks_diff(hw.ticks_us(), self._t0))
        if self._late:
            self._late_levels()

    def _guard_event(self, ch, ev, arg):
        ctl = self.ctl
        if ev == C.CHECK_OK:
            ctl.electrode_check(ch, True)
        elif ev == C.CHECK_FAIL:
            ctl.electrode_check(ch, False, arg)
            self._notice(arg)
        elif ev == C.FAULT_EV:
            ctl.fault(ch, arg)

    def _outputs(self):
        hw = self.hw
        if self._quiet and self.ctl.idle:
            # Nothing ran last tick and nothing is asked for: the engine is
            # stopped, every amplitude 0. HV is still written every tick, and
            # the engine serviced (its interface promises a call per tick).
            hw.hv.set(False)
            hw.pulses.service()
            return
        eng = hw.pulses
        on = eng.on
        set_ua = self.set_ua
        active = False
        i = 0
        for c in self.ctl.chans:
            out = c.out
            ua = out.ua
            if ua > 0:
                if out.changed:
                    eng.configure(i, out.spec)
                    out.changed = False
                    if on[i]:
                        # The pulses of the earlier spec may still come: while
                        # the train runs its bound only grows.
                        limit = stall_limit_ms(out.spec)
                        if limit > self.stall_ms[i]:
                            self.stall_ms[i] = limit
                if ua != set_ua[i] and hw.amp.set(i, ua, LEVEL_NOW_US) < 0:
                    self._late |= 1 << i
                if not on[i]:
                    # The supply before the first pulse: what follows in
                    # this loop may wait (hal/amplitude.py).
                    hw.hv.set(True)
                    eng.start(i)
                    self.pulse_ms[i] = self.ctl.now_ms
                    self.stall_ms[i] = stall_limit_ms(out.spec)
                    # Its pulses may begin before service() below: at this level.
                    self.ran_ua[i] = hw.amp.ua[i]
                    self.ran_session[i] = c.in_session
                active = True
            else:
                s = c.ch.state
                if on[i]:
                    if _ARMED <= s <= _RUNNING or s == _STOPPING:
                        # The level came to 0 in a running channel (the
                        # probe's end, a ramp's, a contraction's rest): the
                        # pulse in progress ends whole. Faults and stops cut.
                        hw.amp.finish_pulse(i)
                    eng.stop(i)
                if set_ua[i]:
                    hw.amp.set(i, 0)
                if _ARMED <= s <= _RUNNING or s == _STOPPING:
                    active = True
            i += 1
        hw.hv.set(active)
        eng.service()
        fed = eng.fed
        acct = self.acct
        ctl = self.ctl
        level = hw.amp.ua
        ran = self.ran_ua
        ran_session = self.ran_session
        quiet = not active
        now = ctl.now_ms
        last = self.pulse_ms
        i = 0
        for c in ctl.chans:
            # Pulses that began since the last tick (the engine counts what
            # came out, hal/pulse.py) ran at what the reference held since
            # then, in the session (or not) of then: that is what the dose
            # sees. The electrode check's probe pulses are in no session.
            n = fed[i] - acct[i]
            acct[i] = fed[i]
            # ... and the sense readings the guard takes at the next tick are of them.
            self.delivered[i] = n
            if n > 0:
                if ran_session[i]:
                    ctl.account(i, n, ran[i])
                quiet = False
                last[i] = now
            elif on[i] and ticks_diff(now, last[i]) > self.stall_ms[i]:
                self._stalled(i)
            ua = c.out.ua
            set_ua[i] = ua
            ran[i] = level[i]
            ran_session[i] = c.in_session
            if ua or on[i]:
                quiet = False
            i += 1
        self._quiet = quiet

    def _late_levels(self):
        # The level changes _outputs put off (their quiet moment was far):
        # made now, each waiting what is left of its wait. The pulses that
        # began since _outputs ran at the level before: counted at it first.
        hw = self.hw
        eng = hw.pulses
        late = self._late
        self._late = 0
        for i in range(len(self.set_ua)):
            if late >> i & 1:
                hw.amp.set(i, self.set_ua[i])
                eng.service()
                n = eng.fed[i] - self.acct[i]
                if n > 0:
                    self.acct[i] = eng.fed[i]
                    self.delivered[i] += n
                    if self.ran_session[i]:
                        self.ctl.account(i, n, self.ran_ua[i])
                    self.pulse_ms[i] = self.ctl.now_ms
                self.ran_ua[i] = hw.amp.ua[i]

    def _stalled(self, ch):
        # The engine is on and nothing has come out for longer than its
        # program allows: its pulses cannot be trusted (a word read out of
        # order makes a phase up to 65 ms long, docs/pulse-engine.md). Off
        # now, not at the next tick, and a fault to clear by hand.
        hw = self.hw
        self._late &= ~(1 << ch)
        hw.pulses.stop(ch)
        hw.amp.set(ch, 0)
        self.ctl.fault(ch, C.FAULT_INTERNAL)
        self._notice("ch%d: pulses stopped coming: off" % (ch + 1), "ch%d: no pulses" % (ch + 1))

    def _write_log(self, now_ms):
        log = self.log
        for rec in self.ctl.finished:
            ch, num, dur, peak, mean, charge, fault, end = rec
            pad = self.pad_s[ch] + dur
            self.pad_s[ch] = pad
            pad10 = pad // PAD_UNIT_S
            start = now_ms // 1000 - dur + self.clock_offset_s
            pain = self.pain_before[ch]
            self.pain_before[ch] = NO_PAIN
            # append() returns None when written, else a notice for the screen.
            r = log.append(start if start > 0 else 0, num, ch, dur, peak, mean, charge, fault,
                           end, pain, NO_PAIN, pad10 if pad10 < 255 else 255)
            self._notice(r)
            if r is None and self._diary >> ch & 1:
                self._ask_after.append(log.last_seq[ch])
            self._diary &= ~(1 << ch)
        self.ctl.finished.clear()
        self._check_skin()
        self._refresh_log_view()

    def _check_skin(self):
        due = self.settings.skin_h * 3600
        if due:
            for ch in range(len(self.pad_s)):
                if self.pad_s[ch] >= due:
                    self._skin |= 1 << ch

    def _prompt(self):
        # At a UI look with the home screen up and nothing running: the
        # diary's question after a session, then the skin reminder.
        if not self.ctl.idle:
            return
        if self._ask_after:
            if self.settings.diary:
                self.menu.ask_pain_after()
                return
            self._ask_after = []
        if self._skin:
            self.menu.remind_skin()

    def _pain_after(self, score):
        if score != NO_PAIN:
            for seq in self._ask_after:
                self._notice(self.log.amend(seq, score))
        self._ask_after = []

    def _pads_moved(self):
        for ch in range(len(self.pad_s)):
            if self._skin >> ch & 1:
                self.pad_s[ch] = 0
                # The channel's newest record carries its pad time over a reset.
                if self.log.last_seq[ch] >= 0:
                    self._notice(self.log.amend(self.log.last_seq[ch], -1, 0))
        self._skin = 0
        self._notice("Pad time reset")

    # -- buttons and menu actions -------------------------------------------

    def _act(self, action):
        ctl = self.ctl
        m = self.menu
        if action == M.A_NONE:
            return
        if action == M.A_STOP_ALL:
            # Output off in this tick: _outputs() runs after the buttons.
            ctl.emergency_stop()
            return
        if action == M.A_POWER_DOWN:
            self.power_down()
            return
        if action == M.A_STUCK:
            self._notice("Button stuck: ignored")
            return
        if action == M.A_TIMER:
            self._report(ctl.set_timer(m.arg))
            return
        if action == M.A_SETTING:
            self._setting(m.arg, m.arg2)
            return
        if action == M.A_PAIN:
            self._pain_after(m.arg2)
            return
        if action == M.A_PADS_MOVED:
            self._pads_moved()
            return
        if action == M.A_KEYLOCK:
            self._notice("Keys locked" if m.keys_locked else "Keys unlocked")
            return
        if action == M.A_LOCKED:
            self._notice("Keys locked: hold UP+DOWN 2 s to unlock")
            return
        chans = range(len(ctl.chans)) if m.arg == M.CH_ALL else (m.arg,)
        for ch in chans:
            if action == M.A_START:
                r = ctl.start(ch)
                if r is None:
                    # Started by someone at the device: not the console's to stop.
                    self.console.release(ch)
                    if self.settings.diary:
                        self._diary |= 1 << ch
                        self.pain_before[ch] = m.arg2
                self._report(r)
            elif action == M.A_STOP:
                self._report(ctl.stop(ch))
            elif action == M.A_UP:
                self._report(ctl.up(ch))
            elif action == M.A_DOWN:
                self._report(ctl.down(ch))
            elif action == M.A_PROGRAM:
                self._report(ctl.select(ch, ctl.programs[m.arg2].pid))
            elif action == M.A_CLEAR_FAULT:
                self._report(ctl.clear(ch))

    def _setting(self, sid, value):
        names = ("max_ma", "pad", "contrast", "console", "bench", "session_min", "lease_s",
                 "lock", "diary", "skin_h")
        if sid == view.SET_PAD:
            value = S.PAD_CHOICES[value]
        elif sid in M.ON_OFF_SETTINGS:
            value = bool(value)
        before = getattr(self.settings, names[sid])
        reason = self.settings.set(names[sid], value)
        if reason is not None:
            self._notice("%s: %s" % (names[sid], reason))
            return
        if sid == view.SET_SESSION:
            refused = self.ctl.set_session_cap(self.settings.session_s())
            if refused is not None:
                # A board may cap sessions below the menu's choices: a refused
                # choice changes nothing, in the settings either.
                self.settings.set(names[sid], before)
                self._notice(refused[1])
                return
        elif sid == view.SET_MAX_MA:
            self._report(self.ctl.set_cap(min(self.settings.max_ua(), self.env.max_peak_ua)))
        elif sid == view.SET_PAD:
            self._report(self.ctl.set_area(self.settings.area_mm2()))
        elif sid == view.SET_CONTRAST and self.hw.display is not None:
            self.hw.display.contrast(value)
        elif sid == view.SET_LEASE:
            self.console.lease_ms = self.settings.lease_ms()
        self._notice(S.save(self.storage, self.settings))
        self._fill_settings()

    def _report(self, refusal):
        if refusal is not None:
            self._notice(refusal[1])

    def _notice(self, text, short=None):
        # short: what the OLED shows when text is longer than its notice
        # lines hold (screens.wrap).
        if text:
            self.notices.append(text)
            if len(self.notices) > 8:
                self.notices.pop(0)
            screens.post_notice(self.view, short or text)

    # -- the screen --------------------------------------------------------------

    def _fill_view(self):
        v = self.view
        ctl = self.ctl
        fault_kind = 0
        fault_ch = 0
        remaining = 0
        for c in ctl.chans:
            i = c.ch.index
            ch = c.ch
            v.state[i] = ch.state
            v.target_ua[i] = ch.target_ua
            v.level_ua[i] = c.out.ua
            v.max_ua[i] = c.max_ua if c.max_ua else ctl.cap_ua
            v.program[i] = c.program.name if c.program is not None else ""
            v.electrode[i] = _ELECTRODE[self.guards[i].watchdog.status]
            if ch.state == C.FAULT and not fault_kind:
                fault_kind = ch.fault_kind
                fault_ch = i
            if ch.state in _ACTIVE or ch.state == C.PAUSED:
                r = c.session.remaining_s()
                remaining = r if r > remaining else remaining
        v.fault_kind = fault_kind
        v.fault_ch = fault_ch
        v.remaining_s = remaining
        # Written out, not menu.linked(v): this runs at every UI look.
        st = v.state
        v.linked = (v.settings[view.SET_LOCK] == 1 and len(ctl.chans) > 1
                    and _ARMED < st[0] <= _RUNNING and _ARMED < st[1] <= _RUNNING)
        # A cell's charge moves in minutes: read once a second, not every look.
        self._bat_due -= 1
        if self._bat_due <= 0:
            self._bat_due = BATTERY_EVERY
            pct = self.hw.battery_pct()
            v.battery_pct = pct
            if self.ctl.battery(pct):
                self._notice("Battery empty: channels stopped at %d%%" % pct)

    def _fill_settings(self):
        # At boot and after each change: the view's copy of the settings.
        v = self.view
        st = self.settings
        v.settings[view.SET_MAX_MA] = st.max_ma
        v.settings[view.SET_PAD] = S.PAD_CHOICES.index(st.pad)
        v.settings[view.SET_CONTRAST] = st.contrast
        v.settings[view.SET_CONSOLE] = 1 if st.console else 0
        v.settings[view.SET_BENCH] = 1 if st.bench else 0
        v.settings[view.SET_SESSION] = st.session_min
        v.settings[view.SET_LEASE] = st.lease_s
        v.settings[view.SET_LOCK] = 1 if st.lock else 0
        v.settings[view.SET_DIARY] = 1 if st.diary else 0
        v.settings[view.SET_SKIN] = st.skin_h

    def _refresh_log_view(self):
        v = self.view
        recs = self.log.newest(len(v.log))
        v.log_count = 0
        for rec in reversed(recs):
            if v.log_count >= len(v.log):
                break
            v.log[v.log_count] = ("%d %3dm %2dmA%s" % (
                rec.channel + 1, rec.duration_s // 60, rec.peak_ua // 1000,
                " F" if rec.fault else ""))[:view.NAME_CHARS]
            v.log_count += 1
        v.log_serial += 1

    def _ui(self, now_ms, used_us):
        # One kind of display work per tick, each bounded: a part of a screen
        # drawing, or the periodic look at what changed (and the home screen's
        # field updates), or sending changed chunks to the panel. Each takes
        # 1-3 ms on an RP2040: after a heavy start of the tick, a later tick.
        disp = self.hw.display
        if (self._part >= 0 or self.ui_due <= 0) and self._wait(
                used_us <= UI_END_US - UI_PART_US, used_us):
            return
        m = self.menu
        v = self.view
        if self._part >= 0:
            if m.changed:
                # A key moved the menu mid-drawing: start that screen afresh.
                disp.clear()
                self._part = 0
                self._shown = m.screen
            if screens.draw_part(disp.fb, m, v, self._part):
                self._part = -1
                self._sig = screens.signature(m, v)
                disp.mark()
            else:
                self._part += 1
            return
        if self.ui_due == 0:
            # The look in two ticks (each a few ms on a board): the model
            # now, the screen at the next tick.
            self.ui_due = -1
            self._home_part = 0
            self._fill_view()
            self._act(m.tick(v, now_ms))
            if (self._ask_after or self._skin) and m.screen == M.S_HOME:
                self._prompt()
            return
        if self.ui_due < 0:
            if disp is None:
                self.ui_due = UI_EVERY - 1
                return
            if m.screen == M.S_HOME and self._shown == M.S_HOME:
                # The home screen is redrawn field by field, whatever moved, in
                # parts (a channel, the bottom rows: up to UI_PART_US each on
                # an RP2040): the next part in this tick while there is room
                # for one, else in the next.
                m.changed = False
                k = self._home_part
                while not screens.update_home(disp.fb, m, v, k):
                    k += 1
                    if ticks_diff(self.hw.ticks_us(), self._t0) > UI_END_US - UI_PART_US:
                        self._home_part = k
                        return
                disp.mark()
                self._home_part = 0
                self.ui_due = UI_EVERY - 1
                return
            self.ui_due = UI_EVERY - 1
            if m.changed or m.screen != self._shown or screens.signature(m, v) != self._sig:
                disp.clear()
                self._shown = m.screen
                self._part = 0
            return
        self.ui_due -= 1
        if disp is not None:
            n = (UI_END_US - used_us) // FLUSH_CHUNK_US
            if self._wait(n > 0, used_us):
                return
            if n <= 0:
                n = 1
            if n >= 3:
                disp.flush()
            else:
                disp.flush(CHUNK * n)

    def _wait(self, room, used_us):
        # True: the screen's piece waits for a later tick. Without room it
        # waits UI_HOLDS ticks, then UI_HOLDS more for a tick that has used no
        # more than UI_FORCE_US, then it goes in any tick.
        held = self._ui_held
        if room or held >= 2 * UI_HOLDS or (held >= UI_HOLDS and used_us <= UI_FORCE_US):
            self._ui_held = 0
            return False
        self._ui_held = held + 1
        return True

    # -- failure and power -----------------------------------------------------

    def fail(self, exc):
        """Outputs off first, then record what happened. Never raises."""
        try:
            self.hw.outputs_off()
        except Exception:           # noqa: BLE001 - keep going: record the error
            pass
        text = "%s: %s" % (type(exc).__name__, exc)
        self.failed = text
        try:
            self.storage.write_atomic(ERROR_FILE, text.encode())
        except Exception:           # noqa: BLE001 - storage may be what failed
            pass
        show_error(self.hw.display, "off. Restarting", text)

    def power_down(self):
        self.ctl.emergency_stop()
        self.hw.outputs_off()
        if self.hw.display is not None:
            self.hw.display.off()
        self.hw.power_down()

    def _last_error(self):
        try:
            data = self.storage.read(ERROR_FILE)
        except Exception:           # noqa: BLE001
            return None
        if data:
            text = data.decode()[:40]
            # The screen names the error's type; selftest and error.txt say more.
            self._notice("Last error: " + text, "Last error: " + text.split(":", 1)[0])
        return data


def load_programs(storage, env):
    """(programs, refused): the presets followed by the custom programs of
    PROGRAMS_FILE (docs/programs.md), and a (text, short) pair per refused
    entry. A missing file is silent. The parser (ustim.core.custom, about 4 KB
    of RAM as .mpy) is imported only when there is a file, and dropped again
    afterwards unless it was already loaded; the file's bytes go with it."""
    try:
        if storage.size(PROGRAMS_FILE) < 0:
            return PRESETS, []
    except Exception:   # noqa: BLE001 - the loader reports an unreadable file
        pass
    had = _PARSER in sys.modules
    from ustim.core import custom
    try:
        programs, refused = custom.load_file(storage, env, PROGRAMS_FILE)
    finally:
        if not had:
            sys.modules.pop(_PARSER, None)
            pkg = sys.modules.get("ustim.core")
            if pkg is not None and hasattr(pkg, "custom"):
                delattr(pkg, "custom")
    return PRESETS + tuple(programs), refused


def show_error(disp, second_line, text):
    """The error on the whole OLED at once (the loop has stopped: no page
    budget to keep). Never raises: the display may be what failed."""
    try:
        if disp is None:
            return
        fb = disp.fb
        disp.clear()
        fb.text("ERROR - outputs", 0, 0, 1)
        fb.text(second_line, 0, 8, 1)
        for row in range(5):
            fb.text(text[row * 16:(row + 1) * 16], 0, 24 + row * 8, 1)
        disp.mark()
        while disp.flush(1024):
            pass
    except Exception:           # noqa: BLE001
        pass


_ACTIVE = (C.ARMED, C.RAMPING, C.RUNNING, C.STOPPING)
# machine.reset_cause() values differ between ports: named through the
# constants the running port defines (the device's machine, or the shim).
_POWER_ON = "power-on"
_CAUSES = (("PWRON_RESET", _POWER_ON), ("HARD_RESET", "reset pin"),
           ("WDT_RESET", "watchdog"), ("DEEPSLEEP_RESET", "deep sleep wake"),
           ("SOFT_RESET", "soft reset"), ("BROWNOUT_RESET", "brownout"))


def reset_cause_name(cause, mod=None):
    if mod is None:
        import machine as mod
    for const_name, text in _CAUSES:
        if getattr(mod, const_name, None) == cause:
            return text
    return "unknown (%r)" % (cause,)


# Electrode status per watchdog class, as the home screen shows it (5 chars).
_ELECTRODE = ("OK", "HIGH", "OPEN", "SHORT", "OVER", "SENSE")
