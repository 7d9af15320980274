# The simulated board's output files (tools/sim/out): each file says exactly
# what the recording holds, and the tools users open them with can read them.
import csv
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

from tools.sim.out import oled
from tools.sim.out.example import knee_session, screen
from tools.sim.out.pulses_csv import COLUMNS
from tools.sim.out.recording import FRAME_BYTES, Recording
from tools.sim.out.vcd_read import read_vcd
from tools.sim.out.vcd_write import write_vcd
from tools.sim.out.waveform import DPI, SIZE_IN
from tools.sim.out.write import write_all
from ustim.core import pulses as ref
from ustim.core.spec import PulseSpec

WIRES = ("ch1_a", "ch1_b", "ch2_a", "ch2_b", "hv_en")
# ch1: conventional TENS, 100 Hz, 200 us phases, 20 us gap.
# ch2: burst TENS, 7 pulses at 100 Hz every 500 ms, 150 us phases, no gap.
SPECS = (PulseSpec(200, 20, 10000), PulseSpec(150, 0, 10000, 7, 500000))
T0 = (1000, 3000)
COUNTS = (40, 14)


def _record():
    """A short two-channel run built from the reference pulse model, with the
    edges each wire must show (from ref.edges, not from the writer's code)."""
    rec = Recording(board="pico", tick_ms=10, duration_ms=1200)
    expected = {w: [] for w in WIRES}
    for ch, (spec, t0, n) in enumerate(zip(SPECS, T0, COUNTS, strict=True)):
        ua = 20000 + 5000 * ch
        for k in range(n):
            s = t0 + ref.start_offset(spec, k)
            rec.add_pulse(ch, s, spec.pos_us, spec.gap_us, spec.neg_us, ua)
        for t, kind in ref.edges(spec, t0, n):
            wire = "ch%d_%s" % (ch + 1, "a" if kind in (ref.A_RISE, ref.A_FALL) else "b")
            expected[wire].append((t, 1 if kind in (ref.A_RISE, ref.B_RISE) else 0))
        rec.amplitude += [(0, ch, 0), (t0 - 100, ch, ua), (900000, ch, 0)]
    # Two setpoints at one instant: the last one recorded is what took effect.
    rec.amplitude += [(500000, 0, 7000), (500000, 0, 12345)]
    rec.hv += [(500, 1), (1100000, 0)]
    expected["hv_en"] = [(500, 1), (1100000, 0)]
    rec.frames.append((0, "boot", screen(["ustim", "boot"])))
    rec.frames.append((300, "run", screen(["run", "20.0 mA"], (0.25, 0.3))))
    rec.frames.append((5000, "done", screen(["done"])))
    # Words alone make no fault: only what the firmware latched (rec.faults).
    rec.events += [(0, "boot"), (950, "ch2 FAULT short"), (960, "ch2 fault cleared"),
                   (970, "ch1 select short"), (1000, "two\nlines")]
    rec.faults.append((950, 1, "short"))
    rec.console += [(10, "in", "status"), (12, "out", "ok")]
    rec.summary = {"speed_x": 123.0}
    return rec, expected


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    rec, expected = _record()
    out = tmp_path_factory.mktemp("sim_out")
    written = write_all(rec, out)
    return rec, expected, out, written


def test_vcd_contract_and_exact_edges(run):
    rec, expected, out, _ = run
    tr = read_vcd(out / "trace.vcd")
    assert tr.timescale_us() == 1
    assert tr.scopes == ["board"]
    assert tr.kinds == {"ch1_a": "wire", "ch1_b": "wire", "ch2_a": "wire", "ch2_b": "wire",
                        "hv_en": "wire", "ch1_ma": "real", "ch2_ma": "real"}
    for w in WIRES:
        assert tr.edges(w) == expected[w], w
    assert sum(len(v) for v in expected.values()) == 4 * sum(COUNTS) + 2
    assert tr.changes["ch1_ma"] == [(0, 0.0), (900, 20.0), (500000, 12.345), (900000, 0.0)]
    assert tr.changes["ch2_ma"] == [(0, 0.0), (2900, 25.0), (900000, 0.0)]
    assert tr.end == 1200000


def test_vcd_is_in_time_order(run):
    _, _, out, _ = run
    stamps = [int(line[1:]) for line in (out / "trace.vcd").read_text().split("\n")
              if line.startswith("#")]
    assert stamps == sorted(set(stamps))


def test_own_reader_agrees_with_pyvcd_tokenizer(run):
    # The reader the other tests rely on, checked against an independent parser.
    from vcd.reader import TokenKind, tokenize

    _, _, out, _ = run
    names = {}
    seen = {}
    t = 0
    with open(out / "trace.vcd", "rb") as f:
        for tok in tokenize(f):
            if tok.kind is TokenKind.VAR:
                names[tok.var.id_code] = tok.var.reference
                seen[tok.var.reference] = []
            elif tok.kind is TokenKind.CHANGE_TIME:
                t = tok.time_change
            elif tok.kind is TokenKind.CHANGE_SCALAR:
                seen[names[tok.scalar_change.id_code]].append((t, int(tok.scalar_change.value)))
            elif tok.kind is TokenKind.CHANGE_REAL:
                seen[names[tok.real_change.id_code]].append((t, tok.real_change.value))
    assert seen == read_vcd(out / "trace.vcd").changes


def test_direct_vcd_writer_gives_pyvcd_bytes(tmp_path):
    for rec in (_record()[0], knee_session()):
        write_vcd(rec, tmp_path / "a.vcd", engine="pyvcd")
        write_vcd(rec, tmp_path / "b.vcd", engine="direct")
        assert (tmp_path / "a.vcd").read_bytes() == (tmp_path / "b.vcd").read_bytes()


def test_zero_width_phase_has_no_edges(tmp_path):
    # A pulse cut short by stop() during A: no B phase, so no B edges at all.
    rec = Recording(duration_ms=1)
    rec.add_pulse(0, 100, 80, 0, 0, 10000)
    write_vcd(rec, tmp_path / "t.vcd")
    tr = read_vcd(tmp_path / "t.vcd")
    assert tr.edges("ch1_a") == [(100, 1), (180, 0)]
    assert tr.edges("ch1_b") == []


def _sigrok():
    exe = shutil.which("sigrok-cli")
    if exe is None:
        pytest.fail("sigrok-cli is not installed: apt-get install -y sigrok-cli "
                    "(make test does this)")
    return exe


def test_sigrok_cli_reads_the_trace(run, tmp_path):
    rec, expected, out, _ = run
    exe = _sigrok()
    show = subprocess.run([exe, "-i", str(out / "trace.vcd"), "-I", "vcd", "--show"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    listed = re.findall(r"^- (\w+): logic$", show, re.MULTILINE)
    assert listed == list(WIRES)
    assert "Samplerate: 1000000" in show
    # sigrok writes what it read back as VCD (changes only): every edge must
    # come back at its exact microsecond.
    subprocess.run([exe, "-i", str(out / "trace.vcd"), "-I", "vcd", "-O", "vcd",
                    "-o", str(tmp_path / "sigrok.vcd")],
                   capture_output=True, text=True, timeout=60, check=True)
    back = read_vcd(tmp_path / "sigrok.vcd")
    assert back.timescale_us() == 1
    for w in WIRES:
        assert back.edges(w) == expected[w], w


def test_pulses_csv(run):
    rec, _, out, _ = run
    with open(out / "pulses.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    body = [[int(x) for x in r] for r in rows[1:]]
    assert len(body) == len(rec.pulses) == sum(COUNTS)
    assert [r[1] for r in body] == sorted(r[1] for r in body)
    first_ch2 = next(r for r in body if r[0] == 2)
    # 25 mA for 150 us is 3750 nC per phase; balanced: no net charge.
    assert first_ch2 == [2, 3000, 150, 0, 150, 25000, 3750, 3750, 0]
    assert {r[0] for r in body} == {1, 2}


def test_waveform_png(run):
    _, _, out, _ = run
    with Image.open(out / "waveform.png") as im:
        assert im.format == "PNG"
        assert im.size == (SIZE_IN[0] * DPI, SIZE_IN[1] * DPI)
        # Not a blank canvas: the plot has many colours.
        assert len(im.convert("RGB").getcolors(1 << 20)) > 20


def test_oled_pngs_decode_mono_vlsb(run, tmp_path):
    rec, _, out, written = run
    pngs = sorted((out / "oled").glob("*.png"))
    assert [p.name for p in pngs] == ["%04d.png" % i for i in range(len(rec.frames))]
    for p in pngs:
        with Image.open(p) as im:
            assert im.size == (128 * oled.SCALE, 64 * oled.SCALE)
    # One lit pixel at x=5, row 10: byte page 1 * 128 + 5, bit 2.
    fb = bytearray(FRAME_BYTES)
    fb[128 + 5] = 1 << 2
    img = oled.frame_image(fb).convert("RGB")
    s = oled.SCALE
    assert img.getpixel((5 * s, 10 * s)) == oled.LIT
    assert img.getpixel((5 * s + s - 1, 10 * s)) == oled.DARK  # pixel-grid seam
    assert img.getpixel((6 * s, 10 * s)) == oled.DARK
    assert img.getpixel((5 * s, 11 * s)) == oled.DARK
    assert img.getpixel((5 * s, 9 * s)) == oled.DARK
    counts = {colour: n for n, colour in img.getcolors()}
    assert counts[oled.LIT] == (s - 1) ** 2


def test_gif_frames_and_durations(run, tmp_path):
    rec, _, out, _ = run
    with Image.open(out / "oled.gif") as im:
        assert im.n_frames == len(rec.frames)
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    # 300 ms, then 4.7 s capped to 2 s, then the last screen until the end
    # (duration 1.2 s, so it was already past: the shortest frame).
    assert durations == [300, 2000, oled.MIN_FRAME_MS]


def test_gif_folds_identical_consecutive_frames(tmp_path):
    rec = Recording(duration_ms=1000)
    same = screen(["same"])
    rec.frames += [(0, "a", same), (100, "a", same), (400, "b", screen(["other"]))]
    names = oled.write_oled(rec, tmp_path / "oled", tmp_path / "oled.gif")
    assert len(names) == 3
    with Image.open(tmp_path / "oled.gif") as im:
        assert im.n_frames == 2
        assert im.info["duration"] == 400


def test_logs(run):
    _, _, out, _ = run
    events = (out / "events.log").read_text().split("\n")
    assert events[:6] == ["   0.000 boot", "   0.950 ch2 FAULT short",
                          "   0.960 ch2 fault cleared", "   0.970 ch1 select short",
                          "   1.000 two", "   1.000 lines"]
    console = (out / "console.log").read_text().split("\n")
    assert console[:2] == ["   0.010 > status", "   0.012 < ok"]


def test_summary_json(run):
    rec, _, out, _ = run
    s = json.loads((out / "summary.json").read_text())
    assert s["speed_x"] == 123.0
    r = s["recording"]
    assert r["counts"]["pulses"] == sum(COUNTS)
    assert r["counts"]["edges"] == 4 * sum(COUNTS) + 2
    assert r["counts"]["frames"] == 3
    assert r["counts"]["faults"] == 1
    assert r["faults"] == [{"t_ms": 950, "channel": 2, "kind": "short"}]
    ch1, ch2 = r["channels"]
    assert (ch1["pulses"], ch1["peak_ua"], ch1["pos_charge_nc"]) == (40, 20000, 40 * 4000)
    assert (ch1["faults"], ch2["faults"], ch2["net_charge_nc"]) == (0, 1, 0)


def test_report_links_every_file(run):
    _, _, out, written = run
    text = (out / "report.md").read_text()
    links = set(re.findall(r"\]\(([^)]+)\)", text))
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files - {"report.md"} <= links
    assert all((out / link).is_file() for link in links)
    assert set(written) == files
    assert "![waveform](waveform.png)" in text and "![display](oled.gif)" in text
    assert "| ch2 | 14 | 25.0 |" in text


def test_bad_recording_is_refused_before_writing(tmp_path):
    rec = Recording(duration_ms=100)
    rec.add_pulse(0, 1000, 200, 20, 200, 10000)
    rec.add_pulse(0, 1300, 200, 20, 200, 10000)   # starts inside the previous one
    with pytest.raises(ValueError, match="starts before the previous one ends"):
        write_all(rec, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    rec = Recording()
    rec.frames.append((0, "short", b"\0" * 10))
    with pytest.raises(ValueError, match="1024"):
        write_all(rec, tmp_path / "out")


def test_example_session_writes_everything(tmp_path):
    rec = knee_session()
    written = write_all(rec, tmp_path)
    assert len(written) == 10 + len(rec.frames)
    tr = read_vcd(tmp_path / "trace.vcd")
    # ch1 stops at the lead-off (20 s) and restarts after the clear (30 s).
    ch1_rises = [t for t, v in tr.edges("ch1_a") if v]
    assert max(t for t in ch1_rises if t < 25_000_000) < 20_000_000
    assert min(t for t in ch1_rises if t > 20_000_000) >= 30_000_000
    assert any(20_000_000 < t < 30_000_000 for t, v in tr.edges("ch2_a"))


def test_a_second_run_into_the_same_folder_leaves_nothing_of_the_first(tmp_path):
    rec, _ = _record()
    write_all(rec, tmp_path)
    assert sorted(p.name for p in (tmp_path / "oled").iterdir()) == [
        "0000.png", "0001.png", "0002.png"]
    (tmp_path / "oled" / "notes.txt").write_text("mine")   # not a frame: kept
    rec.frames = rec.frames[:1]
    written = write_all(rec, tmp_path)
    assert sorted(p.name for p in (tmp_path / "oled").iterdir()) == ["0000.png", "notes.txt"]
    assert "oled/0001.png" not in (tmp_path / "report.md").read_text()
    rec.frames = []
    written = write_all(rec, tmp_path)
    assert not (tmp_path / "oled.gif").exists() and "oled.gif" not in written
    assert [p.name for p in (tmp_path / "oled").iterdir()] == ["notes.txt"]


def test_trace_sr_samples_at_the_coarsest_period_that_keeps_every_edge(run):
    rec, expected, out, _ = run
    import zipfile

    import numpy as np

    from tools.sim.out.srzip import sample_us
    from tools.sim.out.vcd_changes import changes, end_us
    period = sample_us(changes(rec), end_us(rec))
    assert period == 10                 # ch2's 3150 us edge: not a multiple of 20
    with zipfile.ZipFile(out / "trace.sr") as z:
        assert "samplerate=100 kHz" in z.read("metadata").decode().splitlines()
        chunks = sorted((m for m in z.namelist() if m.startswith("logic-1-")),
                        key=lambda m: int(m.rsplit("-", 1)[1]))
        logic = np.frombuffer(b"".join(z.read(m) for m in chunks), dtype=np.uint8)
    assert len(logic) == end_us(rec) // period
    for bit, wire in enumerate(WIRES):
        level = (logic >> bit) & 1
        at = np.flatnonzero(np.diff(level)) + 1
        assert [(int(k) * period, int(level[k])) for k in at] == expected[wire], wire
