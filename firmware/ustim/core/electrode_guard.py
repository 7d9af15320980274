# Connects one channel's sense samples to its state machine, once per control
# tick: in ARMED the pre-start check decides CHECK_OK / CHECK_FAIL; while the
# channel outputs, the watchdog decides whether to raise a latched fault, and
# channel.inhibit_up follows its HIGH warning.
#
# step() returns the channel event to deliver (or NO_EVENT) with its argument
# in .arg, so the app can route it through the controller (fault(),
# electrode_check(): session pause, event log); apply() delivers it straight to
# the channel for code without a controller. Call step() right after reading
# sense and before the channel's tick, so a fault cuts the output this tick.
from micropython import const

from ustim.core.channel import (ARMED, CHECK_OK, FAULT_EV, FAULT_NONE, RAMPING,
                                RUNNING, STOPPING)
from ustim.core.precheck import Precheck
from ustim.core.watchdog import Config, Watchdog

NO_EVENT = const(-1)


class ElectrodeGuard:
    def __init__(self, cfg=None):
        cfg = cfg if cfg is not None else Config()
        self.watchdog = Watchdog(cfg)
        self.precheck = Precheck(cfg)
        self.arg = 0
        self._start = -1           # the channel's START count the precheck belongs to

    def step(self, ch, set_ua, i_ua, v_mv, pulses, now_ms):
        """set_ua: amplitude the output stage was commanded during the pulses
        counted in `pulses` (the value written at the previous tick). Returns
        CHECK_OK, CHECK_FAIL (reason in .arg), FAULT_EV (kind in .arg) or
        NO_EVENT. Only ARMED, RAMPING, RUNNING and STOPPING have anything to
        watch: the app may skip the call in the other states."""
        state = ch.state
        if state == ARMED:
            if self._start != ch.starts:
                # A new start (even one right after the last answer) probes afresh.
                self.precheck.reset()
                self._start = ch.starts
            result = self.precheck.step(set_ua, i_ua, v_mv, pulses)
            if not result:
                return NO_EVENT
            if result == CHECK_OK:
                # New electrodes, new baseline.
                self.watchdog.reset()
                ch.inhibit_up = False
                self.arg = 0
            else:
                self.arg = self.precheck.reason
            return result
        if state == RAMPING or state == RUNNING or state == STOPPING:
            wd = self.watchdog
            kind = wd.step(set_ua, i_ua, v_mv, pulses, now_ms)
            ch.inhibit_up = wd.high
            if kind != FAULT_NONE:
                self.arg = kind
                return FAULT_EV
        return NO_EVENT

    def apply(self, ch, event, now_ms):
        """Deliver what step() returned to the channel itself."""
        if event != NO_EVENT:
            ch.handle(event, self.arg, now_ms)
