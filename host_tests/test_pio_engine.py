"""The RP2040 engine's controller side on the rp2 and machine shims: the calls
it makes, in order, without the emulator."""

import machine
import pytest

import rp2
from boards import pico
from ustim.core.spec import PulseSpec
from ustim.hal import rp2_pio


@pytest.fixture()
def engine():
    rp2.reset()
    machine.reset_state()
    return rp2_pio.PioPulseEngine(pico)


def test_boot_state_is_every_pin_low(engine):
    for ch in range(pico.CHANNELS):
        sm = rp2.StateMachine(ch)
        assert sm.execs == [rp2_pio.SET_PINS_LOW] and not sm.running
        for pin_id in (pico.PIN_A[ch], pico.PIN_B[ch]):
            assert machine.pin(pin_id).mode() == machine.Pin.OUT
            assert machine.pin(pin_id).level == 0


def test_start_configures_state_machine_and_fills_fifo(engine):
    engine.configure(0, PulseSpec(phase_us=200, period_us=10000))
    engine.start(0)
    sm = rp2.StateMachine(0)
    assert sm.config["freq"] == rp2_pio.SM_HZ
    assert sm.config["set_base"].id == pico.PIN_A[0]
    assert sm.fifo_depth == 4, "FIFO not joined: 2 pulses at most"
    assert sm.tx_fifo() == 4 and engine.fed[0] == 0, "put, not yet begun"
    assert [k for k, _ in sm.log[-6:]] == ["init", "put", "put", "put", "put", "active"]
    assert engine.service() == 0, "full FIFO: nothing put, nothing blocks"
    sm.fifo[:2] = []                      # the state machine took one pulse
    assert engine.service() == 1 and sm.tx_fifo() == 4


def test_burst_feeds_last_pulse_word(engine):
    spec = PulseSpec(phase_us=100, period_us=10000, burst_n=3, burst_period_us=100000)
    engine.configure(1, spec)
    engine.start(1)
    sm = rp2.StateMachine(1)
    for _ in range(4):
        sm.fifo[:2] = []
        engine.service()
    idle = [w for i, w in enumerate(sm.puts) if i % 2]
    inner, last = idle[0], idle[2]
    assert idle == [inner, inner, last, inner, inner, last]
    # idle word: fine + 32 * coarse = interval - (2 * phase + gap) - 41 cycles
    assert (last & 31) + 32 * (last >> 5) == (100000 - 2 * 10000) - 2 * 100 - 41
    assert (inner & 31) + 32 * (inner >> 5) == 10000 - 2 * 100 - 41


def test_stop_order_disable_then_force_low(engine):
    engine.configure(0, PulseSpec(phase_us=200, period_us=10000))
    engine.start(0)
    sm = rp2.StateMachine(0)
    mark = len(sm.log)
    engine.stop(0)
    # Pins low first, then the 4 waiting words pulled out.
    assert sm.log[mark:] == [("active", False), ("exec", rp2_pio.SET_PINS_LOW)] + [
        ("exec", rp2_pio.PULL_NOBLOCK)] * 4
    assert machine.pin(pico.PIN_A[0]).level == 0 and machine.pin(pico.PIN_B[0]).level == 0
    assert engine.service() == 0 and not engine.running(0)


def test_stop_mid_pulse_leaves_no_word_for_the_next_train(engine):
    # The program has taken a pulse's first word; its second and a whole pulse
    # wait (3 words). Left there, the next start's first word would be read as
    # an idle count and its words paired out of order, whatever init does.
    engine.configure(0, PulseSpec(phase_us=200, period_us=10000))
    engine.start(0)
    sm = rp2.StateMachine(0)
    sm.fifo[:1] = []
    engine.stop(0)
    assert sm.tx_fifo() == 0
    assert engine.fed[0] == 1, "the pulse begun counts, the one waiting does not"


def test_refusals_leave_configuration_unchanged(engine):
    good = PulseSpec(phase_us=200, period_us=10000)
    engine.configure(0, good)
    words = [list(p) for p in engine._pairs[0]]
    for bad in (PulseSpec(phase_us=4, period_us=10000), PulseSpec(phase_us=200, neg_us=100),
                PulseSpec(phase_us=200, period_us=430)):
        with pytest.raises(ValueError):
            engine.configure(0, bad)
    assert [list(p) for p in engine._pairs[0]] == words
    with pytest.raises(ValueError):
        engine.start(1)


def test_needs_whole_mhz_clock_and_adjacent_pins():
    rp2.reset()
    machine.reset_state()
    machine.freq(133333333)
    with pytest.raises(ValueError):
        rp2_pio.PioPulseEngine(pico)
    machine.freq(150000000)
    rp2_pio.PioPulseEngine(pico)

    class Skewed:
        CHANNELS = 1
        PIN_A = pico.PIN_A[:1]
        PIN_B = (pico.PIN_B[0] + 1,)
    with pytest.raises(ValueError):
        rp2_pio.PioPulseEngine(Skewed)
