# The pulse-engine interface every engine implements (RP2040 PIO, ESP32 RMT,
# the simulator's model). Channels are numbered from 0. Specs given to an
# engine have already passed ustim.core.limits.check_spec: the engine only
# refuses (ValueError) what its hardware cannot produce exactly.
#
#   configure(ch, spec)  timing for the channel; used from the next pulse fed
#   start(ch)            begin pulses on the channel (configure first)
#   stop(ch)             both pins low now; nothing more comes out
#   stop_all()           stop every channel (boot, fault, exception paths)
#   service()            called every control tick: keeps the engine fed.
#                        When the calls stop, at most 2 more pulses come out
#                        (the dead-man bound) and both pins end low.
#   running(ch) -> bool, also readable as on[ch] (the control tick reads
#                        the list: a method call per channel per tick costs)
#   fed[ch]              pulses that have begun since the engine was made,
#                        as of the last service() or stop(): it never goes
#                        back, across stops and starts. Pulses handed to the
#                        hardware that a stop discards before they begin are
#                        not in it (the dose counts fed)


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

    def running(self, ch):
        # type: (int) -> bool
        return self.on[ch]
