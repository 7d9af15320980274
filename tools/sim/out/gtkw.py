# trace.gtkw: a GTKWave save file for trace.vcd beside it, so GTKWave opens
# with the signals grouped per channel (A, B, then the current as an analog
# step trace) and hv_en below. Written with pyvcd's GTKWSave.
from vcd.gtkw import GTKWFlag, GTKWSave

from tools.sim.out.vcd_changes import SCOPE, SIGNALS

ANALOG_ROWS = 3      # the height of a current trace, in signal rows


def groups():
    """[(group name or None, [signal names])], in display order."""
    out = {}
    for name, _kind in SIGNALS:
        out.setdefault(name.split("_")[0] if name.startswith("ch") else None, []).append(name)
    return sorted(out.items(), key=lambda g: (g[0] is None, g[0] or ""))


def write_gtkw(path, dumpfile="trace.vcd"):
    kinds = dict(SIGNALS)
    with open(path, "w") as f:
        save = GTKWSave(f)
        save.comment("ustim simulated board: open with  gtkwave %s" % path.name)
        # Relative: the folder can be moved or shared as a whole.
        save.dumpfile(dumpfile, abspath=False)
        save.timestart(0)
        save.sst_expanded(True)
        save.signals_width(160)
        for group, names in groups():
            if group is not None:
                save.begin_group(group)
            for name in names:
                if kinds[name] == "real":
                    save.trace("%s.%s" % (SCOPE, name), datafmt="real",
                               extraflags=GTKWFlag.analog_step)
                    for _ in range(ANALOG_ROWS - 1):
                        save.blank(analog_extend=True)
                else:
                    save.trace("%s.%s" % (SCOPE, name), datafmt="bin")
            if group is not None:
                save.end_group(group)
