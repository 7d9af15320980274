"""The bench tool drives the simulated board through a real pseudo-terminal:
`python -m tools.sim --pty` prints the pty path first, and
`python -m tools.bench --port PATH ...` talks to it with pyserial."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench(port, *words):
    out = subprocess.run([sys.executable, "-m", "tools.bench", "--port", port, "--json", *words],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == 1, out.stdout + out.stderr
    return out.returncode, json.loads(lines[0])


def test_bench_tool_over_the_simulators_pty(tmp_path):
    sim = subprocess.Popen([sys.executable, "-m", "tools.sim", "--pty", "--out", str(tmp_path)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = sim.stdout.readline().strip()
        assert port.startswith("/dev/pts/"), port
        rc, r = _bench(port, "version")
        assert rc == 0 and r["ok"]
        assert _bench(port, "select", "1", "tens")[1]["ok"]
        assert _bench(port, "amp", "1", "12.5")[1]["ok"]
        rc, r = _bench(port, "amp", "1", "500")
        assert rc == 1 and r["error"] == "out_of_range"
        assert _bench(port, "start", "1")[1]["ok"]
        deadline = time.monotonic() + 20
        state = None
        while time.monotonic() < deadline:
            state = _bench(port, "status")[1]["channels"][0]["state"]
            if state in ("RAMPING", "RUNNING"):
                break
            time.sleep(0.3)
        assert state in ("RAMPING", "RUNNING"), state
        assert _bench(port, "stop", "all")[1]["ok"]
    finally:
        sim.send_signal(signal.SIGINT)
        rest, err = sim.communicate(timeout=60)
    assert sim.returncode == 0, err
    assert "report.md" in rest
    events = (tmp_path / "events.log").read_text()
    assert "ch1 start tens" in events and "simulation stopped: outputs off" in events
    pulses = (tmp_path / "pulses.csv").read_text().splitlines()
    assert len(pulses) > 10          # header + the pulses delivered while running
