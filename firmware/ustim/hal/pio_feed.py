# The RP2040 pulse engine's FIFO feed and its quiet_in (ustim.hal.rp2_pio), on
# their own: the feed runs every tick for every channel that outputs, quiet_in
# at every level change (each tick of a ramp), and both are compiled to machine
# code for the boards (tools/dev/native.py): service() for two channels at
# 100 and 80 Hz took a 125 MHz RP2040 0.7 ms a tick as bytecode, 0.35 native;
# quiet_in took 0.4 ms a call as bytecode. The rest of the engine stays
# bytecode but for service(): machine code takes some 3.5 times the RAM.
from micropython import const

from ustim.hal.pulse import TICKS_HALF, TICKS_MASK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

FIFO_WORDS = const(4)
WORDS_PER_PULSE = const(2)
KEPT = const(3)                   # pulses on the timeline: the one out, 2 waiting
# How far a pulse's start on the timeline may be from the pins: the clock
# read after the call that started the train, and the program's cycles
# before A rises.
EDGE_MARGIN_US = const(50)


def feed(eng, ch):
    # type: (Any, int) -> int
    """Put channel ch's next pulses while its FIFO has room for one; count what
    the program has taken (eng.fed). Returns the pulses put."""
    sm = eng._sm[ch]
    level = sm.tx_fifo()
    if level > FIFO_WORDS - WORDS_PER_PULSE:
        # Full (most ticks at the slower rates): only the count.
        eng.fed[ch] = eng._base[ch] + eng._puts[ch] - level // WORDS_PER_PULSE
        return 0
    n = eng._n[ch]
    inner, last = eng._pairs[ch]
    iv_inner = eng._iv_inner[ch]
    iv_last = eng._iv_last[ch]
    starts = eng._starts[ch]
    due_l = eng._due
    fed = 0
    if level == 0 and eng._puts[ch]:
        # The FIFO ran dry: if the next pulse was due, the program waits
        # at its pull and the next put begins it.
        now = eng._ticks()
        if (now - due_l[ch]) & TICKS_MASK < TICKS_HALF:
            due_l[ch] = now
    i = eng._pos[ch]
    r = eng._ring[ch]
    due = due_l[ch]
    while level <= FIFO_WORDS - WORDS_PER_PULSE:
        sm.put(last if i == n - 1 else inner)
        starts[r] = due
        r = r + 1 if r + 1 < KEPT else 0
        # ticks_later written out: a call per pulse costs.
        due = due - TICKS_MASK - 1 + (iv_last if i == n - 1 else iv_inner)
        if due < 0:
            # Left to right: TICKS_MASK + 1 alone is 2**30, a big int.
            due = due + TICKS_MASK + 1
        i += 1
        if i >= n:
            i = 0
        fed += 1
        level = sm.tx_fifo()
    eng._pos[ch] = i
    eng._ring[ch] = r
    due_l[ch] = due
    eng._puts[ch] += fed
    eng.fed[ch] = eng._base[ch] + eng._puts[ch] - level // WORDS_PER_PULSE
    return fed


def quiet_in(eng, ch, settle_us):
    # type: (Any, int, int) -> int
    """PulseEngine.quiet_in of the PIO engine: the longest quiet_wait
    (ustim.hal.pulse, written out here: a call per pulse costs) over the
    pulses on the channel's timeline and the next one to be put."""
    if not eng.on[ch]:
        return -1
    now = eng._ticks()
    starts = eng._starts[ch]
    busy = eng._busy[ch] + EDGE_MARGIN_US
    wait = 0
    k = 0
    while k <= KEPT:
        d = (starts[k] if k < KEPT else eng._due[ch]) - now
        if d >= TICKS_HALF:
            d = d - TICKS_MASK - 1
        elif d < -TICKS_HALF:
            d = d + TICKS_MASK + 1
        end = d + busy
        if end > wait and d - EDGE_MARGIN_US <= settle_us:
            wait = end
        k += 1
    return wait
