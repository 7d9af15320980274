# What a run's summary says about the firmware, read from its App. Shared by
# both runtimes (it also runs inside MicroPython as part of the guest), so the
# two summaries cannot drift apart.


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
    """(channels, usage-log records as field lists, notices, overruns)."""
    return (channels(app), [r.fields() for r in app.log.records()], list(app.notices),
            app.overruns)
