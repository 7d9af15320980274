# Pre-start electrode check. While a channel is ARMED it sends probe pulses at
# channel.PROBE_UA (<= 2 mA); this averages the sense readings of probe_samples
# of them (at 1.5 mA one reading's Z is only good to a few tens of ohm) and
# answers CHECK_OK or CHECK_FAIL with a reason the user can act on. The same
# classify() as the running watchdog judges the averaged sample, so the check
# and the watchdog cannot disagree about what "open" or "short" means.
from ustim.core.channel import CHECK_FAIL, CHECK_OK
from ustim.core.watchdog import HIGH, OK, OVERCURRENT, SENSE, Config, classify, impedance

R_OPEN = "electrode open: check the pads"
R_SHORT = "electrode short: check leads and pads"
R_OVERCURRENT = "output current fault: do not use"
R_SENSE = "current sense fault: do not use"
R_NO_PROBE = "no probe current"
_REASONS = (None, None, R_OPEN, R_SHORT, R_OVERCURRENT, R_SENSE)


class Precheck:
    def __init__(self, cfg=None):
        self.cfg = cfg if cfg is not None else Config()
        self.reset()

    def reset(self):
        self.reason = None
        self.result = 0          # 0 undecided, else CHECK_OK / CHECK_FAIL
        self.z_ohm = -1
        self.status = OK
        self._n = 0
        self._i_sum = 0
        self._v_sum = 0
        self._set = 0

    def step(self, probe_ua, i_ua, v_mv, pulses):
        """Feed one tick; returns 0 while undecided, then CHECK_OK or
        CHECK_FAIL (reason in self.reason), and the same answer until reset()."""
        if self.result or pulses <= 0:
            return self.result
        if probe_ua <= 0:
            return self._decide(CHECK_FAIL, R_NO_PROBE)
        # Overcurrent and impossible readings need no averaging to refuse.
        now = classify(self.cfg, probe_ua, i_ua, v_mv)
        if now == OVERCURRENT or now == SENSE:
            self.status = now
            return self._decide(CHECK_FAIL, _REASONS[now])
        if self._n == 0:
            self._set = probe_ua
        self._n += 1
        self._i_sum += i_ua
        self._v_sum += v_mv
        if self._n < self.cfg.probe_samples:
            return 0
        n = self._n
        i = self._i_sum // n
        v = self._v_sum // n
        cls = classify(self.cfg, self._set, i, v)
        self.status = cls
        self.z_ohm = impedance(i, v)
        if cls == OK or cls == HIGH:
            return self._decide(CHECK_OK, None)
        return self._decide(CHECK_FAIL, _REASONS[cls])

    def _decide(self, result, reason):
        self.result = result
        self.reason = reason
        return result
