"""Amplitude output (ustim.hal.amplitude) on the machine shim: uA to PWM duty
and DAC code with each board's scale, rounding down, clamped to the board."""

import machine
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards import esp32_devkitc, pico
from ustim.hal import amplitude


@pytest.fixture(autouse=True)
def fresh_board():
    machine.reset_state()


def test_pico_pwm_scale_and_zero():
    amp = amplitude.for_board(pico)
    assert isinstance(amp, amplitude.PwmAmplitude)
    pwm = machine.pwm(pico.PIN_AMP_PWM[0])
    assert pwm.freq() == pico.AMP_PWM_HZ
    assert pwm.history == [0], "created at duty 0"
    assert amp.set(0, 0) == 0 and pwm.duty_u16() == 0
    # 100 mA full scale: 50 mA is half of 65535, rounded down.
    assert amp.set(0, 50000) == 32767
    assert amp.set(0, 1) == 0, "below one step: 0, never rounded up"
    assert amp.set(0, 2) == 1
    assert amp.set(0, -5) == 0
    amp.off_all()
    assert machine.pwm(pico.PIN_AMP_PWM[1]).duty_u16() == 0
    assert pwm.duty_u16() == 0


def test_pico_clamped_to_board_peak_not_full_scale():
    amp = amplitude.for_board(pico)
    top = amp.set(1, 10**6)
    assert top == 80000 * 65535 // 100000   # LIMITS max_peak_ua 80 mA
    assert amp.ua[1] <= 80000


def test_esp32_dac_scale():
    amp = amplitude.for_board(esp32_devkitc)
    assert type(amp).__name__ == "DacAmplitude"
    dac = machine.dac(esp32_devkitc.PIN_AMP_DAC[0])
    assert dac.history == [0]
    assert amp.set(0, 100000) == 80000 * 255 // 100000, "clamped to 80 mA"
    assert amp.set(0, 392) == 0, "one DAC step is 392.2 uA"
    assert amp.set(0, 393) == 1
    amp.off(0)
    assert dac.code == 0


@given(ua=st.integers(-1000, 200000))
def test_never_above_command_or_board(ua):
    for board, code_max in ((pico, 65535), (esp32_devkitc, 255)):
        machine.reset_state()
        amp = amplitude.for_board(board)
        code = amp.set(0, ua)
        assert 0 <= code <= code_max
        delivered = amplitude.code_to_ua(code, board.AMP_FULL_SCALE_UA, code_max)
        assert delivered <= max(ua, 0) and delivered <= 80000
        assert amp.ua[0] == delivered
        if ua > 0 and ua <= 80000:
            # and within one step below the command (floor of a floor: <=)
            step = -(-board.AMP_FULL_SCALE_UA // code_max)
            assert ua - delivered <= step
