# What a run's summary says about the firmware, read from its App. Shared by
# both runtimes (it also runs inside MicroPython as part of the guest), so the
# two summaries cannot drift apart.
from ustim.core import channel as C


def channels(app):
    out = []
    for c in app.ctl.chans:
        d = c.dose.summary()
        d["channel"] = c.ch.index + 1
        d["state"] = c.ch.state_name()
        d["program"] = c.program.pid if c.program else None
        d["faults"] = c.faults
        out.append(d)
    return out


def firmware(app):
    """(channels, usage-log records as field lists, notices, overruns, the
    longest tick in board us)."""
    return (channels(app), [r.fields() for r in app.log.records()], list(app.notices),
            app.overruns, app.worst_tick_us)


class FaultWatch:
    """The firmware's faults as they are raised, read from its own state: the
    controller counts every fault it latches (ChannelCtl.faults, with the kind
    in the channel's fault_kind), and a channel that enters FAULT without that
    count moving (the controller's internal-error guard) is one more. Call
    into() from the controller's on_event and once after every tick."""

    def __init__(self, app):
        self.chans = app.ctl.chans
        self.counts = [c.faults for c in self.chans]
        self.latched = [c.ch.state == C.FAULT for c in self.chans]

    def into(self, out):
        """Append (channel, kind name) for each fault since the last call."""
        for i in range(len(self.chans)):
            c = self.chans[i]
            in_fault = c.ch.state == C.FAULT
            n = c.faults - self.counts[i]
            if n == 0 and in_fault and not self.latched[i]:
                n = 1
            for _ in range(n):
                out.append((i, C.FAULT_NAMES[c.ch.fault_kind]))
            self.counts[i] = c.faults
            self.latched[i] = in_fault
