"""How fast the output files are written (a figure to report, not a test).

    python -m tools.perf.bench_sim_out [MINUTES ...]      (default 3 30)

For each length: a two-channel 100 Hz session (4 edges per pulse), trace.vcd
through both engines, trace.sr, then write_all for the whole folder.
"""
import sys
import tempfile
import time
from pathlib import Path

from tools.sim.out.recording import Recording
from tools.sim.out.srzip import write_sr
from tools.sim.out.vcd_changes import changes, edge_count
from tools.sim.out.vcd_write import ENGINES, write_vcd


def session(minutes, hz=100):
    rec = Recording(board="bench", duration_ms=minutes * 60000)
    period = 1000000 // hz
    n = minutes * 60 * hz
    for ch in (0, 1):
        t0 = 1000 + ch * period // 2
        rec.pulses.extend((ch, t0 + k * period, 200, 20, 200, 25000) for k in range(n))
        rec.amplitude.append((t0 - 500, ch, 25000))
    rec.hv.append((500, 1))
    return rec


def main(argv):
    from tools.sim.out.write import write_all

    for minutes in [int(a) for a in argv] or [3, 30]:
        rec = session(minutes)
        t = time.perf_counter()
        edges = edge_count(changes(rec))
        merge = time.perf_counter() - t
        print("%d min: %d pulses, %d edges; merge %.2f s" % (
            minutes, len(rec.pulses), edges, merge))
        with tempfile.TemporaryDirectory() as d:
            for engine in ENGINES:
                t = time.perf_counter()
                write_vcd(rec, Path(d) / "trace.vcd", engine=engine)
                dt = time.perf_counter() - t
                size = (Path(d) / "trace.vcd").stat().st_size
                print("  trace.vcd %-6s %.2f s  %.0f edges/s  %.1f MB" % (
                    engine, dt, edges / dt, size / 1e6))
            t = time.perf_counter()
            period = write_sr(rec, Path(d) / "trace.sr")
            print("  trace.sr %d us samples %.2f s  %.1f MB" % (
                period, time.perf_counter() - t, (Path(d) / "trace.sr").stat().st_size / 1e6))
            t = time.perf_counter()
            write_all(rec, Path(d) / "all")
            print("  write_all (pyvcd) %.2f s" % (time.perf_counter() - t))


if __name__ == "__main__":
    main(sys.argv[1:])
