"""The Randles electrode model (formula, compliance, events) and the hal sense
path that reads it through the machine shim on both boards."""

import math

import machine
import pytest

from boards import esp32_devkitc, pico
from tools.sim.models.electrode import RAW_MAX, Electrode, to_raw
from ustim.hal.sense import Sense, fixed_scale, to_units


def test_peak_voltage_is_the_randles_formula():
    el = Electrode(rs=300, rp=2000, cp_nf=100, noise=False, drift_pct=0)
    i, v = el.pulse(0, 5000, 200)
    tau_us = 2000 * 100e-3
    want = 5000 * (300 + 2000 * (1 - math.exp(-200 / tau_us))) / 1000
    assert i == 5000 and v == pytest.approx(want)


def test_compliance_collapses_the_current():
    el = Electrode(rs=500, rp=10000, cp_nf=20, noise=False, drift_pct=0)
    z = el.z_ohm(0, 400)
    i, v = el.pulse(0, 40000, 400)
    assert v == 80000 and i == pytest.approx(80000 * 1000 / z)
    assert i < 40000


def test_events_move_the_impedance_the_right_way():
    el = Electrode(rs=200, rp=1500, cp_nf=100, noise=False, drift_pct=0)
    el.peel(1000, 1000).reattach(5000).dry(6000, 1000, 4.0).short(9000)
    z0 = el.z_ohm(0, 200)
    zs = [el.z_ohm(t, 200) for t in (1000, 1250, 1500, 1750, 1999)]
    assert zs == sorted(zs) and zs[-1] > 100 * z0          # peel: rising to open
    assert el.z_ohm(2500, 200) > 1e8                        # fully off
    assert el.z_ohm(5500, 200) == pytest.approx(z0)         # re-attached
    assert el.z_ohm(7000, 200) > 3 * z0                     # dried 4x
    assert el.z_ohm(9500, 200) < 10                         # shorted


def test_noise_and_drift_are_seeded():
    a = Electrode(seed=5)
    b = Electrode(seed=5)
    assert [a.pulse(t, 5000, 200) for t in range(5)] == [b.pulse(t, 5000, 200) for t in range(5)]
    assert Electrode(seed=6).pulse(0, 5000, 200) != Electrode(seed=5).pulse(0, 5000, 200)
    el = Electrode(drift_pct=15)
    zs = [el.z_ohm(t * 60000, 200) for t in range(30)]
    assert max(zs) / min(zs) < 1.15 / 0.85 + 1e-9


def test_to_raw_is_12_bit_left_justified_and_clipped():
    assert to_raw(0, 100000) == 0
    assert to_raw(100000, 100000) == RAW_MAX
    assert to_raw(-50, 100000) == 0 and to_raw(2e5, 100000) == RAW_MAX
    assert to_raw(50000, 100000) & 0xF == (to_raw(50000, 100000) >> 12) & 0xF


def test_fixed_scale_stays_in_small_ints_and_is_exact_enough():
    for full in (100000, 120000, 9900, 3300, 1000000):
        k, shift = fixed_scale(full)
        assert RAW_MAX * k + (1 << shift) < 2 ** 30
        worst = max(abs(to_units(r, k, shift) - r * full / RAW_MAX) for r in range(0, 65536, 7))
        assert worst <= max(1.0, full / 1e4), (full, worst)


@pytest.mark.parametrize("board", (pico, esp32_devkitc), ids=("pico", "esp32"))
def test_sense_reads_each_channel_with_board_scales(board):
    machine.reset_state()
    raws = {"i": [to_raw(5000, 100000), to_raw(20000, 100000)],
            "v": [to_raw(7500, 120000), to_raw(60000, 120000)]}
    for c in range(2):
        machine.set_adc(board.PIN_SENSE_I[c], raws["i"][c])
    mux = getattr(board, "PIN_SENSE_V_MUX", None)
    if mux is not None:
        hw = machine.state()
        machine.set_adc(board.PIN_SENSE_V[0], lambda: raws["v"][hw.pins[mux].level])
    else:
        for c in range(2):
            machine.set_adc(board.PIN_SENSE_V[c], raws["v"][c])
    s = Sense(board)
    for _ in range(3):
        s.read()
        assert s.raw_i == raws["i"] and s.raw_v == raws["v"]
        for c, (i, v) in enumerate(((5000, 7500), (20000, 60000))):
            assert abs(s.i_ua[c] - i) <= 25 and abs(s.v_mv[c] - v) <= 30
    if mux is not None:
        assert machine.pin(mux).level == 0, "mux left on channel 1 between reads"
        assert 1 in machine.pin(mux).history
