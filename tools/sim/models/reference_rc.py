"""The amplitude reference of a channel as the output stage sees it: the PWM
(or DAC) code, through the board's RC filter, sets the current the stage
sinks. Host-only (floats).

A PWM reference is averaged by a two-stage RC ladder (board field AMP_RC:
((R1 ohm, C1 nF), (R2 ohm, C2 nF)), R1-C1 then R2-C2, the second capacitor
read by a high-impedance amplifier): with v1, v2 the two capacitor voltages
in units of the current they set,

    C1 dv1/dt = (u - v1) / R1 - (v1 - v2) / R2
    C2 dv2/dt = (v1 - v2) / R2,         current = v2

for the code's current u (code * full scale / code max), constant between
writes. The step response is solved exactly (two real time constants, from
the eigenvalues of the 2 x 2 system), and so is the charge of any interval,
so a pulse whose A and B phases see different currents shows its net charge.
The PWM ripple (50 kHz through two poles near 600 Hz and 4.2 kHz for the
pico's values: about 0.1 % of full scale) is not modelled. A board without
AMP_RC (a DAC) steps at once: its settling (microseconds) is below the trace's
resolution.
"""

import math


class RcReference:
    def __init__(self, stages, full_scale_ua, code_max, t_us=0):
        self.full = float(full_scale_ua)
        self.code_max = code_max
        self.t = t_us
        self.u = 0.0
        self.x1 = 0.0
        self.x2 = 0.0
        self.code = 0
        self.q = 0.0           # charge the reference has set flowing since t = 0, pC
        self.ideal = not stages
        if self.ideal:
            return
        (r1, c1), (r2, c2) = stages
        # Rates in 1/us: R in ohm, C in nF, R * C in ns.
        a11 = -(1.0 / (r1 * c1) + 1.0 / (r2 * c1)) * 1e3
        a12 = 1.0 / (r2 * c1) * 1e3
        a21 = 1.0 / (r2 * c2) * 1e3
        a22 = -1.0 / (r2 * c2) * 1e3
        tr = a11 + a22
        det = a11 * a22 - a12 * a21
        disc = math.sqrt(tr * tr / 4.0 - det)
        self.l1 = tr / 2.0 + disc
        self.l2 = tr / 2.0 - disc
        self.a = (a11, a12, a21, a22)

    def time_constants_us(self):
        if self.ideal:
            return ()
        return (-1.0 / self.l1, -1.0 / self.l2)

    def _parts(self, dt):
        """(e^{A dt}, A^-1 (e^{A dt} - I)) as flat 2 x 2 tuples (Sylvester)."""
        a11, a12, a21, a22 = self.a
        l1, l2 = self.l1, self.l2
        e1, e2 = math.exp(l1 * dt), math.exp(l2 * dt)
        # P1 = (A - l2 I) / (l1 - l2), P2 = (A - l1 I) / (l2 - l1)
        d = l1 - l2
        p1 = ((a11 - l2) / d, a12 / d, a21 / d, (a22 - l2) / d)
        p2 = (-(a11 - l1) / d, -a12 / d, -a21 / d, -(a22 - l1) / d)
        f1 = (e1 - 1.0) / l1
        f2 = (e2 - 1.0) / l2
        exp = tuple(p1[k] * e1 + p2[k] * e2 for k in range(4))
        integ = tuple(p1[k] * f1 + p2[k] * f2 for k in range(4))
        return exp, integ

    def _advance(self, t):
        """Move the state to time t (>= self.t); returns the charge in pC
        (uA * us) delivered over the interval."""
        dt = t - self.t
        if dt <= 0:
            return 0.0
        self.t = t
        if self.ideal:
            q = self.u * dt
        else:
            d1, d2 = self.x1 - self.u, self.x2 - self.u
            exp, integ = self._parts(dt)
            q = self.u * dt + integ[2] * d1 + integ[3] * d2
            self.x1 = self.u + exp[0] * d1 + exp[1] * d2
            self.x2 = self.u + exp[2] * d1 + exp[3] * d2
        self.q += q
        return q

    def write(self, t, code):
        """The code was written at board time t (us)."""
        self._advance(t)
        self.code = code
        self.u = code * self.full / self.code_max
        if self.ideal:
            self.x1 = self.x2 = self.u

    def setpoint_ua(self):
        """What the code sets, floor (as ustim.hal.amplitude.code_to_ua)."""
        return self.code * int(self.full) // self.code_max

    def current(self, t):
        self._advance(t)
        return self.x2

    def charge(self, t0, t1):
        """Charge set flowing from t0 to t1 (t0 >= the last time asked), pC."""
        self._advance(t0)
        return self._advance(t1)

    def charge_to(self, t):
        """Charge set flowing from t = 0 to t (t >= the last time asked), pC:
        the charge of a phase is the difference at its two edges."""
        self._advance(t)
        return self.q
