# events.log, console.log and summary.json.
import json

from tools.sim.out.stats import channel_stats


def stamp(t_ms):
    """Time in seconds with milliseconds, fixed width for columns: "  12.345"."""
    s, ms = divmod(int(t_ms), 1000)
    return "%4d.%03d" % (s, ms)


def _lines(t_ms, prefix, text):
    # A multi-line text gets one line per line, each with its own time stamp,
    # so every line of the file can be read (and grepped) on its own.
    for part in str(text).split("\n"):
        yield "%s %s%s\n" % (stamp(t_ms), prefix, part)


def write_events_log(rec, path):
    with open(path, "w") as f:
        for t, text in sorted(rec.events, key=lambda e: e[0]):
            f.writelines(_lines(t, "", text))


def write_console_log(rec, path):
    # "in" is what was typed to the device, "out" what it answered.
    with open(path, "w") as f:
        for t, direction, text in sorted(rec.console, key=lambda e: e[0]):
            f.writelines(_lines(t, "> " if direction == "in" else "< ", text))


def summary(rec, edges, files):
    """rec.summary with what the writers counted, under the key "recording"."""
    if "recording" in rec.summary:
        raise ValueError("rec.summary already has a 'recording' key; the writers add it")
    out = dict(rec.summary)
    out["recording"] = {
        "board": rec.board,
        "runtime": rec.runtime,
        "tick_ms": rec.tick_ms,
        "duration_ms": rec.duration_ms,
        "counts": {
            "pulses": len(rec.pulses),
            "edges": edges,
            "amplitude_changes": len(rec.amplitude),
            "hv_changes": len(rec.hv),
            "frames": len(rec.frames),
            "events": len(rec.events),
            "faults": len(rec.faults),
            "console_lines": len(rec.console),
        },
        "channels": channel_stats(rec),
        "faults": [{"t_ms": t, "channel": ch + 1, "kind": kind}
                   for t, ch, kind in sorted(rec.faults)],
        "files": list(files),
    }
    return out


def write_summary_json(rec, path, edges, files):
    with open(path, "w") as f:
        json.dump(summary(rec, edges, files), f, indent=2, sort_keys=True)
        f.write("\n")
