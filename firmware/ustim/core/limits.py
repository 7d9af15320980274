# The safety envelope: every pulse spec and amplitude passes through here.
#
# Units are integers throughout (us, uA, mm2, pC) so CPython and MicroPython
# agree to the last digit: squared quantities are compared instead of taking
# square roots, and divisions are cross-multiplied. Sources for each number are
# in docs/safety-limits.md; "project choice" marks the
# ones no standard gives.
#
# A check returns None when the spec and amplitude are inside every limit, or a
# Refusal naming the limit, the offending value and the bound. Safety checks
# never use assert (compiled out at opt >= 1).
from micropython import const

# Load the power and energy limits are defined into (FDA 1999 guidance).
LOAD_OHM = const(500)
# Battery rules when a board gives none (board BATTERY_START_PCT and
# BATTERY_STOP_PCT; project choices, docs/safety-limits.md): no new session
# below 10 %; at 3 % (some 25 mV above the 3.3 V empty point of a 1-cell Li-ion
# pack) every channel ramps down and stops before the supply sags.
BATTERY_START_PCT = const(10)
BATTERY_STOP_PCT = const(3)
_MM2_PER_CM2 = const(100)


class Refusal:
    def __init__(self, limit, value, bound, unit):
        self.limit = limit
        self.value = value
        self.bound = bound
        self.unit = unit

    def __str__(self):
        return "%s %d %s outside limit %d %s" % (
            self.limit, self.value, self.unit, self.bound, self.unit)

    __repr__ = __str__


class LimitError(ValueError):
    # Raised when configuration (a board file, settings) would widen the envelope.
    pass


# name: (default, unit, True when a board may only lower it / False: only raise)
_DEFAULTS = (
    ("max_peak_ua", 80000, "uA", True),          # typical TENS 0-80 mA; project cap
    ("max_rms_ua", 50000, "uA", True),           # IEC 60601-2-10 reading (Enraf-Nonius IFU)
    ("warn_density_ua_cm2", 2000, "uA/cm2", True),  # IEC 60601-2-10 IFU clause: 2 mA/cm2
    ("max_density_ua_cm2", 3000, "uA/cm2", True),   # project choice: refusal cap, rms
    ("max_power_mw_cm2", 250, "mW/cm2", True),   # FDA 1999: < 0.25 W/cm2 into 500 ohm
    ("max_energy_uj", 300000, "uJ", True),       # IEC 601-2-10:1987 51.104: 300 mJ
    ("max_tens_hz", 150, "Hz", True),            # commercial range 2-150 Hz
    ("max_ems_hz", 100, "Hz", True),             # project choice
    ("min_hz", 1, "Hz", False),                  # project choice
    ("min_phase_us", 50, "us", False),           # commercial 50-250 us
    ("max_phase_us", 400, "us", True),           # NMES trials up to 400 us
    ("max_gap_us", 100, "us", True),             # project choice
    ("max_burst_n", 20, "pulses", True),         # project choice
    ("min_on_ms", 1000, "ms", False),            # FDA 1999: EMS on/off >= 1 s
    ("min_off_ms", 1000, "ms", False),           # FDA 1999
    ("max_session_s", 3600, "s", True),          # project choice: 60 min cap
    ("min_ramp_ms", 2000, "ms", False),          # NMES trials 2-3 s, zc95 5 s
)


class Envelope:
    """The limits in force. Built from the defaults, optionally tightened by a
    board file or settings (a dict of the names above). Widening raises."""

    def __init__(self, overrides=None):
        for entry in _DEFAULTS:
            setattr(self, entry[0], entry[1])
        if overrides:
            self.tighten(overrides)

    def tighten(self, overrides):
        known = {}
        for entry in _DEFAULTS:
            known[entry[0]] = (entry[2], entry[3])
        for name in overrides:
            if name not in known:
                raise LimitError("unknown limit %s" % name)
            value = overrides[name]
            unit, lower_only = known[name]
            current = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise LimitError("limit %s must be an integer (%s)" % (name, unit))
            if (lower_only and value > current) or (not lower_only and value < current):
                raise LimitError("limit %s %d %s would widen the envelope (%d %s)" % (
                    name, value, unit, current, unit))
            if value <= 0 and name != "max_gap_us":
                raise LimitError("limit %s must be positive" % name)
            setattr(self, name, value)
        return self

    def max_hz(self, spec):
        return self.max_ems_hz if spec.ems else self.max_tens_hz


def check_spec(env, spec):
    """Amplitude-independent checks on the timing of a spec."""
    if spec.pos_us < env.min_phase_us:
        return Refusal("phase width", spec.pos_us, env.min_phase_us, "us")
    if spec.pos_us > env.max_phase_us:
        return Refusal("phase width", spec.pos_us, env.max_phase_us, "us")
    if spec.neg_us != spec.pos_us:
        # One current sink drives both phases: only equal widths balance charge.
        return Refusal("net charge: negative phase", spec.neg_us, spec.pos_us, "us")
    if spec.gap_us < 0:
        return Refusal("interphase gap", spec.gap_us, 0, "us")
    if spec.gap_us > env.max_gap_us:
        return Refusal("interphase gap", spec.gap_us, env.max_gap_us, "us")
    max_hz = env.max_hz(spec)
    # f = 1e6 / period <= max_hz  <=>  period * max_hz >= 1e6
    min_period = (1000000 + max_hz - 1) // max_hz
    if spec.period_us < min_period:
        return Refusal("pulse period (frequency cap %d Hz)" % max_hz,
                       spec.period_us, min_period, "us")
    max_period = 1000000 // env.min_hz
    if spec.period_us > max_period:
        return Refusal("pulse period (frequency floor %d Hz)" % env.min_hz,
                       spec.period_us, max_period, "us")
    if spec.pulse_us() >= spec.period_us:
        return Refusal("pulse length within period", spec.pulse_us(), spec.period_us - 1, "us")
    if spec.burst_n < 1:
        return Refusal("burst pulses", spec.burst_n, 1, "pulses")
    if spec.burst_n > 1:
        if spec.burst_n > env.max_burst_n:
            return Refusal("burst pulses", spec.burst_n, env.max_burst_n, "pulses")
        burst_len = spec.burst_n * spec.period_us
        if spec.burst_period_us < burst_len:
            return Refusal("burst period", spec.burst_period_us, burst_len, "us")
        if spec.burst_period_us > max_period:
            return Refusal("burst period (frequency floor %d Hz)" % env.min_hz,
                           spec.burst_period_us, max_period, "us")
    return None


def _power_terms(spec):
    # Mean of I^2 over a cycle is ua^2 * tp * n / T: tp = phase time per pulse,
    # n = pulses per cycle, T = cycle length (us).
    return spec.pos_us + spec.neg_us, spec.pulses_per_cycle(), spec.cycle_us()


def check_amplitude(env, spec, ua, area_mm2):
    """Amplitude-dependent checks. Assumes check_spec(spec) passed."""
    if ua < 0:
        return Refusal("amplitude", ua, 0, "uA")
    if area_mm2 <= 0:
        return Refusal("electrode area", area_mm2, 1, "mm2")
    if ua > env.max_peak_ua:
        return Refusal("peak current", ua, env.max_peak_ua, "uA")
    tp, n, cycle = _power_terms(spec)
    mean_sq = ua * ua * tp * n   # divided by cycle: uA^2, kept as a numerator
    if mean_sq > env.max_rms_ua * env.max_rms_ua * cycle:
        return Refusal("rms current", rms_ua(spec, ua), env.max_rms_ua, "uA")
    # rms / (area_mm2 / 100) <= cap, squared and cross-multiplied
    cap = env.max_density_ua_cm2
    if mean_sq * _MM2_PER_CM2 * _MM2_PER_CM2 > cap * cap * area_mm2 * area_mm2 * cycle:
        return Refusal("rms current density", density_ua_cm2(spec, ua, area_mm2), cap, "uA/cm2")
    # P/A = mean_sq/cycle * 500 ohm * 1e-12 W / (area/100 cm2) < max mW/cm2 * 1e-3
    if mean_sq * LOAD_OHM * _MM2_PER_CM2 >= env.max_power_mw_cm2 * cycle * area_mm2 * 1000000000:
        return Refusal("power density at 500 ohm", power_uw_cm2(spec, ua, area_mm2),
                       env.max_power_mw_cm2 * 1000, "uW/cm2")
    # E = ua^2 * 500 * tp * 1e-18 J = ua^2 * 500 * tp * 1e-12 uJ
    if ua * ua * LOAD_OHM * tp > env.max_energy_uj * 1000000000000:
        return Refusal("energy per pulse at 500 ohm", energy_uj(spec, ua), env.max_energy_uj, "uJ")
    return None


def check(env, spec, ua, area_mm2):
    refusal = check_spec(env, spec)
    if refusal is None:
        refusal = check_amplitude(env, spec, ua, area_mm2)
    return refusal


def max_amplitude_ua(env, spec, area_mm2):
    """The highest amplitude check_amplitude accepts for this spec and area, or
    -1 if the spec itself is refused. Channels clamp their target to this, so the
    per-tick amplitude check is one integer comparison."""
    if check_spec(env, spec) is not None or area_mm2 <= 0:
        return -1
    tp, n, cycle = _power_terms(spec)
    best = env.max_peak_ua
    best = min(best, isqrt(env.max_rms_ua * env.max_rms_ua * cycle // (tp * n)))
    cap = env.max_density_ua_cm2
    best = min(best, isqrt(cap * cap * area_mm2 * area_mm2 * cycle
                           // (tp * n * _MM2_PER_CM2 * _MM2_PER_CM2)))
    num = env.max_power_mw_cm2 * cycle * area_mm2 * 1000000000
    best = min(best, isqrt((num - 1) // (tp * n * LOAD_OHM * _MM2_PER_CM2)))
    best = min(best, isqrt(env.max_energy_uj * 1000000000000 // (LOAD_OHM * tp)))
    return best


def density_warning(env, spec, ua, area_mm2):
    """True above the 2 mA rms/cm2 level that IEC 60601-2-10 asks users to mind."""
    tp, n, cycle = _power_terms(spec)
    warn = env.warn_density_ua_cm2
    return (ua * ua * tp * n * _MM2_PER_CM2 * _MM2_PER_CM2
            > warn * warn * area_mm2 * area_mm2 * cycle)


def check_duty(env, ems, on_ms, off_ms, ramp_up_ms, ramp_down_ms):
    """On/off cycling of a program (on_ms = off_ms = 0: continuous). An EMS
    program must cycle, on and off each at least the envelope's minimum
    (docs/safety-limits.md, FDA 1999): continuous EMS would hold one tetanic contraction
    for the whole session."""
    if on_ms == 0 and off_ms == 0 and not ems:
        return None
    if on_ms < env.min_on_ms:
        return Refusal("contraction on time", on_ms, env.min_on_ms, "ms")
    if off_ms < env.min_off_ms:
        return Refusal("rest off time", off_ms, env.min_off_ms, "ms")
    if ramp_up_ms < 0 or ramp_down_ms < 0 or ramp_up_ms + ramp_down_ms > on_ms:
        return Refusal("ramps within on time", ramp_up_ms + ramp_down_ms, on_ms, "ms")
    return None


def check_session(env, seconds):
    if seconds <= 0:
        return Refusal("session length", seconds, 1, "s")
    if seconds > env.max_session_s:
        return Refusal("session length", seconds, env.max_session_s, "s")
    return None


# Reported quantities (integers, floor-rounded).

def charge_pc(ua, phase_us):
    # uA * us = pC, exact.
    return ua * phase_us


def charge_nc(ua, phase_us):
    return ua * phase_us // 1000


def net_charge_pc(spec, ua):
    return ua * (spec.pos_us - spec.neg_us)


def rms_ua(spec, ua):
    tp, n, cycle = _power_terms(spec)
    return isqrt(ua * ua * tp * n // cycle)


def density_ua_cm2(spec, ua, area_mm2):
    tp, n, cycle = _power_terms(spec)
    return isqrt(ua * ua * tp * n * _MM2_PER_CM2 * _MM2_PER_CM2
                 // (cycle * area_mm2 * area_mm2))


def power_uw_cm2(spec, ua, area_mm2):
    tp, n, cycle = _power_terms(spec)
    return ua * ua * tp * n * LOAD_OHM * _MM2_PER_CM2 // (cycle * area_mm2 * 1000000)


def energy_uj(spec, ua):
    return ua * ua * LOAD_OHM * (spec.pos_us + spec.neg_us) // 1000000000000


def isqrt(n):
    """Floor square root of a non-negative integer (Newton's method, started
    from the float root so it takes a few steps, not dozens, of big-int work)."""
    if n < 0:
        raise ValueError("isqrt of negative")
    if n < 2:
        return n
    x = int(n ** 0.5) + 1
    # One step from any positive start lands at or above the floor root
    # (AM-GM), after which the iterates fall monotonically onto it.
    x = (x + n // x) >> 1
    while True:
        y = (x + n // x) >> 1
        if y >= x:
            return x
        x = y
