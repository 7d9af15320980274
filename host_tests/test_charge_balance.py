"""Charge balance while the amplitude moves (docs/safety.md, "Net DC charge").

A pulse is balanced by width (both phases from one count), but its current
is what the amplitude reference sets while each phase lasts: on the pico a
PWM duty through a two-stage RC filter (boards/pico.py AMP_RC), on the esp32
a DAC code. A level written during a pulse, or just before one while the
filter still moves, gives its A and B phases different currents. The
firmware changes the level only where the pulse engine says no pulse sees it
(hal/pulse.py quiet_in, hal/amplitude.py), waits for the filter before a
channel's first pulse, and lets a pulse in progress end before a stop that is
no fault. These tests run a 0 -> 30 mA start ramp on the simulated board
(device path, the probe integrating the reference's current over each phase)
and look at every pulse."""

import importlib

import pytest

from tools.sim.run import Simulation
from ustim.core.programs import find
from ustim.hal import amplitude

BOARDS = ("pico", "esp32_devkitc")
# The widest phase of the presets (short: 350 us) and the common one (tens).
PROGRAMS = ("short", "tens")
# Project bound on the net charge of one pulse: 1 nC, 0.2 % of the smallest
# phase charge in these runs (the probe's 1.5 mA for 350 us: 525 nC).
NET_PC_MAX = 1000


def _ramp(board, pid, end_s=8):
    sc = {"name": "ramp", "board": board, "duration_s": end_s, "events": [
        {"t": 0.5, "console": "select 1 %s" % pid}, {"t": 0.6, "console": "amp 1 30"},
        {"t": 0.7, "console": "start 1"}, {"t": end_s - 2.5, "console": "stop 1"}]}
    return Simulation(sc).run()


@pytest.fixture(scope="module", params=[(b, p) for b in BOARDS for p in PROGRAMS],
                ids=lambda bp: "%s-%s" % bp)
def ramp(request):
    board, pid = request.param
    return board, pid, _ramp(board, pid)


def test_every_pulse_of_the_ramp_is_balanced(ramp):
    board, pid, rec = ramp
    # Pulses with current (one at a reference code of 0 carries no charge).
    ps = [p for p in rec.pulses if p[0] == 0 and p[5] > 0]
    prog = find(pid)
    assert ps and max(p[5] for p in ps) >= 29000, "the ramp did not reach 30 mA"
    # Whole pulses only: the probe's end, the ramp's and the stop's end ramp
    # let the pulse in progress finish.
    assert {(p[2], p[4]) for p in ps} == {(prog.phase_us, prog.phase_us)}
    worst = max(ps, key=lambda p: abs(p[6] - p[7]))
    assert abs(worst[6] - worst[7]) <= NET_PC_MAX, worst


def test_no_level_change_inside_a_pulse_or_its_settling(ramp):
    board, _pid, rec = ramp
    settle = amplitude.settle_us(importlib.import_module("boards." + board))
    spans = [(p[1], p[1] + p[2] + p[3] + p[4]) for p in rec.pulses if p[0] == 0]
    changes = [a[0] for a in rec.amplitude if a[1] == 0]
    assert len(changes) > 100
    bad = []
    for t in changes:
        for s, e in spans:
            # Inside a pulse, or less than the filter's settling before one.
            if s - settle < t < e:
                bad.append((t, s, e))
    assert bad == []


def test_the_pico_filter_settles_in_the_time_the_firmware_waits():
    # settle_us (5 x the sum of the two time constants) against the filter's
    # own slower time constant, as the simulator solves it.
    from boards import pico
    from tools.sim.models.reference_rc import RcReference
    rc = RcReference(pico.AMP_RC, pico.AMP_FULL_SCALE_UA, 65535)
    slow = max(rc.time_constants_us())
    assert amplitude.settle_us(pico) >= 5 * slow
    # A step's residue at settle_us: what a pulse right after it still sees move.
    rc.write(0, 65535 * 30 // 100)
    assert abs(rc.current(amplitude.settle_us(pico)) - 30000) < 30000 * 0.01
