"""A PIO state machine on the test bench: the firmware's program, cycle by
cycle in pioemu, sharing its TX FIFO with the rp2 shim's StateMachine so the
real engine code (ustim.hal.rp2_pio) feeds it as it would a board. Used by
host_tests/test_pio_*.py and tools/perf/pio_table.py; needs tools/shims on sys.path.

What pioemu does not model and this bench adds:
- the TX FIFO depth (pioemu's is unbounded; the shim enforces 4 words);
- init(), which restarts the program with its pins low;
- a stopped state machine (active(0)) that holds its pins, and exec() of an
  instruction on it;
- fast-forward over a stall at `pull` with an empty FIFO (nothing changes
  until a word arrives, so skipping those cycles is exact).

Every run checks that pioemu reached the cycle it was asked for: it stops
silently on an instruction it does not implement.
"""

from collections import deque
from dataclasses import replace

from pioemu import State, emulate

import rp2

PULL_BLOCK_MASK, PULL_BLOCK = 0xE0E0, 0x80A0


class EmulationStopped(AssertionError):
    pass


def program_config(prog):
    """pioemu keyword arguments for a program from the shim's asm_pio."""
    execctrl, shiftctrl = prog[rp2.PROG_EXECCTRL], prog[rp2.PROG_SHIFTCTRL]
    set_init = prog[rp2.PROG_SET_PINS]
    set_count = len(set_init) if isinstance(set_init, (tuple, list)) else int(set_init is not None)
    return {
        "wrap_target": (execctrl >> 7) & 31,
        "wrap_top": (execctrl >> 12) & 31,
        "shift_osr_right": bool(shiftctrl >> 19 & 1),
        "shift_isr_right": bool(shiftctrl >> 18 & 1),
        "set_count": set_count,
    }


class PioBench:
    def __init__(self, sm, pin_base):
        self.sm = sm
        self.base = pin_base
        self.state = State()
        self.clock = 0
        self.edges = []          # (cycle the new level is first seen, level bits B:A)
        self.level = 0
        self.both_high = []      # cycles where A and B were both high (must stay empty)
        self.steps = 0
        self._inits = sm.inits
        self._execs = len(sm.execs)
        self._load()

    def _load(self):
        prog = self.sm.program
        self.words = list(prog[rp2.PROG_DATA]) if prog else []
        self.cfg = program_config(prog) if prog else {}
        self.pulls = {i for i, w in enumerate(self.words)
                      if w & PULL_BLOCK_MASK == PULL_BLOCK}
        # init: program restarts at its first instruction, set pins low.
        self.state = State(clock=self.clock)
        self._record(self.clock, 0)

    def _record(self, cycle, pins):
        level = (pins >> self.base) & 3
        if level == 3:
            self.both_high.append(cycle)
        if level != self.level:
            self.edges.append((cycle, level))
            self.level = level

    def _sync_in(self):
        if self.sm.inits != self._inits:
            self._inits = self.sm.inits
            self._load()
        self.state = replace(self.state, transmit_fifo=deque(self.sm.fifo))

    def _sync_out(self):
        self.sm.fifo[:] = list(self.state.transmit_fifo)

    def stalled(self):
        return self.state.program_counter in self.pulls and not self.state.transmit_fifo

    def run_until(self, target):
        """Advance the state machine to cycle `target` (or past it, if the last
        instruction carried a delay)."""
        self._sync_in()
        self._apply_execs()
        if not self.sm.running or not self.words:
            self.clock = max(self.clock, target)
            self.state = replace(self.state, clock=self.clock)
            return
        base = self.base

        def stop(_op, s):
            return s.clock >= target or (
                s.program_counter in self.pulls and not s.transmit_fifo)

        state = replace(self.state, clock=self.clock)
        for before, after in emulate(self.words, stop_when=stop, initial_state=state,
                                     set_base=base, **self.cfg):
            self.steps += 1
            if after.pin_values != before.pin_values:
                self._record(before.clock + 1, after.pin_values)
            elif (after.pin_values >> base) & 3 == 3:
                self.both_high.append(before.clock + 1)
            state = after
        if not stop(None, state):
            raise EmulationStopped("pioemu stopped at cycle %d, pc %d (word %#06x): "
                                   "an instruction it does not emulate" % (
                                       state.clock, state.program_counter,
                                       self.words[state.program_counter]))
        self.state = state
        # A stall at pull changes nothing until a word comes: skip ahead.
        self.clock = max(state.clock, target)
        self.state = replace(self.state, clock=self.clock)
        self._sync_out()

    def _apply_execs(self):
        # Instructions the controller executed on the state machine: each takes
        # effect in the next cycle, wherever the program was.
        while self._execs < len(self.sm.execs):
            op = self.sm.execs[self._execs]
            self._execs += 1
            pc = self.state.program_counter
            start = replace(self.state, program_counter=0, clock=self.clock)
            after = start
            for before, after in emulate([op], stop_when=lambda _o, s, c=start.clock: s.clock > c,
                                         initial_state=start, set_base=self.base,
                                         set_count=self.cfg.get("set_count", 5)):
                if after.pin_values != before.pin_values:
                    self._record(before.clock + 1, after.pin_values)
            if after.clock != start.clock + 1:
                raise EmulationStopped("exec of %#06x did not run" % op)
            self.clock = after.clock
            self.state = replace(after, program_counter=pc)

    def apply_execs(self):
        self._sync_in()
        self._apply_execs()
        self._sync_out()


def pulses_from_edges(edges):
    """[(a_rise, a_fall, b_rise, b_fall)] from a bench's edge list. Raises if
    the pins ever move out of the order idle -> A -> (idle) -> B -> idle."""
    out = []
    cur = None
    prev = 0
    for cycle, level in edges:
        step = (prev, level)
        if step == (0, 1):
            cur = [cycle, None, None, None]
        elif step == (1, 0):
            cur[1] = cycle
        elif step == (1, 2):
            cur[1] = cur[2] = cycle
        elif step == (0, 2) and cur is not None and cur[1] is not None and cur[2] is None:
            cur[2] = cycle
        elif step == (2, 0) and cur is not None and cur[2] is not None:
            cur[3] = cycle
            out.append(tuple(cur))
            cur = None
        else:
            raise AssertionError("pins went %d -> %d at cycle %d" % (prev, level, cycle))
        prev = level
    if cur is not None:
        out.append(tuple(cur))   # a pulse cut off by the end of the run
    return out


class Controller:
    """The control loop around an engine: service() every `tick` cycles of
    bench time, remembering when a word last went into the FIFO."""

    def __init__(self, engine, bench):
        self.engine = engine
        self.bench = bench
        # start() fills the FIFO: that is the first feed.
        self.last_feed = bench.clock
        self.services = []       # bench cycles at which service() ran

    def tick(self, cycles, service=True):
        self.bench.run_until(self.bench.clock + cycles)
        if service:
            self.services.append(self.bench.clock)
            before = len(self.bench.sm.puts)
            self.engine.service()
            if len(self.bench.sm.puts) != before:
                self.last_feed = self.bench.clock

    def run_pulses(self, count, tick, limit):
        """Service every `tick` cycles until `count` pulses have started (or
        `limit` cycles pass)."""
        end = self.bench.clock + limit
        while self.bench.clock < end:
            if len(pulses_from_edges(self.bench.edges)) > count:
                return
            self.tick(tick)

    def starve(self, limit):
        """Stop calling service(); run until the state machine waits at a pull
        with an empty FIFO (or `limit` cycles pass). Returns the pulses that
        started after the last feed."""
        end = self.bench.clock + limit
        while self.bench.clock < end and not self.bench.stalled():
            self.tick(min(limit, 100000), service=False)
        after = [p for p in pulses_from_edges(self.bench.edges) if p[0] > self.last_feed]
        return after


def started(board, spec, ch):
    """A fresh PIO engine on `board` started on channel ch with spec, its
    emulated state machine, and the controller that feeds it:
    (engine, bench, controller)."""
    import machine

    from ustim.hal import rp2_pio
    rp2.reset()
    machine.reset_state()
    engine = rp2_pio.PioPulseEngine(board)
    engine.configure(ch, spec)
    engine.start(ch)
    bench = PioBench(rp2.StateMachine(ch), board.PIN_A[ch])
    return engine, bench, Controller(engine, bench)


def shim_replay(board, spec, ch, services, end, stop_at=None):
    """The same run on the rp2 shim's own state machine (tools/shims/rp2.py,
    which executes the words on the board clock): start at board time 0,
    service() at each of `services` (cycles = us), an optional stop of the
    state machine (active(0), then set(pins, 0)) at `stop_at`, then run to
    `end`. Returns the edges of the channel's pads as (cycle, level B:A), the
    form PioBench.edges has."""
    import board_time
    import machine

    from ustim.hal import rp2_pio
    rp2.reset()
    machine.reset_state()
    board_time.reset(0)
    a, b = board.PIN_A[ch], board.PIN_B[ch]
    machine.trace((a, b))
    engine = rp2_pio.PioPulseEngine(board)
    engine.configure(ch, spec)
    del machine.EDGES[:]
    engine.start(ch)
    sm = rp2.StateMachine(ch)
    for t in services:
        if stop_at is not None and t >= stop_at:
            break
        board_time.advance_to(t)
        engine.service()
    if stop_at is not None:
        board_time.advance_to(stop_at)
        sm.active(0)
        sm.exec(rp2_pio.SET_PINS_LOW)
    board_time.advance_to(end)
    rp2.catch_up()
    edges = []
    level = 0
    for t, pin, v in machine.EDGES:
        bit = 1 if pin == a else 2
        level = (level | bit) if v else (level & ~bit)
        if edges and edges[-1][0] == t:
            edges.pop()          # both pins moved in one cycle: one step
        if (edges[-1][1] if edges else 0) != level:
            edges.append((t, level))
    return edges
