"""Capture verification: traces made from the pulse reference model pass for
every preset; hand-broken traces fail with the right message."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.bench import cli, verify, vcd
from ustim.core import pulses
from ustim.core.programs import PRESETS, find
from ustim.core.sequencer import Sequencer
from ustim.core.spec import PulseSpec

US = vcd.US
ROOT = Path(__file__).resolve().parent.parent


def spec_trace(spec, t0_us, count):
    """A/B changes [(t_us, level)] of `count` pulses of spec, from pulses.py."""
    a, b = [(0, 0)], [(0, 0)]
    for t, kind in pulses.edges(spec, t0_us, count):
        pin = a if kind in (pulses.A_RISE, pulses.A_FALL) else b
        pin.append((t, 1 if kind in (pulses.A_RISE, pulses.B_RISE) else 0))
    return a, b


def program_trace(prog, duration_ms):
    """What an engine fed by the sequencer puts on the pins: one pulse cycle at
    a time, at the spec of that moment, nothing while the amplitude scale is 0."""
    seq = Sequencer()
    seq.load(prog)
    a, b = [(0, 0)], [(0, 0)]
    t = 100
    one = PulseSpec()
    while t < duration_ms * 1000:
        scale = seq.tick(t // 1000)
        spec = seq.spec
        if scale > 0:
            one.copy_from(spec)
            for k in range(spec.pulses_per_cycle()):
                s = t + k * spec.period_us
                a += [(s, 1), (s + spec.pos_us, 0)]
                b += [(s + spec.pos_us + spec.gap_us, 1), (s + spec.pulse_us(), 0)]
        t += spec.cycle_us()
    return a, b


def run_checks(a, b, pid, tol_us=2):
    end = max(a[-1][0], b[-1][0]) + 10
    rows = verify.check([(t * US, v) for t, v in a], [(t * US, v) for t, v in b], end * US,
                        find(pid), tol_us * US)
    return {name: (ok, detail) for name, ok, detail in rows}


def failed(rows):
    return sorted(name for name, (ok, _) in rows.items() if not ok)


@pytest.mark.parametrize("prog", PRESETS, ids=[p.pid for p in PRESETS])
def test_every_preset_trace_passes(prog):
    a, b = program_trace(prog, 70000 if prog.on_ms else 7000)
    rows = run_checks(a, b, prog.pid)
    assert failed(rows) == [], rows


def tens_trace(count=20):
    return spec_trace(find("tens").fill_spec(PulseSpec(), 100), 1000, count)


def edit(changes, index, delta):
    t, v = changes[index]
    changes[index] = (t + delta, v)


def test_overlap_fails():
    a, b = tens_trace()
    edit(b, 1 + 2 * 3, -60)        # B of pulse 3 rises 10 us before A falls
    rows = run_checks(a, b, "tens")
    assert rows["A/B overlap"] == (False, "A and B high together at 31190 us for 10 us "
                                          "(1 times)")


def test_wrong_width_fails():
    a, b = tens_trace()
    edit(a, 2 + 2 * 4, 50)
    rows = run_checks(a, b, "tens")
    assert rows["A phase width"] == (False, "250 us at 41000 us, want 200 ± 2 us (1 of 20)")
    assert rows["B phase width"][0] and not rows["charge balance"][0]


def test_missing_phase_fails():
    a, b = tens_trace()
    del b[1 + 2 * 5:3 + 2 * 5]
    rows = run_checks(a, b, "tens")
    assert rows["missing phase"] == (False, "no B phase after the A phase at 51000 us "
                                            "(1 times)")
    a, b = tens_trace()
    del a[1 + 2 * 5:3 + 2 * 5]
    rows = run_checks(a, b, "tens")
    assert rows["missing phase"] == (False, "no A phase before the B phase at 51250 us "
                                            "(1 times)")


def test_jitter_beyond_tolerance_fails_within_passes():
    a, b = tens_trace()
    for pin in (a, b):
        edit(pin, 1 + 2 * 6, 5)
        edit(pin, 2 + 2 * 6, 5)
    rows = run_checks(a, b, "tens")
    assert rows["period"] == (False, "10005 us from the pulse at 51000 us, want 10000 us "
                                     "± 2 us (2 of 19)")
    assert failed(run_checks(a, b, "tens", tol_us=5)) == []


def test_systematic_imbalance_fails_charge_balance():
    a, b = tens_trace(40)
    for i in range(2, len(b), 2):
        edit(b, i, -1)             # every B phase 1 us short: widths pass
    rows = run_checks(a, b, "tens")
    assert rows["B phase width"][0]
    assert rows["charge balance"] == (False, "A high 8000 us, B high 7960 us in total: "
                                             "difference 40 us, allowed 14 us")


def test_wrong_program_and_empty_capture_fail():
    a, b = tens_trace()
    rows = run_checks(a, b, "acu")
    assert set(failed(rows)) == {"A phase width", "B phase width", "period"}
    rows = run_checks([(0, 0)], [(0, 0)], "tens")
    assert rows == {"pulses": (False, "no complete A phase in the capture")}


def test_cut_pulses_at_the_ends_are_ignored():
    a, b = tens_trace(5)
    a[0] = (0, 1)                  # high when the capture starts: a cut pulse
    a.insert(1, (30, 0))
    b.append((b[-1][0] + 9800, 1))  # still high when it ends
    assert failed(run_checks(a, b, "tens")) == []


SIGROK = """$date Thu Jan  1 00:00:00 2026 $end
$version libsigrok 0.5.2 $end
$comment
  Acquisition with 3/8 channels at 1 MHz
$end
$timescale 1 us $end
$scope module libsigrok $end
$var wire 1 ! D0 $end
$var wire 1 " D1 $end
$var wire 1 # D2 $end
$upscope $end
$enddefinitions $end
#0 0! 0" 1#
{body}
"""


def test_sigrok_vcd_through_the_command_line(tmp_path, capsys):
    a, b = tens_trace(10)
    events = sorted([(t, "!", v) for t, v in a[1:]] + [(t, '"', v) for t, v in b[1:]])
    lines = []
    for t, code, v in events:
        if lines and lines[-1].startswith("#%d " % t):
            lines[-1] += " %d%s" % (v, code)
        else:
            lines.append("#%d %d%s" % (t, v, code))
    path = tmp_path / "cap.vcd"
    path.write_text(SIGROK.format(body="\n".join(lines + ["#120000"])))
    cap = vcd.read(path)
    assert cap.samplerate_hz == 1000000 and verify.default_tolerance_us(cap) == 2
    code = cli.main(["verify", str(path), "--program", "tens", "--a", "d0", "--b", "D1"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("PASS") == 12      # eleven checks and the verdict
    png = tmp_path / "cap.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code = cli.main(["--json", "verify", str(path), "--program", "acu", "--a", "D0", "--b",
                     "D1", "--no-plot"])
    r = json.loads(capsys.readouterr().out)
    assert code == 1 and r["ok"] is False and r["plot"] is None
    code = cli.main(["verify", str(path), "--program", "tens", "--channel", "2"])
    assert code == 2 and "no signal 'ch2_a'" in capsys.readouterr().err


def test_pyvcd_written_trace_and_channel_names(tmp_path, capsys):
    a, b = program_trace(find("burst"), 3000)
    path = tmp_path / "sim.vcd"
    vcd.write(path, a[1:], b[1:], names=("ch2_a", "ch2_b"))
    code = cli.main(["verify", str(path), "--program", "burst", "--channel", "2",
                     "--plot", str(tmp_path / "p.png")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (tmp_path / "p.png").exists()
    edit(b, 5, 3)
    vcd.write(path, a[1:], b[1:], names=("ch2_a", "ch2_b"))
    assert cli.main(["verify", str(path), "--program", "burst", "--channel", "2",
                     "--no-plot", "--tolerance-us", "1"]) == 1


def test_a_stopped_and_restarted_train_is_a_break_not_a_period_error():
    # The firmware stops the train while the output is 0 and starts a new one:
    # two trains 25 ms apart pass, with the break counted. A pulse merely late
    # (an interval under 1.5 periods) is still a period error.
    spec = PulseSpec(phase_us=200, gap_us=50, period_us=10000)
    a1, b1 = spec_trace(spec, 1000, 20)
    a2, b2 = spec_trace(spec, 1000 + 19 * 10000 + 25000, 20)
    rows = run_checks(a1 + a2[1:], b1 + b2[1:], "tens")
    assert failed(rows) == []
    assert rows["train breaks"][1].startswith("1 ")
    a3, b3 = spec_trace(spec, 1000 + 19 * 10000 + 14000, 20)
    rows = run_checks(a1 + a3[1:], b1 + b3[1:], "tens")
    assert failed(rows) == ["period"]


def probe_start(pid, probes, wait_us, program_pulses=6):
    """A start as the firmware makes it: `probes` pulses at the program's timing
    (the electrode check), the engine stopped, then the program's train
    `wait_us` after the last probe pulse."""
    spec = find(pid).fill_spec(PulseSpec(), find(pid).hz)
    a1, b1 = spec_trace(spec, 1000, probes)
    t1 = 1000 + (probes - 1) * spec.period_us + wait_us
    a2, b2 = spec_trace(spec, t1, program_pulses)
    return a1 + a2[1:], b1 + b2[1:]


@pytest.mark.parametrize("pid,wait_us", [("acu", 20000), ("tens", 20000), ("mod", 15000),
                                         ("oa", 30000)])
def test_probe_pulses_before_the_first_pulse_are_reported(pid, wait_us):
    a, b = probe_start(pid, verify.PROBE_SAMPLES, wait_us)
    rows = run_checks(a, b, pid)
    assert failed(rows) == [], rows
    assert rows["electrode check"] == (True, "1 start: %d probe pulses, then %d us to the "
                                             "program's first pulse" % (verify.PROBE_SAMPLES,
                                                                        wait_us))
    assert rows["train breaks"] == (True, "none")


def test_what_the_electrode_check_cannot_make_still_fails():
    # More pulses than the check's probe_samples ticks (and the tick before
    # its first sample) can carry: a train cut short.
    a, b = probe_start("acu", verify.PROBE_SAMPLES + 2, 20000)
    assert failed(run_checks(a, b, "acu")) == ["period"]
    # Restarted within a tick: the engine is stopped for at least one.
    a, b = probe_start("acu", verify.PROBE_SAMPLES, verify.TICK_US - 3000)
    assert failed(run_checks(a, b, "acu")) == ["period"]
    # A short group in the middle of a train (no break before it) is no check.
    spec = find("acu").fill_spec(PulseSpec(), 2)
    a, b = spec_trace(spec, 1000, 8)
    a2, b2 = spec_trace(spec, 1000 + 7 * 500000 + 20000, 5)
    rows = run_checks(a + a2[1:], b + b2[1:], "acu")
    assert failed(rows) == ["period"] and rows["electrode check"][1] == "no probe pulses seen"


def test_probe_samples_of_the_board():
    a, b = probe_start("acu", 5, 20000)
    end = max(a[-1][0], b[-1][0]) + 10
    rows = verify.check([(t * US, v) for t, v in a], [(t * US, v) for t, v in b], end * US,
                        find("acu"), 2 * US, probe_samples=5)
    assert all(ok for _, ok, _ in rows), rows


def test_interval_panel_scales_to_the_periods_with_breaks_marked():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # A start (probe pulses, the wait), a train with one wrong interval, a 10 s
    # break, a second train.
    a, _b = probe_start("tens", verify.PROBE_SAMPLES, 20000, program_pulses=30)
    starts = [t * US for t, v in a if v == 1]
    for dt in [13000] + [10000] * 3 + [10_000_000] + [10000] * 4:
        starts.append(starts[-1] + dt * US)
    exp = verify.Expect(find("tens"))
    ax = Figure().add_subplot()
    verify._interval_panel(ax, starts, exp, 2 * US, verify.PROBE_SAMPLES)
    assert ax.get_ylim() == (0, 16000)          # 1.6 periods, not 10 s
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["period (38)", "wrong (1)", "train break (1)",
                      "after probe pulses (1)"]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines["train break (1)"].get_ydata()) == [16000 * 0.97]   # on the top edge
    assert [t.get_text() for t in ax.texts] == ["10 s", "20 ms"]   # clipped: labelled
    assert list(lines["wrong (1)"].get_ydata()) == [13000]


def _bench(*args):
    return subprocess.run([sys.executable, "-m", "tools.bench", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_programs_file_missing_or_malformed_is_one_line_and_exit_2(tmp_path):
    trace = tmp_path / "t.vcd"
    a, b = tens_trace(10)
    vcd.write(trace, a[1:], b[1:])
    missing = tmp_path / "nope.json"
    p = _bench("verify", str(trace), "--program", "tens", "--programs", str(missing))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == ("bench: verify: --programs %s: cannot read (No such file or "
                        "directory)\n" % missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"programs": [')
    p = _bench("verify", str(trace), "--program", "tens", "--programs", str(broken))
    assert p.returncode == 2
    assert p.stderr == "bench: verify: --programs %s: programs.json: not valid JSON\n" % broken


def test_refused_program_entries_are_reported_not_dropped(tmp_path, capsys):
    a, b = tens_trace(10)
    trace = tmp_path / "t.vcd"
    vcd.write(trace, a[1:], b[1:])
    progs = tmp_path / "programs.json"
    progs.write_text(json.dumps({"programs": [
        {"id": "fast", "name": "Too fast", "kind": "TENS", "freq_hz": 500, "phase_us": 200},
        {"id": "ok80", "name": "Fine", "kind": "TENS", "freq_hz": 100, "phase_us": 200,
         "gap_us": 50}]}))
    code = cli.main(["verify", str(trace), "--program", "OK80", "--programs", str(progs),
                     "--no-plot"])
    out = capsys.readouterr()
    assert code == 0 and "vs program ok80" in out.out
    refused = out.err.splitlines()
    assert len(refused) == 1
    assert refused[0] == ("verify: --programs %s: refused program 'fast' (#1): field freq_hz: "
                          "frequency 500 Hz outside limit 150 Hz" % progs)
    code = cli.main(["--json", "verify", str(trace), "--program", "ok80", "--programs",
                     str(progs), "--no-plot"])
    r = json.loads(capsys.readouterr().out)
    assert [x.split(":")[0] for x in r["refused_programs"]] == ["program 'fast' (#1)"]
    # The refused one cannot be verified against: it is named as unknown.
    assert cli.main(["verify", str(trace), "--program", "fast", "--programs", str(progs),
                     "--no-plot"]) == 2
    assert "no program 'fast'" in capsys.readouterr().err


def test_bench_output_piped_into_head_is_one_line_not_a_traceback(tmp_path):
    a, b = tens_trace(10)
    trace = tmp_path / "t.vcd"
    vcd.write(trace, a[1:], b[1:])
    p = subprocess.Popen([sys.executable, "-m", "tools.bench", "verify", str(trace),
                          "--program", "tens", "--no-plot"], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()                     # as `| head -0`
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 2
    assert err == "python -m tools.bench: output closed before it ended (broken pipe)\n"
