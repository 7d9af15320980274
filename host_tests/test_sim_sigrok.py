# sigrok-cli (the engine under PulseView) reads the trace.vcd of a real
# simulator run: the channel names it lists and every edge it decodes agree
# with the pulses the simulator recorded, and in what it decoded no channel
# ever has A and B high together.
import configparser
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from vcd.gtkw import GTKWFlag

from tools.sim.out.vcd_changes import end_us
from tools.sim.out.vcd_read import read_vcd
from tools.sim.out.write import write_all
from tools.sim.run import Simulation
from tools.sim.scenario import validate

WIRES = ["ch1_a", "ch1_b", "ch2_a", "ch2_b", "hv_en"]
# Burst on one channel, a frequency sweep on the other: edges at irregular
# spacings, both channels at once, a ramped stop that ends before the run does.
SCENARIO = {"name": "sigrok check", "duration_s": 3, "events": [
    {"t": 0.2, "console": "select 1 burst"}, {"t": 0.2, "console": "select 2 mod"},
    {"t": 0.3, "console": "amp 1 10"}, {"t": 0.3, "console": "amp 2 12"},
    {"t": 0.5, "console": "start all"}, {"t": 2.0, "console": "stop all"}]}


def _sigrok():
    exe = shutil.which("sigrok-cli")
    if exe is None:
        pytest.fail("sigrok-cli is not installed: apt-get install -y sigrok-cli "
                    "(make test does this)")
    return exe


def parse_vcd(text):
    """{wire: [(t_us, level)]} from a VCD of 1-bit wires, written by sigrok:
    several changes may share a timestamp line. Levels at time 0 are the
    initial values, not edges."""
    ids = {}
    out = {}
    t = 0
    body = False
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "$var":
            ids[words[3]] = words[4]
            out[words[4]] = []
            continue
        if words[0] == "$enddefinitions":
            body = True
            continue
        if not body:
            continue
        for w in words:
            if w.startswith("#"):
                t = int(w[1:])
            elif w[0] in "01" and w[1:] in ids:
                out[ids[w[1:]]].append((t, int(w[0])))
    edges = {}
    for name, changes in out.items():
        level = None
        edges[name] = []
        for t, v in changes:
            if level is not None and v != level:
                edges[name].append((t, v))
            level = v
    return edges


def expected_edges(rec):
    want = {w: [] for w in WIRES[:4]}
    for ch, start, pos, gap, neg in (p[:5] for p in rec.pulses):
        a, b = want["ch%d_a" % (ch + 1)], want["ch%d_b" % (ch + 1)]
        if pos > 0:
            a += [(start, 1), (start + pos, 0)]
        if neg > 0:
            b += [(start + pos + gap, 1), (start + pos + gap + neg, 0)]
    return {w: sorted(v) for w, v in want.items()}


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    rec = Simulation(validate(SCENARIO)).run()
    out = tmp_path_factory.mktemp("sigrok")
    write_all(rec, out)
    return rec, out


def test_sigrok_lists_the_channels(traced):
    _, out = traced
    show = subprocess.run([_sigrok(), "-i", str(out / "trace.vcd"), "-I", "vcd", "--show"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    listed = [line[2:].split(":")[0] for line in show.splitlines() if line.startswith("- ")]
    assert listed == WIRES
    assert "Samplerate: 1000000" in show


def test_sigrok_export_has_every_pulse_edge(traced, tmp_path):
    rec, out = traced
    back = tmp_path / "back.vcd"
    subprocess.run([_sigrok(), "-i", str(out / "trace.vcd"), "-I", "vcd", "-O", "vcd",
                    "-o", str(back)], capture_output=True, text=True, timeout=60, check=True)
    got = parse_vcd(back.read_text())
    want = expected_edges(rec)
    assert {p[0] for p in rec.pulses} == {0, 1} and len(rec.pulses) > 200
    for w in WIRES[:4]:
        assert got[w] == want[w], w
    # The high-voltage enable goes up before the first pulse.
    assert got["hv_en"] and got["hv_en"][0] == (rec.hv[0][0], 1)
    assert got["hv_en"][0][0] <= min(p[1] for p in rec.pulses)


def test_sigrok_decoded_a_and_b_never_high_together(traced, tmp_path):
    _, out = traced
    back = tmp_path / "back.vcd"
    subprocess.run([_sigrok(), "-i", str(out / "trace.vcd"), "-I", "vcd", "-O", "vcd",
                    "-o", str(back)], capture_output=True, text=True, timeout=60, check=True)
    got = parse_vcd(back.read_text())
    for ch in (1, 2):
        # At one instant falls come before rises: a B falling as the next A
        # rises is not an overlap.
        merged = sorted([(t, "a", v) for t, v in got["ch%d_a" % ch]]
                        + [(t, "b", v) for t, v in got["ch%d_b" % ch]],
                        key=lambda e: (e[0], e[2]))
        level = {"a": 0, "b": 0}
        for t, wire, v in merged:
            level[wire] = v
            assert not (level["a"] and level["b"]), "ch%d A and B high at %d us" % (ch, t)


def test_trace_runs_past_a_pulse_in_progress_at_the_end(tmp_path):
    # The run ends while channel 2 is still pulsing: its last pulse finishes
    # after the end, and the trace must still show that pulse's final fall.
    sc = dict(SCENARIO, events=SCENARIO["events"][:-1])
    rec = Simulation(validate(sc)).run()
    write_all(rec, tmp_path)
    back = tmp_path / "back.vcd"
    subprocess.run([_sigrok(), "-i", str(tmp_path / "trace.vcd"), "-I", "vcd", "-O", "vcd",
                    "-o", str(back)], capture_output=True, text=True, timeout=60, check=True)
    got = parse_vcd(back.read_text())
    want = expected_edges(rec)
    for w in WIRES[:4]:
        assert got[w] == want[w], w


# -- trace.sr: the sigrok session, with the currents as analog channels -----------------

def _timescale_us(vcd_text):
    m = re.search(r"\$timescale\s+(\d+)\s*(s|ms|us|ns)\s+\$end", vcd_text)
    return int(m.group(1)) * {"s": 10 ** 6, "ms": 10 ** 3, "us": 1, "ns": 10 ** -3}[m.group(2)]


def test_sigrok_lists_the_session_with_its_analog_currents(traced):
    rec, out = traced
    show = subprocess.run([_sigrok(), "-i", str(out / "trace.sr"), "--show"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    listed = [line[2:] for line in show.splitlines() if line.startswith("- ")]
    assert listed == ["%s: logic" % w for w in WIRES] + ["ch1_ma: analog", "ch2_ma: analog"]
    period = 10 ** 6 // int(re.search(r"Samplerate: (\d+)", show).group(1))
    n = end_us(rec) // period
    assert "Logic sample count: %d" % n in show and "Analog sample count: %d" % n in show


def test_session_samples_read_back_match_the_vcd_edges(traced, tmp_path):
    rec, out = traced
    edges = {}
    for name in ("trace.vcd", "trace.sr"):
        back = tmp_path / (name + ".back.vcd")
        subprocess.run([_sigrok(), "-i", str(out / name), "-O", "vcd", "-o", str(back)],
                       capture_output=True, text=True, timeout=60, check=True)
        text = back.read_text()
        scale = _timescale_us(text)
        edges[name] = {w: [(t * scale, v) for t, v in e] for w, e in parse_vcd(text).items()}
    assert edges["trace.sr"] == edges["trace.vcd"]
    want = expected_edges(rec)
    for w in WIRES[:4]:
        assert edges["trace.sr"][w] == want[w], w


def test_session_currents_read_back_match_the_vcd(traced, tmp_path):
    # sigrok-cli loads trace.sr and writes it again with its own srzip writer:
    # what it wrote is what it read.
    _, out = traced
    again = tmp_path / "again.sr"
    subprocess.run([_sigrok(), "-i", str(out / "trace.sr"), "-O", "srzip", "-o", str(again)],
                   capture_output=True, text=True, timeout=60, check=True)
    with zipfile.ZipFile(out / "trace.sr") as ours, zipfile.ZipFile(again) as theirs:
        assert ours.read("version") == theirs.read("version") == b"2"
        meta = configparser.ConfigParser()
        meta.read_string(theirs.read("metadata").decode())
        period = 10 ** 6 // _rate_hz(meta["device 1"]["samplerate"])
        tr = read_vcd(out / "trace.vcd")
        for n, name in ((6, "ch1_ma"), (7, "ch2_ma")):
            assert meta["device 1"]["analog%d" % n] == name
            chunks = sorted((m for m in theirs.namelist() if m.startswith("analog-1-%d-" % n)),
                            key=lambda m: int(m.rsplit("-", 1)[1]))
            samples = np.frombuffer(b"".join(theirs.read(m) for m in chunks), dtype="<f4")
            at = np.flatnonzero(np.diff(samples)) + 1
            got = [(int(k) * period, float(samples[k])) for k in at]
            want = [(t, float(np.float32(v))) for t, v in tr.changes[name] if t > 0]
            assert got == want and len(want) > 10, name


def _rate_hz(text):
    num, unit = text.split()
    return int(num) * {"Hz": 1, "kHz": 10 ** 3, "MHz": 10 ** 6, "GHz": 10 ** 9}[unit]


def test_gtkwave_save_file_groups_the_signals_per_channel(traced):
    _, out = traced
    text = (out / "trace.gtkw").read_text()
    assert '[dumpfile] "trace.vcd"' in text
    tr = read_vcd(out / "trace.vcd")
    lines = text.splitlines()
    traces = [ln for ln in lines if ln.startswith("board.")]
    assert sorted(traces) == sorted("board." + n for n in tr.kinds)
    for ch in ("ch1", "ch2"):
        start = lines.index("-%s" % ch)
        end = len(lines) - 1 - lines[::-1].index("-%s" % ch)
        inside = [ln for ln in lines[start:end] if ln.startswith("board.")]
        assert inside == ["board.%s_a" % ch, "board.%s_b" % ch, "board.%s_ma" % ch]
        flags = int(lines[lines.index("board.%s_ma" % ch) - 1][1:], 16)
        assert flags & GTKWFlag.real.value and flags & GTKWFlag.analog_step.value
