"""Closed loop for the electrode watchdog on the host: electrode model -> raw
ADC values -> hal sense (through the machine shim) -> electrode guard ->
channel state machine, at a 10 ms control tick.

Pulses follow the reference model ustim.core.pulses for the spec in force; the
pulse engine runs while the commanded amplitude is above 0 (the controller's
contract: ua 0 means engine stopped). The sense readings of a tick are those
of the last pulse in it (sample-and-hold, see hal/sense.py); a tick without a
pulse leaves them as they were.

Used by the tests and by tools/perf/bench_faults.py to measure reaction times:
mark(t_ms) names the moment of a physical event; the loop then counts the
pulses delivered from it until the output is off.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "firmware", ROOT / "tools" / "shims"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import machine  # noqa: E402  (tools/shims/machine.py on the host)

from boards import pico  # noqa: E402
from tools.sim.models.electrode import to_raw  # noqa: E402
from ustim.core import channel as C  # noqa: E402
from ustim.core import limits, pulses  # noqa: E402
from ustim.core.electrode_guard import NO_EVENT, ElectrodeGuard  # noqa: E402
from ustim.core.sequencer import FULL_SCALE, Sequencer  # noqa: E402
from ustim.core.spec import PulseSpec  # noqa: E402
from ustim.core.watchdog import config  # noqa: E402
from ustim.hal.sense import Sense  # noqa: E402

TICK_MS = 10
AREA_MM2 = 2500           # 5 x 5 cm pads
_OUTPUT = (C.ARMED, C.RAMPING, C.RUNNING, C.STOPPING)


def period_for(hz):
    return (1000000 + hz - 1) // hz


class FaultLoop:
    def __init__(self, electrode, hz=100, amp_ua=5000, phase_us=200, board=pico, chan=0,
                 prog=None, tick_ms=TICK_MS, cfg=None, lag_us=0):
        # lag_us: delay from the tick that starts the engine to its first
        # pulse, which sets where pulses fall between ticks.
        self.board = board
        self.lag_us = lag_us
        self.el = electrode
        self.chan = chan
        self.tick_ms = tick_ms
        self.amp_ua = amp_ua
        self.now_ms = 0
        machine.reset_state()
        self.raw_i = [0] * board.CHANNELS
        self.raw_v = [0] * board.CHANNELS
        self._install_adc()
        self.sense = Sense(board)
        self.ch = C.Channel(chan)
        self.guard = ElectrodeGuard(cfg if cfg is not None else config(board))
        self.seq = None
        if prog is not None:
            self.seq = Sequencer()
            self.seq.load(prog)
            self.seq.tick(0)
            self.spec = PulseSpec().copy_from(self.seq.spec)
        else:
            self.spec = PulseSpec(phase_us, 50, period_for(hz))
        env = limits.Envelope(board.LIMITS)
        self.ch.set_limit(limits.max_amplitude_ua(env, self.spec, AREA_MM2))
        self.set_ua = 0           # amplitude commanded for the current window
        self.engine_t0_us = -1    # start of pulse 0 of the running train, -1: stopped
        self.pulse_k = 0
        self.session_t0 = None
        self.events = []          # (ms, event, arg) delivered to the channel
        self.pulses_total = 0
        self.mark_ms = None
        self.reset_marks()

    def _install_adc(self):
        b = self.board
        for c in range(b.CHANNELS):
            machine.set_adc(b.PIN_SENSE_I[c], self._reader(self.raw_i, c))
        mux = getattr(b, "PIN_SENSE_V_MUX", None)
        if mux is not None:
            raw_v = self.raw_v
            hw = machine.state()     # the mux pin's level, as the analog switch sees it
            machine.set_adc(b.PIN_SENSE_V[0], lambda: raw_v[1 if hw.pins[mux].level else 0])
        else:
            for c in range(b.CHANNELS):
                machine.set_adc(b.PIN_SENSE_V[c], self._reader(self.raw_v, c))

    @staticmethod
    def _reader(values, c):
        return lambda: values[c]

    # -- control ---------------------------------------------------------
    def start(self, amp_ua=None):
        if amp_ua is not None:
            self.amp_ua = amp_ua
        r = self.ch.handle(C.SET_AMP, min(self.amp_ua, self.ch.max_ua), self.now_ms)
        if r is not None:
            raise ValueError(r)
        r = self.ch.handle(C.START, 0, self.now_ms)
        if r is not None:
            raise ValueError(r)
        self._command()

    def clear_and_restart(self):
        self.ch.handle(C.CLEAR_FAULT, 0, self.now_ms)
        self.session_t0 = None
        self.start()

    def reset_marks(self):
        self.off_ms = None        # first tick with output off after the mark
        self.high_ms = None       # first tick with the HIGH warning after the mark
        self.first_pulse_ms = None
        self.pulses_after = 0
        self.pulses_after_high = 0

    def mark(self, t_ms):
        """A physical event happens at t_ms: measure the reaction from there."""
        self.reset_marks()
        self.mark_ms = t_ms

    # -- one control tick ---------------------------------------------------
    def step(self):
        t0 = self.now_ms
        now = t0 + self.tick_ms
        n = self._pulses_until(now)
        self.now_ms = now
        self.sense.read()
        i = self.sense.i_ua[self.chan]
        v = self.sense.v_mv[self.chan]
        ev = self.guard.step(self.ch, self.set_ua, i, v, n, now)
        if ev != NO_EVENT:
            self.events.append((now, ev, self.guard.arg))
            self.guard.apply(self.ch, ev, now)
            if ev == C.CHECK_OK:
                self.session_t0 = now
        self.ch.tick(now)
        self._command()
        if self.mark_ms is not None:
            if self.off_ms is None and self.set_ua == 0 and self.ch.state not in _OUTPUT:
                self.off_ms = now
            if self.high_ms is None and self.guard.watchdog.high:
                self.high_ms = now
        return ev

    def run_until(self, t_ms, stop_on_fault=False):
        while self.now_ms < t_ms:
            self.step()
            if stop_on_fault and self.ch.state == C.FAULT:
                return
        return

    def _command(self):
        # The amplitude for the next window, as the controller computes it.
        ch = self.ch
        ua = ch.output_ua()
        if ch.state != C.ARMED and ch.state in _OUTPUT and self.seq is not None:
            elapsed = 0 if self.session_t0 is None else self.now_ms - self.session_t0
            scale = self.seq.tick(elapsed)
            if self.seq.changed:
                self._respec(self.seq.spec)
            ua = ua * scale // FULL_SCALE
        if ch.state not in _OUTPUT:
            ua = 0
        if ua > 0 and self.engine_t0_us < 0:
            self.engine_t0_us = self.now_ms * 1000 + self.lag_us
            self.pulse_k = 0
        elif ua == 0:
            self.engine_t0_us = -1
        self.set_ua = ua

    def _respec(self, spec):
        # A new spec takes effect from the next pulse the engine is fed.
        if self.engine_t0_us >= 0:
            nxt = self.engine_t0_us + pulses.start_offset(self.spec, self.pulse_k)
            self.engine_t0_us = nxt
            self.pulse_k = 0
        self.spec.copy_from(spec)

    def _pulses_until(self, now):
        """Deliver the pulses of [now_ms, now) into the electrode; returns how
        many there were and loads the ADC with the last one's readings."""
        if self.engine_t0_us < 0 or self.set_ua <= 0:
            return 0
        spec = self.spec
        first, end = pulses.pulses_in_window(spec, self.engine_t0_us, self.now_ms * 1000,
                                             now * 1000)
        if first < self.pulse_k:
            first = self.pulse_k
        count = end - first if end > first else 0
        if count == 0:
            return 0
        self.pulse_k = end
        self.pulses_total += count
        last_ms = 0.0
        for k in range(first, end):
            t_us = self.engine_t0_us + pulses.start_offset(spec, k)
            t_ms = t_us / 1000.0
            last_ms = t_ms
            if self.mark_ms is not None and t_ms >= self.mark_ms:
                if self.first_pulse_ms is None:
                    self.first_pulse_ms = t_ms
                if self.off_ms is None:
                    self.pulses_after += 1
                if self.high_ms is None:
                    self.pulses_after_high += 1
        b = self.board
        held = (self.raw_i[self.chan], self.raw_v[self.chan])
        ri, rv = self.el.raw(last_ms, self.set_ua, spec.pos_us, b.SENSE_I_UA_FULL_SCALE,
                             b.SENSE_V_MV_FULL_SCALE, held)
        self.raw_i[self.chan] = ri
        self.raw_v[self.chan] = rv
        return count

    # -- results -------------------------------------------------------------
    def reaction(self):
        """Figures for the last mark(): ms from the event to output off, ms from
        the first pulse into the fault to output off, pulses delivered from the
        event until off (None where the output never went off)."""
        if self.off_ms is None:
            return None
        first = self.first_pulse_ms
        return {
            "event_ms": self.mark_ms,
            "off_ms": self.off_ms,
            "react_ms": self.off_ms - self.mark_ms,
            "from_pulse_ms": None if first is None else round(self.off_ms - first, 3),
            "pulses_after": self.pulses_after,
            "fault": C.FAULT_NAMES[self.ch.fault_kind],
        }


def to_raw_pair(i_ua, v_mv, board=pico):
    """read_u16 values for a current and voltage on this board's scales."""
    return (to_raw(i_ua, board.SENSE_I_UA_FULL_SCALE),
            to_raw(v_mv, board.SENSE_V_MV_FULL_SCALE))
