"""What a logic analyser and a current probe on the simulated board's outputs
record: pulses rebuilt from the A/B pad edges the firmware's pulse engine
made (through the rp2/esp32 shims), each phase's charge from the current the
output stage sinks while it lasts (the amplitude reference through the
board's RC filter, tools/sim/models/reference_rc.py), the HV enable and the
amplitude codes written. Host-only.

A pulse is (channel, start_us, pos_us, gap_us, neg_us, amplitude_ua, pos_pc,
neg_pc): A's rise, the widths between the edges, the setpoint the reference
code stood for at A's rise, and the charge of each phase (pC = uA * us).
Edges at the same instant: falls first, so A falling as B rises (gap 0) is
not an overlap. A and B high together is recorded in Recording.overlaps. A
pulse whose B phase has not begun CUT_US after A fell (a stop cut it) is
recorded with gap and B phase 0; a B phase without an A phase before it,
with A phase 0.
"""

from tools.sim.models.reference_rc import RcReference

_A, _B, _HV, _AMP = 0, 1, 2, 3
# Longer than any gap the envelope allows (100 us) plus the ESP32's A-to-B
# write skew: past it, an A phase with no B phase was cut.
CUT_US = 2000


class _Channel:
    def __init__(self, rc):
        self.rc = rc
        self.a = 0
        self.b = 0
        self.open = None       # [start, a_fall, b_rise, ua, q at start, q_a, q at b rise]


class Probe:
    def __init__(self, board, rec):
        self.rec = rec
        n = board.CHANNELS
        stages = getattr(board, "AMP_RC", None) if hasattr(board, "PIN_AMP_PWM") else None
        code_max = 65535 if hasattr(board, "PIN_AMP_PWM") else 255
        self.ch = [_Channel(RcReference(stages, board.AMP_FULL_SCALE_UA, code_max))
                   for _ in range(n)]
        self.role = {}
        for c in range(n):
            self.role[board.PIN_A[c]] = (_A, c)
            self.role[board.PIN_B[c]] = (_B, c)
        self.role[board.PIN_HV_EN] = (_HV, 0)
        amp = getattr(board, "PIN_AMP_PWM", None) or board.PIN_AMP_DAC
        for c in range(n):
            self.role[amp[c]] = (_AMP, c)
        self.hv = 0
        self.last = [None] * n     # the latest complete pulse per channel
        self.count = [0] * n

    def pins(self):
        return sorted(self.role)

    def feed(self, edges, outputs, t_end):
        """Edges (t, pin, level) and reference codes (t, pin, code) of the
        stretch of board time up to t_end, in any order between pins."""
        events = [(e[0], 0 if e[2] else 1, e[1], e[2]) for e in edges if e[1] in self.role]
        events += [(o[0], 2, o[1], o[2]) for o in outputs if o[1] in self.role]
        events.sort()
        for t, _order, pin, v in events:
            kind, c = self.role[pin]
            if kind == _AMP:
                self._amp(c, t, v)
            elif kind == _HV:
                if v != self.hv:
                    self.hv = v
                    self.rec.hv.append((t, v))
            else:
                self._edge(c, kind, t, v)
        for c in range(len(self.ch)):
            p = self.ch[c].open
            if p is not None and p[2] is None and p[1] is not None and t_end - p[1] > CUT_US:
                self._close(c, p[1], p[4] + p[5])

    def _amp(self, c, t, code):
        ch = self.ch[c]
        before = ch.rc.setpoint_ua()
        ch.rc.write(t, code)
        ua = ch.rc.setpoint_ua()
        if ua != before:
            self.rec.amplitude.append((t, c, ua))

    def _edge(self, c, kind, t, v):
        ch = self.ch[c]
        rc = ch.rc
        q = rc.charge_to(t)
        if kind == _A:
            ch.a = v
        else:
            ch.b = v
        if ch.a and ch.b:
            self.rec.overlaps.append((t, c))
        p = ch.open
        if kind == _A and v:
            if p is not None:
                self._close(c, t, q)          # a pulse without its B phase
            ch.open = [t, None, None, rc.setpoint_ua(), q, 0.0, 0.0]
        elif kind == _A:
            if p is not None and p[1] is None:
                p[1] = t
                p[5] = q - p[4]
        elif v:
            if p is None:
                ch.open = [t, t, None, rc.setpoint_ua(), q, 0.0, 0.0]
                p = ch.open
            if p[1] is None:
                p[1] = t
                p[5] = q - p[4]
            p[2] = t
            p[6] = q
        elif p is not None and p[2] is not None:
            self._close(c, t, q)

    def _close(self, c, t, q):
        ch = self.ch[c]
        start, a_fall, b_rise, ua, _q0, q_a, q_b0 = ch.open
        ch.open = None
        if a_fall is None:
            a_fall = t
            q_a = q - _q0
        if b_rise is None:
            b_rise = a_fall
            q_b = 0.0
            end = a_fall
        else:
            q_b = q - q_b0
            end = t
        pulse = (c, start, a_fall - start, b_rise - a_fall, end - b_rise, ua,
                 int(round(q_a)), int(round(q_b)))
        self.rec.pulses.append(pulse)
        self.last[c] = pulse
        self.count[c] += 1

    def finish(self):
        """The end of the recording: a pulse still in progress is not in it."""
        for ch in self.ch:
            ch.open = None
