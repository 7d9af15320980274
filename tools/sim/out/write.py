# write_all: every output file of a simulated run, in one folder.
from pathlib import Path

from tools.sim.out.gtkw import write_gtkw
from tools.sim.out.logs import write_console_log, write_events_log, write_summary_json
from tools.sim.out.oled import write_oled
from tools.sim.out.pulses_csv import write_pulses_csv
from tools.sim.out.report import report_text
from tools.sim.out.srzip import write_sr
from tools.sim.out.vcd_changes import SIGNALS
from tools.sim.out.vcd_write import write_vcd
from tools.sim.out.waveform import write_waveform_png

# (file, what it holds), in the order report.md lists them.
FILES = (
    ("trace.vcd", "logic trace for PulseView or GTKWave: %s" % ", ".join(n for n, _ in SIGNALS)),
    ("trace.sr", "the same trace as a sigrok session: PulseView shows the currents too"),
    ("trace.gtkw", "GTKWave save file for trace.vcd: signals per channel, currents as steps"),
    ("pulses.csv", "one row per pulse: channel, timing, amplitude, charge per phase"),
    ("waveform.png", "overview of the run and a zoom on pulses of each channel"),
    ("oled.gif", "the display, animated at the pace it changed"),
    ("events.log", "what happened, one line per event"),
    ("console.log", "the serial console: > typed, < answered"),
    ("summary.json", "the simulator's summary and the counts of this folder"),
)


def write_all(rec, outdir, vcd_engine="pyvcd"):
    """Write every output file for `rec` into outdir (created if missing).
    Returns {file name: path} of what was written, report.md included.
    Raises ValueError, before writing anything, if the recording holds
    something no file could show truthfully (see Recording.check)."""
    rec.check()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = {}
    edges = write_vcd(rec, outdir / "trace.vcd", engine=vcd_engine)
    written["trace.vcd"] = outdir / "trace.vcd"
    write_sr(rec, outdir / "trace.sr")
    written["trace.sr"] = outdir / "trace.sr"
    write_gtkw(outdir / "trace.gtkw")
    written["trace.gtkw"] = outdir / "trace.gtkw"
    write_pulses_csv(rec, outdir / "pulses.csv")
    written["pulses.csv"] = outdir / "pulses.csv"
    write_waveform_png(rec, outdir / "waveform.png")
    written["waveform.png"] = outdir / "waveform.png"
    oled_names = write_oled(rec, outdir / "oled", outdir / "oled.gif")
    if oled_names:
        written["oled.gif"] = outdir / "oled.gif"
    for name in oled_names:
        written["oled/" + name] = outdir / "oled" / name
    write_events_log(rec, outdir / "events.log")
    written["events.log"] = outdir / "events.log"
    write_console_log(rec, outdir / "console.log")
    written["console.log"] = outdir / "console.log"
    files = [(n, w) for n, w in FILES if n in written or n == "summary.json"]
    write_summary_json(rec, outdir / "summary.json", edges,
                       [n for n, _ in files] + ["report.md"] + ["oled/" + n for n in oled_names])
    written["summary.json"] = outdir / "summary.json"
    (outdir / "report.md").write_text(report_text(rec, oled_names, files))
    written["report.md"] = outdir / "report.md"
    return written

