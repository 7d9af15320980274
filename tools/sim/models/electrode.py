"""Electrode model for the simulated board and the tests: one Randles circuit
(Rs in series with Rp || Cp) per channel behind a current source limited by the
board's compliance voltage.

For a current pulse of amplitude I and phase width t the electrode voltage at
the end of the phase (its peak) is

    V = I * Rs + I * Rp * (1 - exp(-t / (Rp * Cp)))

and if that exceeds the compliance voltage the current collapses to what
compliance allows: I = Vc / Z with Z = V / I from the formula above.

Values (project choice; docs/safety-limits.md: the literature gives no single set):
Rs 100-500 ohm, Rp 1-10 kohm, Cp 20-200 nF for gel pads. Measured TENS electrodes
are 1-7.8 kohm (Nolan 1991); FDA characterisation loads are 500 ohm, 2 k, 10 k
(a pure resistor is Rp = 0).

Events, at simulated times in ms: lift_off, peel (contact area shrinking to 0
over a given time: Rs and Rp scale as 1 / area, Cp with area), dry (Rp rising
by a factor over a given time, Cp falling by it: the wetted contact shrinks),
short (a low resistance across the pads), reattach (contact restored),
stage_fault (the output stage delivering more than it is set to) and sense
faults (stuck or pegged ADC, acting on the raw readings). Noise is seeded
(random.Random(seed)); drift is slow and smooth.
This module is host-only (floats, random.Random).
"""

import math
import random

RAW_MAX = 65535

# Measurement noise of the sense path (project choice: about 1.5 LSB of a
# 12-bit ADC on the boards' full scales, plus 0.5 % gain noise).
NOISE_I_UA = 40
NOISE_V_MV = 45
NOISE_GAIN = 0.005

OPEN_OHM = 1e9            # a lifted pad: only leakage remains
SHORT_OHM = 5.0           # leads or gel bridging the pads


def to_raw(value, full_scale, bits=12):
    """read_u16() value an ADC of `bits` resolution returns for `value` (in the
    unit of full_scale): quantised to the ADC's steps, left-justified with the
    top bits repeated as the RP2040 and ESP32 ports do, clipped to the range."""
    top = (1 << bits) - 1
    code = int(round(value * top / full_scale))
    code = 0 if code < 0 else (top if code > top else code)
    shift = 16 - bits
    return (code << shift) | (code >> (bits - shift)) if shift else code


class Electrode:
    def __init__(self, rs=300.0, rp=2000.0, cp_nf=100.0, compliance_mv=80000, seed=1,
                 noise=True, drift_pct=15.0, drift_period_s=1500.0):
        self.rs = float(rs)
        self.rp = float(rp)
        self.cp_nf = float(cp_nf)
        self.compliance_mv = compliance_mv
        self.rng = random.Random(seed)
        self.noise = noise
        # Slow drift (sweat, warming, gel settling): Rs and Rp move together by
        # up to drift_pct over a period of tens of minutes, in a seeded phase.
        self.drift = drift_pct / 100.0
        self.drift_period_ms = drift_period_s * 1000.0
        self.drift_phase = self.rng.uniform(0.0, 2 * math.pi)
        self.events = []          # (t_ms, kind, a, b) in the order added

    # -- events -----------------------------------------------------------
    def lift_off(self, t_ms):
        return self._add(t_ms, "lift_off")

    def peel(self, t_ms, dur_ms):
        return self._add(t_ms, "peel", dur_ms)

    def dry(self, t_ms, dur_ms, factor):
        return self._add(t_ms, "dry", dur_ms, factor)

    def short(self, t_ms, ohm=SHORT_OHM):
        return self._add(t_ms, "short", ohm)

    def reattach(self, t_ms):
        return self._add(t_ms, "reattach")

    def stage_fault(self, t_ms, extra_ua=5000, pct=50):
        """From t_ms the output stage delivers set * (100 + pct) % + extra_ua."""
        return self._add(t_ms, "stage_fault", extra_ua, pct)

    def sense_fault(self, t_ms, mode):
        """mode "stuck": the ADC readings freeze; "peg_v": the voltage reads
        full scale; "idle_i": the current reads 3 mA whatever flows."""
        return self._add(t_ms, "sense", mode)

    def _add(self, t_ms, kind, a=0, b=0):
        self.events.append((t_ms, kind, a, b))
        self.events.sort(key=lambda e: e[0])
        return self

    # -- state at a time ----------------------------------------------------
    def state(self, t_ms):
        """(area fraction, Rp factor, short ohm or None, stage fault or None,
        sense fault or None) at time t_ms."""
        area, dry, short, stage, sense = 1.0, 1.0, None, None, None
        for t0, kind, a, b in self.events:
            if t0 > t_ms:
                break
            if kind == "lift_off":
                area = 0.0
            elif kind == "peel":
                frac = 1.0 if a <= 0 else min(1.0, (t_ms - t0) / a)
                area = min(area, 1.0 - frac)
            elif kind == "dry":
                frac = 1.0 if a <= 0 else min(1.0, (t_ms - t0) / a)
                dry = 1.0 + (b - 1.0) * frac
            elif kind == "short":
                short = a
            elif kind == "reattach":
                area, short = 1.0, None
            elif kind == "stage_fault":
                stage = (a, b)
            elif kind == "sense":
                sense = a
        return area, dry, short, stage, sense

    def drift_factor(self, t_ms):
        return 1.0 + self.drift * math.sin(
            2 * math.pi * t_ms / self.drift_period_ms + self.drift_phase)

    def z_ohm(self, t_ms, phase_us):
        """Apparent impedance V / I at the end of a phase (no noise, no
        compliance limit): what an ideal sense path would measure."""
        area, dry, short, _, _ = self.state(t_ms)
        return self._z(t_ms, phase_us, area, dry, short)

    def _z(self, t_ms, phase_us, area, dry, short):
        if area <= 0.0:
            z = OPEN_OHM
        else:
            d = self.drift_factor(t_ms)
            rs = self.rs * d / area
            rp = self.rp * d * dry / area
            if rp <= 0.0:
                z = rs
            else:
                # Drying shrinks the wetted contact: Cp falls as Rp rises.
                tau_us = rp * self.cp_nf * area / dry * 1e-3   # ohm * nF = 1e-3 us
                z = rs + rp * (1.0 - math.exp(-phase_us / tau_us))
        if short is not None:
            z = z * short / (z + short)
        return z

    # -- what the sense path sees -------------------------------------------
    def pulse(self, t_ms, set_ua, phase_us):
        """(delivered uA, peak electrode mV) of one pulse at set_ua, with noise:
        the physical values the sense amplifiers see (floats)."""
        area, dry, short, stage, _ = self.state(t_ms)
        z = self._z(t_ms, phase_us, area, dry, short)
        i = float(set_ua)
        if stage is not None and set_ua > 0:
            i = i * (100 + stage[1]) / 100.0 + stage[0]
        v = i * z / 1000.0
        if v > self.compliance_mv:
            v = float(self.compliance_mv)
            i = v * 1000.0 / z
        if self.noise:
            g = self.rng.gauss
            i = i * (1.0 + g(0.0, NOISE_GAIN)) + g(0.0, NOISE_I_UA)
            v = v * (1.0 + g(0.0, NOISE_GAIN)) + g(0.0, NOISE_V_MV)
        return i, v

    def raw(self, t_ms, set_ua, phase_us, i_full_ua, v_full_mv, held=None):
        """(raw_i, raw_v) read_u16 values for one pulse via the board's full
        scales; `held` is the previous raw pair, used by a stuck sense fault."""
        i, v = self.pulse(t_ms, set_ua, phase_us)
        ri, rv = to_raw(i, i_full_ua), to_raw(v, v_full_mv)
        sense = self.state(t_ms)[4]
        if sense == "stuck" and held is not None:
            return held
        if sense == "peg_v":
            rv = RAW_MAX
        if sense == "idle_i":
            ri = to_raw(3000, i_full_ua)
        return ri, rv


def resistor(ohm, compliance_mv=80000, seed=1, noise=True):
    """A pure resistive test load (FDA 500 ohm / 2 k / 10 k)."""
    return Electrode(rs=ohm, rp=0.0, cp_nf=0.0, compliance_mv=compliance_mv, seed=seed,
                     noise=noise, drift_pct=0.0)


def from_scenario(spec, compliance_mv, seed):
    """The model a scenario's electrodes entry describes (docs/scenarios.md):
    a plain resistor for load_ohm, else a Randles circuit."""
    if "load_ohm" in spec:
        return resistor(spec["load_ohm"], compliance_mv, seed)
    return Electrode(rs=spec.get("rs_ohm", 300), rp=spec.get("rp_ohm", 2000),
                     cp_nf=spec.get("cp_nf", 100), compliance_mv=compliance_mv, seed=seed)


def healthy(seed, compliance_mv=80000, drift_pct=15.0):
    """A gel pad with seeded values inside the plausible ranges."""
    rng = random.Random(seed * 7919 + 1)
    return Electrode(rs=rng.uniform(100, 500), rp=rng.uniform(1000, 10000),
                     cp_nf=rng.uniform(20, 200), compliance_mv=compliance_mv,
                     seed=seed, drift_pct=drift_pct)
