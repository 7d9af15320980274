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
# waiting, read at each service() and at stop(). A stop discards what waits:
# the words of a pulse stopped half-taken (its second word still queued) would
# otherwise pair with the next train's, a 16-bit idle count read as a phase.
# StateMachine.init flushes the FIFO too on the chip (pio_sm_init); the
# stop does not count on it.
#
# The engine also keeps the train's timeline, for quiet_in(): the program's
# periods are exact to the cycle, so each pulse begins one interval after the
# one before it, or at its put() when the state machine had run out of words
# and waited at its pull (found at a feed that finds the FIFO empty past the
# time the next pulse was due). The clock is read at start() and at such
# feeds only: the steady feed adds no call.
from array import array

import machine
import rp2
from micropython import const

from ustim.core import pulses
from ustim.hal.pio_biphasic import biphasic
from ustim.hal.pio_feed import KEPT, WORDS_PER_PULSE, feed
from ustim.hal.pio_feed import quiet_in as _quiet_in
from ustim.hal.pulse import TICKS_HALF, TICKS_MASK, PulseEngine, pulse_clock, ticks_later

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

SM_HZ = const(1000000)
CYCLES_PER_US = const(1)
# Fixed cycles of the program around the counted loops (see pio_biphasic.py).
PHASE_OVERHEAD = const(5)
PERIOD_OVERHEAD = const(41)
# set(pins, 0), executed on a stopped state machine.
SET_PINS_LOW = const(0xE000)
# pull(noblock): takes a waiting word (or copies X) and leaves the pins alone.
PULL_NOBLOCK = const(0x8080)
_MAX_FIELD = const(0xFFFF)
_MAX_COARSE = const((1 << 27) - 1)


def encode(spec, interval_us, out):
    """Fill out[0], out[1] with the FIFO words for a pulse of the spec followed
    by interval_us to the next one's start (pulses.interval_after). Raises
    ValueError for a shape the program cannot make."""
    phase = spec.pos_us * CYCLES_PER_US
    gap = spec.gap_us * CYCLES_PER_US
    if spec.neg_us != spec.pos_us:
        # The program reuses the A count for B: it can only make balanced pulses.
        raise ValueError("unbalanced phases")
    if phase < PHASE_OVERHEAD or phase - PHASE_OVERHEAD > _MAX_FIELD:
        raise ValueError("phase width")
    if gap < 0 or gap > _MAX_FIELD:
        raise ValueError("interphase gap")
    rest = interval_us * CYCLES_PER_US - 2 * phase - gap - PERIOD_OVERHEAD
    if rest < 0 or rest >> 5 > _MAX_COARSE:
        raise ValueError("pulse period")
    out[0] = (phase - PHASE_OVERHEAD) | gap << 16
    out[1] = (rest & 31) | (rest >> 5) << 5


class PioPulseEngine(PulseEngine):
    def __init__(self, board, sm_base=0, ticks_us=None):
        # type: (Any, int, Any) -> None
        PulseEngine.__init__(self, board.CHANNELS)
        self._ticks = pulse_clock(ticks_us)
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
        # The timeline: when the next pulse put will begin, the intervals after
        # an inner and after the last pulse of a cycle, the starts of the last
        # KEPT pulses put (a ring) and how long a pulse keeps the pins busy.
        self._due = [0] * self.channels
        self._iv_inner = [0] * self.channels
        self._iv_last = [0] * self.channels
        self._starts = [[0] * KEPT for _ in range(self.channels)]
        self._ring = [0] * self.channels
        self._busy = [0] * self.channels
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
        # A sweeping program comes here every few ticks: one pulse a cycle
        # (all but bursts) is encoded once, without the calls.
        n = spec.burst_n if spec.burst_n > 1 else 1
        if n > 1:
            iv_inner = pulses.interval_after(spec, 0)
            iv_last = pulses.interval_after(spec, n - 1)
        else:
            iv_inner = iv_last = spec.period_us
        inner, last = self._pairs[ch]
        # Encode both before touching the live pairs: a refusal changes nothing.
        w0, w1 = self._scratch
        encode(spec, iv_inner, w0)
        if iv_last != iv_inner:
            encode(spec, iv_last, w1)
        else:
            w1[0], w1[1] = w0[0], w0[1]
        inner[0], inner[1] = w0[0], w0[1]
        last[0], last[1] = w1[0], w1[1]
        self._n[ch] = n
        # Two lists, not a tuple: configure() runs while stimulating.
        self._iv_inner[ch] = iv_inner
        self._iv_last[ch] = iv_last
        # Pulses of the spec before may still wait in the FIFO: the longer.
        busy = spec.pulse_us() + PHASE_OVERHEAD
        self._busy[ch] = busy if busy > self._busy[ch] or not self.on[ch] else self._busy[ch]
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
        # The timeline from 0 while the first pulses are put, then moved to
        # the clock read once the program runs (it begins with their pull).
        self._due[ch] = 0
        starts = self._starts[ch]
        for k in range(KEPT):
            starts[k] = -TICKS_HALF // 2      # long over
        feed(self, ch)
        sm.active(1)
        t0 = self._ticks()
        self._due[ch] = ticks_later(t0, self._due[ch])
        for k in range(KEPT):
            # A put's start is after t0, the "long over" mark before it.
            t = starts[k]
            starts[k] = ticks_later(t0, t) if t >= 0 else (t0 + t) & TICKS_MASK

    def stop(self, ch):
        # type: (int) -> None
        self.on[ch] = False
        sm = self._sm[ch]
        sm.active(0)
        # A stopped state machine keeps its pins as they were: force them low
        # through the PIO (first: the pins before the bookkeeping), then take
        # them back as plain GPIO outputs, low.
        sm.exec(SET_PINS_LOW)
        self._count(ch)
        waiting = sm.tx_fifo()
        while waiting:
            sm.exec(PULL_NOBLOCK)
            waiting -= 1
        self._a[ch].init(machine.Pin.OUT, value=0)
        self._b[ch].init(machine.Pin.OUT, value=0)

    def service(self):
        # type: () -> int
        fed = 0
        for ch in range(self.channels):
            if self.on[ch]:
                fed += feed(self, ch)
        return fed

    # Machine code on the boards, with the feed (pio_feed.py).
    quiet_in = _quiet_in

    def _count(self, ch):
        # type: (int) -> None
        waiting = self._sm[ch].tx_fifo() // WORDS_PER_PULSE
        self.fed[ch] = self._base[ch] + self._puts[ch] - waiting
