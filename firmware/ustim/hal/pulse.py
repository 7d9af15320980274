# The pulse-engine interface every engine implements (RP2040 PIO, ESP32 RMT,
# the simulator's model). Channels are numbered from 0. Specs given to an
# engine have already passed ustim.core.limits.check_spec: the engine only
# refuses (ValueError) what its hardware cannot produce exactly.
#
#   configure(ch, spec)  timing for the channel; used from the next pulse fed
#   start(ch)            begin pulses on the channel (configure first)
#   stop(ch)             both pins low now; nothing more comes out
#   stop_all()           stop every channel (boot, fault, exception paths)
#   service()            called every control tick: keeps the engine fed
#                        (the app may call it again within a tick, before work
#                        that takes milliseconds). When the calls stop, at most
#                        2 more pulses come out (the dead-man bound) and both
#                        pins end low.
#   running(ch) -> bool, also readable as on[ch] (the control tick reads
#                        the list: a method call per channel per tick costs)
#   fed[ch]              pulses that have begun since the engine was made,
#                        as of the last service() or stop(): it never goes
#                        back, across stops and starts. Pulses handed to the
#                        hardware that a stop discards before they begin are
#                        not in it (the dose counts fed)
#   quiet_in(ch, settle_us) -> int
#                        how long (us) to wait before the channel's amplitude
#                        reference may change so that no pulse sees it move:
#                        0 now (no pulse in progress, none within settle_us),
#                        else until the pulse in progress or the next one has
#                        ended (then the next is a period away); -1 when the
#                        channel is stopped (its first pulse comes at start)

from micropython import const

TICKS_MASK = const(0x3FFFFFFF)   # ticks_us wraps at 2**30 (ustim.core.ticks)
TICKS_HALF = const(0x20000000)


def _no_clock():
    return 0


def pulse_clock(ticks_us):
    """ticks_us, or MicroPython's time.ticks_us when None (a host's time
    without it gives a clock at 0: no timeline, quiet_in says now)."""
    if ticks_us is not None:
        return ticks_us
    import time
    return getattr(time, "ticks_us", _no_clock)


def ticks_later(t, d):
    """t + d on the 2**30 wrap of ticks_us, for 0 <= d < 2**29, with every
    intermediate a small int (t + d itself may be past 2**30 - 1: a big int,
    which allocates)."""
    t = t - TICKS_MASK - 1 + d
    if t < 0:
        t = t + TICKS_MASK + 1
    return t


def quiet_wait(now, start, busy_us, margin_us, settle_us):
    """quiet_in for one pulse on a timeline: it starts at `start` (within
    margin_us) and keeps the pins busy_us. 0 when it is over or more than
    settle_us ahead, else the us until it has ended. start - now is taken
    on the wrap without a sum past 2**30 (a big int, which allocates)."""
    d = start - now
    if d >= TICKS_HALF:
        d = d - TICKS_MASK - 1
    elif d < -TICKS_HALF:
        d = d + TICKS_MASK + 1
    end = d + busy_us + margin_us
    if end <= 0 or d - margin_us > settle_us:
        return 0
    return end


class PulseEngine:
    def __init__(self, channels):
        # type: (int) -> None
        self.channels = channels
        self.fed = [0] * channels
        self.on = [False] * channels

    def configure(self, ch, spec):
        # type: (int, object) -> None
        raise NotImplementedError

    def start(self, ch):
        # type: (int) -> None
        raise NotImplementedError

    def stop(self, ch):
        # type: (int) -> None
        raise NotImplementedError

    def stop_all(self):
        # type: () -> None
        # Each stop is independent: one failing must not leave others running.
        err = None
        for ch in range(self.channels):
            try:
                self.stop(ch)
            except Exception as e:  # noqa: BLE001 - re-raised after all stops
                err = e
        if err is not None:
            raise err

    def service(self):
        # type: () -> int
        raise NotImplementedError

    def quiet_in(self, ch, settle_us):
        # type: (int, int) -> int
        raise NotImplementedError

    def running(self, ch):
        # type: (int) -> bool
        return self.on[ch]
