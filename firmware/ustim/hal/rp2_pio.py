# RP2040 pulse engine: one PIO state machine per channel running the program
# in pio_biphasic.py at 1 MHz (1 cycle = 1 us), fed two words per pulse.
#
# The controller's work per pulse is one tx_fifo() poll and one put() of a
# preallocated 2-word array; put() is only called when the FIFO has room, so
# it never blocks. The FIFO holds 2 pulses: service() must run at least once
# every 2 pulse periods (13 ms at 150 Hz) to keep the train gap-free; if it is
# late, the next pulse is late (pins low meanwhile), never early or malformed.
# fed[ch] counts the pulses the program has taken from the FIFO (a pulse
# begins with its first word's pull): those put minus whole pulses still
# waiting, read at each service() and at stop(). A stop discards what waits.
from array import array

import machine
import rp2
from micropython import const

from ustim.core import pulses
from ustim.hal.pio_biphasic import biphasic
from ustim.hal.pulse import PulseEngine

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

SM_HZ = const(1000000)
CYCLES_PER_US = const(1)
# Fixed cycles of the program around the counted loops (see pio_biphasic.py).
PHASE_OVERHEAD = const(5)
PERIOD_OVERHEAD = const(41)
FIFO_WORDS = const(4)
WORDS_PER_PULSE = const(2)
# set(pins, 0), executed on a stopped state machine.
SET_PINS_LOW = const(0xE000)
_MAX_FIELD = const(0xFFFF)
_MAX_COARSE = const((1 << 27) - 1)


def encode(spec, i, out):
    """Fill out[0], out[1] with the FIFO words for the pulse at position i of
    the spec's cycle. Raises ValueError for a shape the program cannot make."""
    phase = spec.pos_us * CYCLES_PER_US
    gap = spec.gap_us * CYCLES_PER_US
    if spec.neg_us != spec.pos_us:
        # The program reuses the A count for B: it can only make balanced pulses.
        raise ValueError("unbalanced phases")
    if phase < PHASE_OVERHEAD or phase - PHASE_OVERHEAD > _MAX_FIELD:
        raise ValueError("phase width")
    if gap < 0 or gap > _MAX_FIELD:
        raise ValueError("interphase gap")
    rest = pulses.interval_after(spec, i) * CYCLES_PER_US - 2 * phase - gap - PERIOD_OVERHEAD
    if rest < 0 or rest >> 5 > _MAX_COARSE:
        raise ValueError("pulse period")
    out[0] = (phase - PHASE_OVERHEAD) | gap << 16
    out[1] = (rest & 31) | (rest >> 5) << 5


class PioPulseEngine(PulseEngine):
    def __init__(self, board, sm_base=0):
        # type: (Any, int) -> None
        PulseEngine.__init__(self, board.CHANNELS)
        if machine.freq() % SM_HZ:
            # A fractional clock divider would add one system clock of jitter.
            raise ValueError("system clock not a multiple of 1 MHz")
        self._a = []  # type: list[machine.Pin]
        self._b = []  # type: list[machine.Pin]
        self._sm = []  # type: list[rp2.StateMachine]
        # Per channel: (pair for pulses inside a cycle, pair for the last one).
        self._pairs = []  # type: list[tuple[array, array]]
        self._n = [1] * self.channels
        self._pos = [0] * self.channels
        self._puts = [0] * self.channels     # pulses put since the channel started
        self._base = [0] * self.channels     # fed when it started
        self._ready = [False] * self.channels
        for ch in range(self.channels):
            if board.PIN_B[ch] != board.PIN_A[ch] + 1:
                raise ValueError("PIN_B must be PIN_A + 1 (one set group)")
            self._a.append(machine.Pin(board.PIN_A[ch]))
            self._b.append(machine.Pin(board.PIN_B[ch]))
            self._sm.append(rp2.StateMachine(sm_base + ch))
            self._pairs.append((array("I", [0, 0]), array("I", [0, 0])))
        self._scratch = (array("I", [0, 0]), array("I", [0, 0]))
        self.stop_all()

    def configure(self, ch, spec):
        # type: (int, Any) -> None
        n = spec.pulses_per_cycle()
        inner, last = self._pairs[ch]
        # Encode both before touching the live pairs: a refusal changes nothing.
        w0, w1 = self._scratch
        encode(spec, 0, w0)
        encode(spec, n - 1, w1)
        inner[0], inner[1] = w0[0], w0[1]
        last[0], last[1] = w1[0], w1[1]
        self._n[ch] = n
        if self._pos[ch] >= n:
            self._pos[ch] = 0
        self._ready[ch] = True

    def start(self, ch):
        # type: (int) -> None
        if not self._ready[ch]:
            raise ValueError("configure the channel first")
        sm = self._sm[ch]
        # init clears the FIFO, restarts the program at its first pull and
        # hands the pins back to the PIO with both low (set_init).
        sm.init(biphasic, freq=SM_HZ, set_base=self._a[ch])
        self._pos[ch] = 0
        self._base[ch] = self.fed[ch]
        self._puts[ch] = 0
        self.on[ch] = True
        self._feed(ch)
        sm.active(1)

    def stop(self, ch):
        # type: (int) -> None
        self.on[ch] = False
        sm = self._sm[ch]
        sm.active(0)
        self._count(ch)
        # A stopped state machine keeps its pins as they were: force them low
        # through the PIO, then take them back as plain GPIO outputs, low.
        sm.exec(SET_PINS_LOW)
        self._a[ch].init(machine.Pin.OUT, value=0)
        self._b[ch].init(machine.Pin.OUT, value=0)

    def service(self):
        # type: () -> int
        fed = 0
        for ch in range(self.channels):
            if self.on[ch]:
                fed += self._feed(ch)
        return fed

    def _feed(self, ch):
        # type: (int) -> int
        sm = self._sm[ch]
        n = self._n[ch]
        inner, last = self._pairs[ch]
        fed = 0
        while sm.tx_fifo() <= FIFO_WORDS - WORDS_PER_PULSE:
            i = self._pos[ch]
            sm.put(last if i == n - 1 else inner)
            i += 1
            self._pos[ch] = 0 if i >= n else i
            fed += 1
        self._puts[ch] += fed
        self._count(ch)
        return fed

    def _count(self, ch):
        # type: (int) -> None
        waiting = self._sm[ch].tx_fifo() // WORDS_PER_PULSE
        self.fed[ch] = self._base[ch] + self._puts[ch] - waiting
