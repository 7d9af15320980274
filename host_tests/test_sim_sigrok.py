# sigrok-cli (the engine under PulseView) reads the trace.vcd of a real
# simulator run: the channel names it lists and every edge it decodes agree
# with the pulses the simulator recorded, and in what it decoded no channel
# ever has A and B high together.
import shutil
import subprocess

import pytest

from tools.sim.run import Simulation
from tools.sim.scenario import validate
from tools.sim.out.write import write_all

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
                    "(.ci/run does this)")
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
    for ch, start, pos, gap, neg, _ua in rec.pulses:
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
