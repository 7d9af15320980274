# Electrode-impedance watchdog: one per channel, fed one sense sample per
# control tick. It tells a healthy electrode from a lifted, peeling, drying or
# shorted one, from an output stage delivering more than it was told, and from
# a sense path that reads nonsense. docs/watchdog.md explains every threshold.
#
# Sense contract (hal/sense.py): the current and peak-voltage readings are
# those of the most recent pulse and are held until the next one. A sample is
# therefore new evidence only when a pulse happened since the last tick, so
# debounce counts samples of pulses (the `pulses` argument), never ticks: at
# 2 Hz a one-sample debounce is one pulse, at 100 Hz it is one tick.
#
# Budget (issue 5): OPEN, SHORT and OVERCURRENT stop the output on the first
# sample that shows them (trip_samples = 1), which keeps event -> output off
# within one tick after the first pulse into the fault. Noise immunity comes
# from margins, not from waiting: each bound sits many noise widths away from
# any healthy reading (docs/watchdog.md). The exception is SHORT at currents
# below strong_ua, where the voltage is too small to measure Z precisely: there
# it takes weak_samples samples (a short at < 3 mA harms nobody).
#
# Every product stays below 2**30 (bounded inputs, clamped Z), so step()
# allocates nothing on MicroPython.
from micropython import const

from ustim.core.channel import (FAULT_NONE, FAULT_OPEN, FAULT_OVERCURRENT,
                                FAULT_SENSE, FAULT_SHORT)

OK = const(0)
HIGH = const(1)
OPEN = const(2)
SHORT = const(3)
OVERCURRENT = const(4)
SENSE = const(5)
CLASS_NAMES = ("ok", "high", "open", "short", "overcurrent", "sense")
FAULT_OF = (FAULT_NONE, FAULT_NONE, FAULT_OPEN, FAULT_SHORT, FAULT_OVERCURRENT, FAULT_SENSE)

Z_MAX = const(1000000)       # ohm; clamps Z so later products stay small
_I_MAX = const(200000)       # uA; inputs are clamped to these before any product
_V_MAX = const(200000)       # mV

# name, default, lowest, highest accepted. All project choices; the reasons
# are in docs/watchdog.md. A board overrides any of them with WATCHDOG = {...}.
DEFAULTS = (
    ("min_measure_ua", 1000, 200, 5000),  # below this set current: no Z, no ratios
    ("strong_ua", 3000, 1000, 10000),     # from here one sample is enough for SHORT
    ("open_pct", 50, 20, 90),             # delivered < 50 % of set: OPEN
    ("collapse_pct", 75, 50, 95),         # at compliance and delivered < 75 %: OPEN
    ("limited_pct", 90, 60, 99),          # at compliance and delivered < 90 %: HIGH
    ("compliance_pct", 95, 80, 100),      # peak V >= 95 % of compliance: at compliance
    ("impossible_pct", 110, 101, 150),    # peak V above 110 % of compliance: SENSE
    ("open_ohm", 25000, 5000, 100000),    # Z above: OPEN
    ("high_ohm", 12000, 3000, 50000),     # Z above: HIGH
    ("short_ohm", 100, 20, 400),          # Z below: SHORT
    ("high_pct", 200, 120, 500),          # Z above 200 % of baseline: HIGH
    ("clear_pct", 160, 105, 480),         # HIGH clears below 160 % of baseline
    ("high_samples", 3, 1, 50),           # samples of evidence before HIGH is set
    ("clear_samples", 10, 1, 500),        # samples below clear_pct before it clears
    ("trip_samples", 1, 1, 2),            # OPEN, SHORT, OVERCURRENT
    ("weak_samples", 3, 1, 10),           # SHORT below strong_ua
    ("oc_margin_ua", 2000, 500, 10000),   # delivered above set + margin: OVERCURRENT
    ("oc_pct", 15, 5, 50),                # margin at least this % of set
    ("idle_ua", 500, 100, 5000),          # current while set is 0: SENSE
    ("sense_samples", 3, 1, 20),
    ("stuck_samples", 5, 2, 100),         # identical samples while set moved stuck_delta
    ("stuck_delta_ua", 1000, 200, 10000),
    ("settle_samples", 8, 2, 100),        # same set current this long: take the baseline
    ("probe_samples", 3, 1, 10),          # pre-start check: samples averaged
)


class Config:
    """Thresholds, from DEFAULTS with a board's WATCHDOG overrides, plus the
    board's compliance voltage and sense full scales."""

    def __init__(self, overrides=None, compliance_mv=80000, i_full_ua=100000,
                 v_full_mv=120000):
        for name, default, _, _ in DEFAULTS:
            setattr(self, name, default)
        if overrides:
            for name in overrides:
                row = None
                for r in DEFAULTS:
                    if r[0] == name:
                        row = r
                if row is None:
                    raise ValueError("unknown watchdog setting %s" % name)
                value = overrides[name]
                if not isinstance(value, int) or not row[2] <= value <= row[3]:
                    raise ValueError("watchdog %s must be an integer %d..%d" % (
                        name, row[2], row[3]))
                setattr(self, name, value)
        if self.clear_pct >= self.high_pct:
            raise ValueError("watchdog clear_pct must be below high_pct (hysteresis)")
        if not self.open_pct < self.collapse_pct < self.limited_pct:
            raise ValueError("watchdog needs open_pct < collapse_pct < limited_pct")
        if not self.short_ohm * 2 < self.high_ohm < self.open_ohm:
            raise ValueError("watchdog needs short_ohm * 2 < high_ohm < open_ohm")
        self.compliance_mv = compliance_mv
        # Derived bounds, computed once so the per-sample code only compares.
        self.at_compliance_mv = compliance_mv * self.compliance_pct // 100
        v_bad = compliance_mv * self.impossible_pct // 100
        v_peg = v_full_mv - v_full_mv // 1000      # within 0.1 % of full scale: pegged
        self.impossible_mv = v_bad if v_bad < v_peg else v_peg
        self.i_peg_ua = i_full_ua - i_full_ua // 1000


def config(board=None):
    """Config for a board module (WATCHDOG, COMPLIANCE_MV, SENSE_* full scales)."""
    if board is None:
        return Config()
    return Config(getattr(board, "WATCHDOG", None), board.COMPLIANCE_MV,
                  board.SENSE_I_UA_FULL_SCALE, board.SENSE_V_MV_FULL_SCALE)


def impedance(i_ua, v_mv):
    """Z = V / I in ohm (mV * 1000 / uA), clamped to Z_MAX."""
    if i_ua <= 0:
        return Z_MAX
    if v_mv > _V_MAX:
        v_mv = _V_MAX
    z = v_mv * 1000 // i_ua
    return z if z < Z_MAX else Z_MAX


def classify(c, set_ua, i_ua, v_mv, baseline_ohm=0):
    """Class of one sample taken after a pulse at set_ua: OK, HIGH, OPEN,
    SHORT, OVERCURRENT or SENSE. baseline_ohm 0: no baseline yet."""
    z = -1
    if set_ua >= c.min_measure_ua and i_ua > 0:
        z = impedance(i_ua if i_ua < _I_MAX else _I_MAX, v_mv)
    return _classify(c, set_ua, i_ua, v_mv, z, baseline_ohm)


def _classify(c, set_ua, i_ua, v_mv, z, baseline_ohm):
    # z: impedance of the sample (current clamped to _I_MAX), computed by the
    # caller when set_ua >= min_measure_ua and i_ua > 0: the only case that
    # reaches its use.
    if i_ua > _I_MAX:
        i_ua = _I_MAX
    if set_ua > _I_MAX:
        set_ua = _I_MAX
    margin = set_ua * c.oc_pct // 100
    if margin < c.oc_margin_ua:
        margin = c.oc_margin_ua
    if i_ua > set_ua + margin:
        return OVERCURRENT
    if v_mv >= c.impossible_mv:
        return SENSE
    if set_ua <= 0:
        return SENSE if i_ua > c.idle_ua else OK
    if set_ua < c.min_measure_ua:
        return OK
    i100 = i_ua * 100
    if i100 < set_ua * c.open_pct:
        return OPEN
    at_limit = v_mv >= c.at_compliance_mv
    if at_limit and i100 < set_ua * c.collapse_pct:
        return OPEN
    if z > c.open_ohm:
        return OPEN
    if z < c.short_ohm:
        return SHORT
    if at_limit and i100 < set_ua * c.limited_pct:
        return HIGH
    if z > c.high_ohm:
        return HIGH
    if baseline_ohm > 0 and z * 100 > baseline_ohm * c.high_pct:
        return HIGH
    return OK


class Watchdog:
    def __init__(self, cfg=None):
        self.cfg = cfg if cfg is not None else Config()
        self.reset()

    def reset(self):
        """Forget everything: called when a channel starts (after the pre-start
        check) so the baseline belongs to the electrodes now on the skin."""
        self.status = OK           # class of the last sample (or the fault latched)
        self.tripped = FAULT_NONE  # latched fault kind until reset()
        self.high = False          # HIGH warning in force: block amplitude increases
        self.z_ohm = -1            # last impedance measured, -1 when none
        self.baseline_ohm = 0
        self.samples = 0           # fresh samples seen
        self.fault_ms = 0
        self._run = 0              # consecutive samples of the current class
        self._run_class = OK
        self._high_n = 0
        self._clear_n = 0
        self._settle_set = -1
        self._settle_n = 0
        self._settle_sum = 0
        self._last_i = -1
        self._last_v = -1
        self._stuck_n = 0
        self._stuck_set = 0

    def step(self, set_ua, i_ua, v_mv, pulses, now_ms):
        """One control tick. set_ua: the amplitude the pulses counted in
        `pulses` were commanded at; i_ua, v_mv: the sense readings. Returns the
        channel fault kind to raise (FAULT_NONE when none), and keeps returning
        it until reset(). Runs for every outputting channel every tick: the
        healthy sample takes the shortest path (no call for the stuck-reading,
        HIGH-warning or baseline bookkeeping that has nothing to do)."""
        if self.tripped != FAULT_NONE:
            return self.tripped
        if pulses <= 0:
            return FAULT_NONE      # held readings of an old pulse: nothing new
        c = self.cfg
        self.samples += 1
        z = -1
        if set_ua >= c.min_measure_ua and i_ua > 0:
            z = impedance(i_ua, v_mv)
            self.z_ohm = z
            if i_ua > _I_MAX:
                z = impedance(_I_MAX, v_mv)
        cls = _classify(c, set_ua, i_ua, v_mv, z, self.baseline_ohm)
        self.status = cls
        if cls == self._run_class:
            self._run += 1
        else:
            self._run_class = cls
            self._run = 1
        if cls >= OPEN:
            need = c.trip_samples
            if cls == SENSE:
                need = c.sense_samples
            elif cls == SHORT and set_ua < c.strong_ua:
                need = c.weak_samples
            if self._run >= need:
                return self._trip(cls, now_ms)
        # A live sense path cannot read the same current and voltage to the
        # last bit while the commanded current moves by stuck_delta_ua.
        if i_ua == self._last_i and v_mv == self._last_v:
            self._stuck_n += 1
            if self._stuck_n >= c.stuck_samples:
                d = set_ua - self._stuck_set
                if d < 0:
                    d = -d
                if d >= c.stuck_delta_ua:
                    return self._trip(SENSE, now_ms)
        else:
            self._last_i = i_ua
            self._last_v = v_mv
            self._stuck_n = 1
            self._stuck_set = set_ua
        if cls == HIGH or self.high or self._high_n:
            self._track_high(cls)
        if cls == OK:
            if self.baseline_ohm == 0:
                self._settle(set_ua)
        else:
            self._settle_n = 0
            self._settle_set = -1
        return FAULT_NONE

    def _trip(self, cls, now_ms):
        self.status = cls
        self.tripped = FAULT_OF[cls]
        self.fault_ms = now_ms
        return self.tripped

    def _track_high(self, cls):
        c = self.cfg
        if cls == HIGH:
            self._clear_n = 0
            self._high_n += 1
            if self._high_n >= c.high_samples:
                self.high = True
            return
        self._high_n = 0
        if not self.high:
            return
        # Hysteresis: clear only well below the bound that set it.
        z = self.z_ohm
        low = z >= 0 and z * 10 < c.high_ohm * 9 and (
            self.baseline_ohm == 0 or z * 100 < self.baseline_ohm * c.clear_pct)
        if cls == OK and low:
            self._clear_n += 1
            if self._clear_n >= c.clear_samples:
                self.high = False
                self._clear_n = 0
        else:
            self._clear_n = 0

    def _settle(self, set_ua):
        # Baseline: the mean Z over settle_samples samples at one unchanged set
        # current (after the ramp, or on an NMES plateau). Taken once per start.
        if self.baseline_ohm > 0 or set_ua < self.cfg.min_measure_ua:
            return
        if set_ua != self._settle_set:
            self._settle_set = set_ua
            self._settle_n = 0
            self._settle_sum = 0
        self._settle_n += 1
        self._settle_sum += self.z_ohm
        if self._settle_n >= self.cfg.settle_samples:
            self.baseline_ohm = self._settle_sum // self._settle_n
