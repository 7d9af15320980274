"""The rp2 shim's state machine as the simulated board runs it: the firmware's
program executes on the board clock, FIFO levels fall as the program pulls,
put() on a full FIFO blocks (board time passes) or raises when nothing would
ever drain it, and the pins follow function select: the PIO drives them only
while it owns them."""

import board_time
import machine
import pytest

import rp2
from boards import pico
from ustim.core.spec import PulseSpec
from ustim.hal import rp2_pio
from ustim.hal.pio_biphasic import biphasic

CH = 0
A, B = pico.PIN_A[CH], pico.PIN_B[CH]
SPEC = PulseSpec(phase_us=200, gap_us=20, period_us=10000)


@pytest.fixture()
def engine():
    rp2.reset()
    machine.reset_state()
    board_time.reset(0)
    machine.trace((A, B))
    eng = rp2_pio.PioPulseEngine(pico)
    eng.configure(CH, SPEC)
    return eng


def _edges():
    return [(t, p, v) for t, p, v in machine.EDGES if p in (A, B)]


def test_program_drives_the_pads_on_the_board_clock(engine):
    engine.start(CH)
    board_time.advance_to(25000)
    rp2.catch_up()
    # Pulse k: A rises 5 us after start, 200 us high, 20 low, B 200 us; the
    # FIFO held 2 pulses and nothing more was put: 2 pulses, then low.
    want = []
    for k in range(2):
        t0 = 5 + k * 10000
        want += [(t0, A, 1), (t0 + 200, A, 0), (t0 + 220, B, 1), (t0 + 420, B, 0)]
    assert _edges() == want


def test_fifo_level_falls_as_the_program_pulls(engine):
    engine.start(CH)
    sm = rp2.StateMachine(CH)
    assert sm.tx_fifo() == 4
    board_time.advance_to(1)          # word 1 of pulse 0 pulled at cycle 0
    assert sm.tx_fifo() == 3
    board_time.advance_to(425)        # word 2 is pulled the cycle B falls
    assert sm.tx_fifo() == 3
    board_time.advance_to(426)
    assert sm.tx_fifo() == 2
    assert engine.service() == 1 and sm.tx_fifo() == 4


def test_put_on_a_full_fifo_blocks_until_the_program_pulls(engine):
    engine.start(CH)
    sm = rp2.StateMachine(CH)
    board_time.advance_to(100)        # inside pulse 0's A phase; FIFO holds 3
    sm.put(0)                         # fills it: 4 words
    t = board_time.now_us()
    sm.put(0)                         # waits for pulse 0's second pull at 425 us
    assert board_time.now_us() == 425 and sm.blocked_us == 425 - t
    assert sm.tx_fifo() == 4


def test_put_that_nothing_drains_raises(engine):
    sm = rp2.StateMachine(CH)
    sm.init(biphasic, freq=rp2_pio.SM_HZ, set_base=machine.Pin(A))
    for _ in range(4):
        sm.put(0)
    with pytest.raises(rp2.FifoFullError):
        sm.put(0)                     # stopped: no pull will ever come
    assert board_time.now_us() == 0


def test_pads_follow_function_select(engine):
    engine.start(CH)
    board_time.advance_to(100)        # A high, driven by the PIO
    rp2.catch_up()
    assert machine.pin(A).level == 1 and machine.pin(A).mode() == machine.Pin.ALT
    machine.Pin(A).value(0)           # the GPIO register: not on the pad
    assert machine.pin(A).level == 1
    machine.Pin(A, machine.Pin.OUT, value=0)  # function select back to GPIO
    assert machine.pin(A).level == 0
    board_time.advance_to(10100)      # the PIO's next A phase does not show
    rp2.catch_up()
    assert machine.pin(A).level == 0
    assert [e for e in _edges() if e[1] == A] == [(5, A, 1), (100, A, 0)]


def test_stop_exec_takes_owned_pads_low_one_cycle_later(engine):
    engine.start(CH)
    sm = rp2.StateMachine(CH)
    board_time.advance_to(300)        # B high
    sm.active(0)
    sm.exec(rp2_pio.SET_PINS_LOW)
    board_time.advance_to(400)
    rp2.catch_up()
    assert _edges()[-1] == (301, B, 0) and machine.pin(B).level == 0


def test_program_memory_is_32_words():
    rp2.reset()
    pio = rp2.PIO(0)
    pio.add_program(biphasic)
    pio.add_program(biphasic)         # loaded once
    assert pio.used_words() == len(biphasic[rp2.PROG_DATA])
    with pytest.raises(OSError):
        pio.add_program(list(biphasic))   # a second program of 25 words
