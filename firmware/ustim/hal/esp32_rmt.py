# ESP32 pulse engine: per channel one RMT TX channel on A and one on B, at
# 1 MHz (1 tick = 1 us), written in windows of at most 2 pulses.
#
# Why windows and not a looping sequence: a looped sequence keeps running if
# the controller hangs (the original ESP32 cannot loop a finite number of
# times), and changing a looping sequence has open bugs (stop, then write).
# A window is a plain sequence: when it ends the RMT returns to its idle level,
# low. So at most 2 pulses follow the last service() call (the dead-man) and
# nothing needs stopping to change the spec. fed[ch] counts the pulses that
# have begun: those of past windows and those of the current window whose
# start has passed (a stop cuts the rest), read at service() and stop().
#
# Timing: the pulse shapes (widths, gap) and the spacing inside a window come
# from the RMT clock, exact to the tick. Between windows, the lead-in low of
# the next window is computed from ticks_us so the next pulse starts on its
# nominal time, provided service() runs while both pins idle between windows
# (at 150 Hz, within 5.8 ms). A late service() makes the next pulse late,
# never early.
#
# A/B exclusivity: B's sequence is written after A's and starts low for
# lead + pos + gap, so B runs late by the skew between the two writes (tens of
# us, the calls' own cost); the interphase gap grows by it (docs/pulse-engine.md).
# B could reach A's second pulse only if the skew exceeded the idle between
# them (>= 5.7 ms in the envelope). Two fences, neither a timing assumption:
# - nothing allocates between the writes: start() sends one all-low sequence
#   of the longest window on both channels first, so the drivers' item
#   buffers never grow (grow = m_realloc = a possible garbage collection)
#   once pulses are sent;
# - the skew is measured: from the clock read before A's write to the one
#   after B's (no allocation in between), a bound on how late B started. At
#   or past the idle, both channels are stopped there, before B's first
#   phase (at least lead + pos + gap after B's start), and service() raises:
#   the App turns every output off and reports it.
#
# quiet_in() reads the windows' own timeline: the two pulses of the window
# written (rise1, rise2) and the next window's first (next), each within the
# skew measured at its write.
import esp32
import machine
from micropython import const

from ustim.core import pulses
from ustim.core.ticks import ticks_add, ticks_diff
from ustim.hal.pulse import PulseEngine, quiet_wait

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any  # noqa: F401  (used in type comments)

RES_HZ = const(1000000)
PULSE_MAX = const(32767)
PULSES_PER_WINDOW = const(2)
# The longest low stretch in the envelope (1 Hz) takes 31 items: a window is at
# most 2 * 31 + 2 items per pin, the size the buffers are primed to.
MAX_PIECES = const(31)
WINDOW_MAX_ITEMS = const(2 * MAX_PIECES + 2)
_PRIME_WAIT_MS = const(1)


def pieces_for(spec):
    """How many RMT items each low stretch is split into (each <= PULSE_MAX)."""
    longest = 0
    for i in range(spec.pulses_per_cycle()):
        longest = max(longest, pulses.interval_after(spec, i))
    return (longest + PULSE_MAX - 1) // PULSE_MAX


def _put_low(dur, lev, j, low, p):
    q, r = divmod(low, p)
    for k in range(p):
        dur[j + k] = q + 1 if k < r else q
        lev[j + k] = 0
    return j + p


def fill_window(spec, i, lead, p, dur_a, lev_a, dur_b, lev_b):
    """Durations and levels of a window: `lead` us low, the pulse at cycle
    position i, its idle, the pulse at position i + 1. Each list is 2p + 2 long."""
    between = pulses.idle_after(spec, i)
    j = _put_low(dur_a, lev_a, 0, lead, p)
    dur_a[j], lev_a[j] = spec.pos_us, 1
    j = _put_low(dur_a, lev_a, j + 1, spec.gap_us + spec.neg_us + between, p)
    dur_a[j], lev_a[j] = spec.pos_us, 1
    j = _put_low(dur_b, lev_b, 0, lead + spec.pos_us + spec.gap_us, p)
    dur_b[j], lev_b[j] = spec.neg_us, 1
    j = _put_low(dur_b, lev_b, j + 1, between + spec.pos_us + spec.gap_us, p)
    dur_b[j], lev_b[j] = spec.neg_us, 1


class RmtPulseEngine(PulseEngine):
    def __init__(self, board, ticks_us=None):
        # type: (Any, Any) -> None
        PulseEngine.__init__(self, board.CHANNELS)
        if ticks_us is None:
            import time
            ticks_us = time.ticks_us
        self._ticks = ticks_us
        self._a = [machine.Pin(p) for p in board.PIN_A]
        self._b = [machine.Pin(p) for p in board.PIN_B]
        self._rmt = [None] * self.channels  # type: list[tuple[esp32.RMT, esp32.RMT] | None]
        self._spec = [None] * self.channels  # type: list
        self._p = [1] * self.channels
        self._lists = [None] * self.channels  # type: list
        self._pos = [0] * self.channels
        self._next = [0] * self.channels    # ticks_us of the next A rise
        self._done = [0] * self.channels    # fed before the current window
        self._rise1 = [0] * self.channels   # ticks_us by which its pulses begin
        self._rise2 = [0] * self.channels
        self._live = [False] * self.channels  # a window has been written
        self._skew = [0] * self.channels    # measured at the last window's write
        self._prime = ([1] * WINDOW_MAX_ITEMS, [False] * WINDOW_MAX_ITEMS)
        self.stop_all()

    def configure(self, ch, spec):
        # type: (int, Any) -> None
        if spec.neg_us != spec.pos_us:
            raise ValueError("unbalanced phases")
        if spec.pos_us < 1 or spec.pos_us > PULSE_MAX or spec.gap_us < 0:
            raise ValueError("phase width")
        if pulses.idle_after(spec, spec.pulses_per_cycle() - 1) < 1:
            raise ValueError("pulse period")
        p = pieces_for(spec)
        if p > MAX_PIECES:
            raise ValueError("pulse period")
        n = 2 * p + 2
        # Lists are made here, so service() allocates nothing, and only when
        # the size changes: a sweeping program comes here every few ticks.
        # write_pulses copies them into the RMT's items: refilling is safe.
        lists = self._lists[ch]
        if lists is None or len(lists[0]) != n:
            self._lists[ch] = ([0] * n, [0] * n, [0] * n, [0] * n)
        self._p[ch] = p
        self._spec[ch] = spec
        if self._pos[ch] >= spec.pulses_per_cycle():
            self._pos[ch] = 0

    def start(self, ch):
        # type: (int) -> None
        if self._spec[ch] is None:
            raise ValueError("configure the channel first")
        self._release(ch)
        pair = (esp32.RMT(pin=self._a[ch], resolution_hz=RES_HZ, idle_level=False),
                esp32.RMT(pin=self._b[ch], resolution_hz=RES_HZ, idle_level=False))
        self._rmt[ch] = pair
        # Both item buffers at their largest before any pulse (no write
        # after this one reallocates): an all-low sequence, then wait for it.
        dur, lev = self._prime
        for r in pair:
            r.write_pulses(dur, lev)
        for r in pair:
            r.wait_done(timeout=_PRIME_WAIT_MS)
        self._pos[ch] = 0
        self.on[ch] = True
        self._done[ch] = self.fed[ch]
        self._live[ch] = False
        self._next[ch] = self._ticks()
        self._write(ch, pair)

    def stop(self, ch):
        # type: (int) -> None
        if self.on[ch]:
            self._count(ch, self._ticks())
        self.on[ch] = False
        self._live[ch] = False
        self._release(ch)
        # Take the pins back as GPIO outputs, low, whatever the RMT left.
        self._a[ch].init(machine.Pin.OUT, value=0)
        self._b[ch].init(machine.Pin.OUT, value=0)

    def _release(self, ch):
        # type: (int) -> None
        pair = self._rmt[ch]
        self._rmt[ch] = None
        if pair is not None:
            for r in pair:
                r.active(False)
                r.deinit()

    def service(self):
        # type: () -> int
        fed = 0
        for ch in range(self.channels):
            # B's sequence ends last: while it runs the window is not over.
            pair = self._rmt[ch]
            if self.on[ch] and pair is not None:
                if pair[1].active():
                    self._count(ch, self._ticks())
                else:
                    fed += self._write(ch, pair)
        return fed

    def _count(self, ch, now):
        # type: (int, int) -> None
        n = 0
        if self._live[ch]:
            if ticks_diff(now, self._rise1[ch]) >= 0:
                n = 1
            if ticks_diff(now, self._rise2[ch]) >= 0:
                n = 2
        self.fed[ch] = self._done[ch] + n

    def _write(self, ch, pair):
        # type: (int, tuple[esp32.RMT, esp32.RMT]) -> int
        spec = self._spec[ch]
        p = self._p[ch]
        now = self._ticks()
        if self._live[ch]:
            # The last window is over: both its pulses came out.
            self._done[ch] += PULSES_PER_WINDOW
            self.fed[ch] = self._done[ch]
            self._live[ch] = False
        lead = ticks_diff(self._next[ch], now)
        if lead < p:
            lead = p          # late: start as soon as possible
        elif lead > p * PULSE_MAX:
            # After a change to a faster spec the next pulse may still be the
            # old spec's long idle away, more than this spec's lead-in items
            # hold: write the window at a later service(), once it fits.
            return 0
        i = self._pos[ch]
        dur_a, lev_a, dur_b, lev_b = self._lists[ch]
        fill_window(spec, i, lead, p, dur_a, lev_a, dur_b, lev_b)
        rmt_a, rmt_b = pair
        rmt_a.write_pulses(dur_a, lev_a)
        # A's transmission began before the call returned: its first pulse
        # rises `lead` later at the latest.
        t_a = self._ticks()
        rmt_b.write_pulses(dur_b, lev_b)
        skew = ticks_diff(self._ticks(), now)
        slack = pulses.idle_after(spec, i)
        if skew >= slack:
            rmt_b.active(False)
            rmt_a.active(False)
            self.on[ch] = False
            raise RuntimeError("ch%d RMT A/B skew %d us, idle %d us: stopped" % (
                ch + 1, skew, slack))
        n = spec.pulses_per_cycle()
        first = pulses.interval_after(spec, i)
        step = first + pulses.interval_after(spec, (i + 1) % n)
        self._next[ch] = ticks_add(now, lead + step)
        self._pos[ch] = (i + PULSES_PER_WINDOW) % n
        self._rise1[ch] = ticks_add(t_a, lead)
        self._rise2[ch] = ticks_add(t_a, lead + first)
        self._skew[ch] = skew
        self._live[ch] = True
        return PULSES_PER_WINDOW

    def quiet_in(self, ch, settle_us):
        # type: (int, int) -> int
        if not self.on[ch]:
            return -1
        now = self._ticks()
        skew = self._skew[ch]
        busy = self._spec[ch].pulse_us() + skew
        wait = quiet_wait(now, self._next[ch], busy, skew, settle_us)
        if self._live[ch]:
            w = quiet_wait(now, self._rise1[ch], busy, skew, settle_us)
            if w > wait:
                wait = w
            w = quiet_wait(now, self._rise2[ch], busy, skew, settle_us)
            if w > wait:
                wait = w
        return wait
