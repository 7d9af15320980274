"""The simulated board's pulse engine: the PulseEngine interface of
firmware/ustim/hal/pulse.py, with pulses taken from the reference model
(ustim.core.pulses) instead of stepping a PIO program cycle by cycle.

It behaves like the RP2040 engine where it matters to the firmware:
- service() hands the engine the pulses that start before the end of the next
  control tick, like the FIFO feed. If service() stops being called, what was
  fed still comes out and then nothing: the dead-man bound;
- configure() while running takes effect from the next pulse;
- stop() puts both pins low at once: pulses not yet started are dropped and a
  pulse in progress is cut short (recorded with the widths it really had).
Every pulse is recorded as (channel, start_us, pos_us, gap_us, neg_us, ua).
"""

from ustim.core import pulses as ref
from ustim.core.spec import PulseSpec


class _Train:
    def __init__(self):
        self.spec = PulseSpec()
        self.running = False
        self.t0_us = 0        # start of pulse 0 of the current spec
        self.next_k = 0       # index of the next pulse to feed
        self.pending = []     # fed, not yet finished: [start, pos, gap, neg, ua]


class SimPulseEngine:
    def __init__(self, clock, channels, tick_ms, amplitude):
        """clock() -> now in us; amplitude(ch) -> the amplitude setpoint in uA."""
        self.clock = clock
        self.channels = channels
        self.tick_us = tick_ms * 1000
        self.amplitude = amplitude
        self.fed = [0] * channels
        self.on = [False] * channels
        self.trains = [_Train() for _ in range(channels)]
        self.record = []      # finished pulses (channel, start, pos, gap, neg, ua)

    def configure(self, ch, spec):
        t = self.trains[ch]
        if t.running:
            # The new timing starts where the next pulse of the old one would.
            nxt = t.t0_us + ref.start_offset(t.spec, t.next_k)
            t.spec.copy_from(spec)
            t.t0_us = nxt
            t.next_k = 0
        else:
            t.spec.copy_from(spec)

    def start(self, ch):
        t = self.trains[ch]
        self.on[ch] = True
        if not t.running:
            t.running = True
            t.t0_us = self.clock()
            t.next_k = 0

    def running(self, ch):
        return self.trains[ch].running

    def stop(self, ch):
        t = self.trains[ch]
        now = self.clock()
        self._retire(ch, now)
        for start, pos, gap, _neg, ua in t.pending:
            if start >= now:
                continue           # never started: dropped
            # In progress: both pins go low now.
            rel = now - start
            if rel <= pos:
                self.record.append((ch, start, rel, 0, 0, ua))
            elif rel <= pos + gap:
                self.record.append((ch, start, pos, 0, 0, ua))
            else:
                self.record.append((ch, start, pos, gap, rel - pos - gap, ua))
        t.pending = []
        t.running = False
        self.on[ch] = False

    def stop_all(self):
        for ch in range(self.channels):
            self.stop(ch)

    def service(self):
        now = self.clock()
        for ch in range(self.channels):
            t = self.trains[ch]
            self._retire(ch, now)
            if not t.running:
                continue
            horizon = now + self.tick_us
            ua = self.amplitude(ch)
            while True:
                start = t.t0_us + ref.start_offset(t.spec, t.next_k)
                if start >= horizon:
                    break
                s = t.spec
                t.pending.append([start, s.pos_us, s.gap_us, s.neg_us, ua])
                t.next_k += 1
                self.fed[ch] += 1

    def _retire(self, ch, now):
        # Pulses that have finished by now move to the record.
        t = self.trains[ch]
        keep = []
        for p in t.pending:
            if p[0] + p[1] + p[2] + p[3] <= now:
                self.record.append((ch, p[0], p[1], p[2], p[3], p[4]))
            else:
                keep.append(p)
        t.pending = keep

    def _retire_all(self, now):
        for ch in range(self.channels):
            self._retire(ch, now)

    def flush(self):
        """At the end of a run: everything fed has come out."""
        for ch in range(self.channels):
            t = self.trains[ch]
            for p in t.pending:
                self.record.append((ch, p[0], p[1], p[2], p[3], p[4]))
            t.pending = []
        self.record.sort(key=lambda r: (r[1], r[0]))
