"""Both pulse engines count what came out: after service() and after stop(),
fed[ch] is the number of pulses that began on the pads (rp2 shim's executing
state machine, esp32 shim's RMT), across stops and starts, never going back.
What was handed to the hardware but never began (the FIFO's or a window's
pulses when a stop comes) is not counted: the dose counts fed.

The one place the engines cannot see the pads: on the RP2040 a pulse counts
from the pull of its first word, 5 cycles before A rises, so a stop in those
5 us counts one pulse that never began; on the ESP32 a pulse counts once the
latest time it can have begun has passed (lead after A's write returned), so
a stop in the at most WRITE_RETURN_US before that misses one that did."""

import board_time
import esp32
import machine
from hypothesis import given, settings
from hypothesis import strategies as st

import rp2
from boards import esp32_devkitc, pico
from ustim.core import limits
from ustim.core.spec import PulseSpec
from ustim.hal import esp32_rmt, rp2_pio

CH = 1
ENV = limits.Envelope(pico.LIMITS)


def _fresh(board):
    rp2.reset()
    esp32.reset()
    machine.reset_state()
    board_time.reset(0)
    machine.trace((board.PIN_A[CH],))


def _begun(board):
    return sum(1 for _t, p, v in machine.EDGES if p == board.PIN_A[CH] and v)


def _engine(board):
    if board is pico:
        return rp2_pio.PioPulseEngine(board)
    return esp32_rmt.RmtPulseEngine(board, ticks_us=board_time.ticks_us)


def _catch_up(ahead=0):
    t = board_time.now_us() + ahead
    rp2.catch_up(t)
    esp32.catch_up(t)


# The RP2040 program raises A 5 cycles after the pull that counts the pulse.
PULL_TO_A_US = 5


@st.composite
def runs(draw):
    period = draw(st.integers(6667, 100000))
    spec = PulseSpec(phase_us=draw(st.integers(50, 400)), gap_us=draw(st.integers(0, 100)),
                     period_us=period)
    # (us of running with service() every tick, then a stop) a few times
    legs = draw(st.lists(st.integers(0, 400000), min_size=1, max_size=4))
    tick = draw(st.integers(1000, 10000))
    return spec, legs, tick


@settings(max_examples=60, deadline=None)
@given(run=runs(), board=st.sampled_from([pico, esp32_devkitc]))
def test_fed_is_the_pulses_that_began(run, board):
    spec, legs, tick = run
    if limits.check_spec(ENV, spec) is not None:
        return
    _fresh(board)
    eng = _engine(board)
    eng.configure(CH, spec)
    seen = 0
    for leg in legs:
        eng.start(CH)
        end = board_time.now_us() + leg
        while board_time.now_us() < end:
            board_time.charge(min(tick, end - board_time.now_us()) or 1)
            eng.service()
            _catch_up(PULL_TO_A_US if board is pico else 0)
            assert eng.fed[CH] >= seen, "fed never goes back"
            seen = eng.fed[CH]
            # Pulses may begin between two service() calls: at most the two
            # the hardware holds, never fewer than fed.
            assert 0 <= _begun(board) - eng.fed[CH] <= 2
        eng.stop(CH)
        board_time.charge(50000)
        _catch_up()
        off = eng.fed[CH] - _begun(board)
        assert off in ((0, 1) if board is pico else (0, -1)), "after a stop: what began"
        seen = eng.fed[CH]
        # The next start counts on from there.
        machine.EDGES[:] = [e for e in machine.EDGES if e[1] != board.PIN_A[CH]]
        machine.EDGES.extend((0, board.PIN_A[CH], 1) for _ in range(seen))


def test_a_stop_between_pulses_counts_exactly():
    for board in (pico, esp32_devkitc):
        _fresh(board)
        eng = _engine(board)
        eng.configure(CH, PulseSpec(phase_us=200, gap_us=50, period_us=10000))
        eng.start(CH)
        for _ in range(30):
            board_time.charge(10000)
            eng.service()
        board_time.charge(5000)                 # mid-idle, both FIFO pulses waiting
        eng.stop(CH)
        board_time.charge(50000)
        _catch_up()
        assert eng.fed[CH] == _begun(board) == 31, board.NAME
