"""Powering down from the buttons: outputs off, the board stays off (the
console cannot start it), and only POWER wakes it, into a fresh boot."""

from tools.sim.run import Simulation
from ustim.core import channel as C

SCENARIO = {
    "name": "power down", "board": "pico", "duration_s": 16,
    "events": [
        {"t": 1.0, "console": "select 1 tens"}, {"t": 1.1, "console": "amp 1 10"},
        {"t": 1.2, "console": "start 1"},
        {"t": 5.0, "hold": "power", "s": 1.5},
        {"t": 8.0, "console": "start 1"},
        {"t": 11.0, "press": "power"},
    ],
}


def test_power_down_then_wake():
    sim = Simulation(dict(SCENARIO))
    rec = sim.run()
    texts = [t for _, t in rec.events]
    down = next(t for t, text in rec.events if text.startswith("powered down"))
    assert 5000 < down < 7000
    assert not [p for p in rec.pulses if down * 1000 <= p[1] < 11000 * 1000]
    assert not [t for t, on in rec.hv if on and t >= down * 1000]
    assert "boot 2 (reset cause 4)" in texts
    assert sim.boots == 2
    assert [c.ch.state for c in sim.app.ctl.chans] == [C.OFF, C.OFF]
    assert sum(1 for p in rec.pulses if p[1] < down * 1000) > 100


HELD = {
    "name": "power held", "board": "pico", "duration_s": 12,
    "events": [
        {"t": 1.0, "console": "select 1 tens"}, {"t": 1.1, "console": "amp 1 10"},
        {"t": 1.2, "console": "start 1"},
        {"t": 4.0, "hold": "power", "s": 5.0},
        {"t": 10.0, "press": "power"},
    ],
}


def test_a_held_power_keeps_the_board_down_until_released_and_pressed():
    # The hold powers down after 1 s and goes on 4 s more, past the device's
    # 2 s awake wait for the release: the board stays down all that time and
    # after it, and wakes at the device's first look after the new press
    # (it sleeps in 200 ms steps by then).
    sim = Simulation(dict(HELD))
    rec = sim.run()
    down = next(t for t, text in rec.events if text.startswith("powered down"))
    assert 4900 <= down <= 5100
    boots = [t for t, text in rec.events if text.startswith("boot ")]
    assert len(boots) == 2 and sim.boots == 2
    assert 10000 <= boots[1] <= 10200, boots
    assert not [p for p in rec.pulses if down * 1000 <= p[1]]
    assert not [t for t, on in rec.hv if on and t >= down * 1000]
