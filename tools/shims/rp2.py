"""Stand-in for MicroPython's `rp2` module (CPython and MicroPython).

Two parts:
- The PIO assembler: `asm_pio` runs a program function twice (labels, then
  words) with the DSL names (set, jmp, x, pins, ...) swapped into the
  function's module globals, exactly as the device does, and returns the same
  8-field program list (words, offsets, EXECCTRL, SHIFTCTRL, pin inits).
  `asm_pio_encode` assembles one instruction for `StateMachine.exec`.
- `PIO` and `StateMachine`: the state machine executes the program's words,
  exact to the cycle, on the board's clock (pio_executor.py, board_time.py):
  FIFOs of the real depth, put() that blocks (the clock moves to the cycle a
  word leaves the FIFO; FifoFullError when it never would), exec(), active(),
  and the pins it owns (init hands its set/out/side-set pins to the PIO; their
  levels drive the machine shim's pads). Every call first runs the machine up
  to the board's time. What the firmware asked for is recorded too (init
  arguments, words put, instructions executed, active state).
"""

from array import array

import board_time
import machine
from pio_executor import Executor


class PIOASMError(Exception):
    pass


class PIO:
    IN_LOW = 0
    IN_HIGH = 1
    OUT_LOW = 2
    OUT_HIGH = 3
    SHIFT_LEFT = 0
    SHIFT_RIGHT = 1
    JOIN_NONE = 0
    JOIN_TX = 1
    JOIN_RX = 2
    IRQ_SM0 = 0x100
    IRQ_SM1 = 0x200
    IRQ_SM2 = 0x400
    IRQ_SM3 = 0x800

    def __new__(cls, id):
        pio = _pios.get(id)
        if pio is None:
            pio = object.__new__(cls)
            pio.id = id
            pio.programs = []
            pio.irq_flags = [0]
            _pios[id] = pio
        return pio

    def __init__(self, id):
        pass

    def used_words(self):
        return sum(len(p[PROG_DATA]) for p in self.programs)

    def _loaded(self, program):
        for p in self.programs:
            if p is program:
                return True
        return False

    def add_program(self, program):
        if self._loaded(program):
            return
        if self.used_words() + len(program[PROG_DATA]) > _MEMORY_WORDS:
            raise OSError(_ENOMEM)
        self.programs.append(program)

    def remove_program(self, program=None):
        if program is None:
            del self.programs[:]
        elif self._loaded(program):
            self.programs = [p for p in self.programs if p is not program]

    def state_machine(self, id, program=None, **kwargs):
        return StateMachine(self.id * 4 + id, program, **kwargs)


# Program list fields, as on the device.
PROG_DATA = 0
PROG_OFFSET_PIO0 = 1
PROG_OFFSET_PIO1 = 2
PROG_EXECCTRL = 3
PROG_SHIFTCTRL = 4
PROG_OUT_PINS = 5
PROG_SET_PINS = 6
PROG_SIDESET_PINS = 7

# Source/destination and condition names of the DSL, with the values the
# instruction encodings use (RP2040 datasheet section 3.4).
_NAMES = {
    "gpio": 0, "pins": 0, "x": 1, "y": 2, "null": 3, "pindirs": 4, "pc": 5,
    "status": 5, "isr": 6, "osr": 7, "exec": 8,
    "invert": lambda v: v | 0x08, "reverse": lambda v: v | 0x10,
    "not_x": 1, "x_dec": 2, "not_y": 3, "y_dec": 4, "x_not_y": 5, "pin": 6,
    "not_osre": 7,
    "noblock": 0x01, "block": 0x21, "iffull": 0x40, "ifempty": 0x40,
    "clear": 0x40, "rel": lambda v: v | 0x10,
}
_DIRECTIVES = ("wrap_target", "wrap", "label")
_INSTRUCTIONS = ("word", "nop", "jmp", "wait", "in_", "out", "push", "pull", "mov", "irq",
                 "set")


class _Emitter:
    def __init__(self, out_init=None, set_init=None, sideset_init=None, side_pindir=False,
                 in_shiftdir=PIO.SHIFT_LEFT, out_shiftdir=PIO.SHIFT_LEFT, autopush=False,
                 autopull=False, push_thresh=32, pull_thresh=32, fifo_join=PIO.JOIN_NONE):
        self.labels = {}
        execctrl = int(side_pindir) << 29
        shiftctrl = (fifo_join << 30 | (pull_thresh & 0x1F) << 25 | (push_thresh & 0x1F) << 20
                     | out_shiftdir << 19 | in_shiftdir << 18 | int(autopull) << 17
                     | int(autopush) << 16)
        self.prog = [array("H"), -1, -1, execctrl, shiftctrl, out_init, set_init, sideset_init]
        self.wrap_used = False
        if sideset_init is None:
            self.sideset_count = 0
        elif isinstance(sideset_init, int):
            self.sideset_count = 1
        else:
            self.sideset_count = len(sideset_init)
        self.sideset_opt = False
        self.delay_max = 31
        self.pass_ = 0
        self.num_instr = 0
        self.num_sideset = 0

    def start_pass(self, pass_):
        if pass_ == 1:
            if not self.wrap_used and self.num_instr:
                self.wrap()
            self.delay_max = 31
            if self.sideset_count:
                # Side-set becomes optional (one enable bit) when some
                # instruction has none.
                self.sideset_opt = self.num_sideset != self.num_instr
                if self.sideset_opt:
                    self.prog[PROG_EXECCTRL] |= 1 << 30
                    self.sideset_count += 1
                self.delay_max >>= self.sideset_count
        self.pass_ = pass_
        self.num_instr = 0
        self.num_sideset = 0

    # Chained modifiers: `set(pins, 1)[3]` and `.side(v)`.
    def __getitem__(self, delay):
        return self.delay(delay)

    def delay(self, delay):
        if self.pass_ > 0:
            if not 0 <= delay <= self.delay_max:
                raise PIOASMError("delay too large")
            self.prog[PROG_DATA][-1] |= delay << 8
        return self

    def side(self, value):
        self.num_sideset += 1
        if self.pass_ > 0:
            if self.sideset_count == 0:
                raise PIOASMError("no sideset")
            if value >= (1 << self.sideset_count):
                raise PIOASMError("sideset too large")
            self.prog[PROG_DATA][-1] |= (int(self.sideset_opt) << 12
                                         | value << (13 - self.sideset_count))
        return self

    def wrap_target(self):
        self.prog[PROG_EXECCTRL] |= self.num_instr << 7

    def wrap(self):
        if not self.num_instr:
            raise PIOASMError("wrap before any instruction")
        self.prog[PROG_EXECCTRL] |= (self.num_instr - 1) << 12
        self.wrap_used = True

    def label(self, name):
        if self.pass_ == 0:
            if name in self.labels:
                raise PIOASMError("duplicate label %s" % name)
            self.labels[name] = self.num_instr

    def word(self, instr, label=None):
        self.num_instr += 1
        if self.pass_ > 0:
            target = 0
            if label is not None:
                if label not in self.labels:
                    raise PIOASMError("unknown label %s" % label)
                target = self.labels[label]
            self.prog[PROG_DATA].append(instr | target)
        return self

    def nop(self):
        return self.mov(2, 2)

    def jmp(self, cond, label=None):
        if label is None:
            cond, label = 0, cond
        return self.word(cond << 5, label)

    def wait(self, polarity, src, index):
        if src == 6:
            src = 1      # pin
        elif src != 0:
            src = 2      # irq
        return self.word(0x2000 | polarity << 7 | src << 5 | index)

    def in_(self, src, count):
        if not 0 < count <= 32:
            raise PIOASMError("invalid bit count %s" % count)
        return self.word(0x4000 | src << 5 | count & 0x1F)

    def out(self, dest, count):
        if dest == 8:
            dest = 7     # exec
        if not 0 < count <= 32:
            raise PIOASMError("invalid bit count %s" % count)
        return self.word(0x6000 | dest << 5 | count & 0x1F)

    def push(self, value=0, value2=0):
        value |= value2
        if not value & 1:
            value |= 0x20
        return self.word(0x8000 | value & 0x60)

    def pull(self, value=0, value2=0):
        value |= value2
        if not value & 1:
            value |= 0x20
        return self.word(0x8080 | value & 0x60)

    def mov(self, dest, src):
        if dest == 8:
            dest = 4     # exec
        return self.word(0xA000 | dest << 5 | src)

    def irq(self, mod, index=None):
        if index is None:
            mod, index = 0, mod
        return self.word(0xC000 | mod & 0x60 | index)

    def set(self, dest, data):
        if not 0 <= data <= 31:
            raise PIOASMError("set data out of range")
        return self.word(0xE000 | dest << 5 | data)


def asm_pio(**kw):
    emit = _Emitter(**kw)

    def dec(f):
        gl = f.__globals__
        saved = gl.copy()
        gl.clear()
        gl.update(_NAMES)
        for name in _DIRECTIVES + _INSTRUCTIONS:
            gl[name] = getattr(emit, name)
        try:
            emit.start_pass(0)
            f()
            emit.start_pass(1)
            f()
        finally:
            gl.clear()
            gl.update(saved)
        return emit.prog

    return dec


def asm_pio_encode(instr, sideset_count, sideset_opt=False):
    emit = _Emitter()
    emit.sideset_count = sideset_count
    emit.sideset_opt = bool(sideset_opt)
    emit.delay_max = 31 >> (sideset_count + int(bool(sideset_opt)))
    emit.pass_ = 1
    gl = dict(_NAMES)
    for name in _INSTRUCTIONS:
        gl[name] = getattr(emit, name)
    gl["jmp"] = None
    exec(instr, gl)
    if len(emit.prog[PROG_DATA]) != 1:
        raise PIOASMError("expecting exactly 1 instruction")
    return emit.prog[PROG_DATA][0]


class FifoFullError(RuntimeError):
    """put() on a full FIFO that no instruction will ever drain: on a board
    the controller would hang there."""


_MEMORY_WORDS = 32
_ENOMEM = 12
BLOCK_LIMIT_US = 10000000    # a put() blocked longer than this counts as forever
_machines = {}
_pios = {}


def reset():
    """Forget every PIO and state machine (a fresh board)."""
    _machines.clear()
    _pios.clear()


def catch_up(t_us=None):
    """Run every state machine up to board time t_us (default: now)."""
    t = board_time._now if t_us is None else t_us
    for sm in _machines.values():
        sm.ex.run_until(t)


def machines():
    return [_machines[k] for k in sorted(_machines)]


def _pin_count(init):
    if init is None:
        return 0
    return len(init) if isinstance(init, (tuple, list)) else 1


def _inits(init):
    if init is None:
        return ()
    return tuple(init) if isinstance(init, (tuple, list)) else (init,)


def _pin_id(pin):
    return -1 if pin is None else getattr(pin, "id", pin)


class StateMachine:
    """One object per id, like the device's singletons."""

    def __new__(cls, id, program=None, **kwargs):
        sm = _machines.get(id)
        if sm is None:
            sm = object.__new__(cls)
            sm._setup(id)
            _machines[id] = sm
        return sm

    def __init__(self, id, program=None, **kwargs):
        if program is not None:
            self.init(program, **kwargs)

    def _setup(self, id):
        self.id = id
        self.pio = PIO(id // 4)
        self.ex = Executor(machine.gpio, machine.drive, self)
        self.ex.irq_flags = self.pio.irq_flags
        self.program = None
        self.config = {}
        self.running = False
        self.puts = []          # every word ever put, in order
        self.execs = []         # every instruction word executed
        self.inits = 0
        self.log = []           # ("init" | "put" | "exec" | "active", value) in call order
        self.blocked_us = 0     # board time put() spent waiting on a full FIFO
        self._cyc = 0           # us per cycle; 0 when the clock is not whole us

    @property
    def fifo(self):
        return self.ex.tx

    @property
    def fifo_depth(self):
        return self.ex.tx_depth

    def _sync(self):
        self.ex.run_until(board_time._now)

    def init(self, program, freq=-1, *, in_base=None, out_base=None, set_base=None,
             jmp_pin=None, sideset_base=None, in_shiftdir=None, out_shiftdir=None,
             push_thresh=None, pull_thresh=None):
        if not isinstance(program, list) or len(program) != 8:
            raise TypeError("program must be an asm_pio program")
        self._sync()
        # pio_sm_init on the device: disable, clear the FIFOs, restart.
        self.running = False
        self.ex.enabled = False
        self.pio.add_program(program)
        self.program = program
        self.config = {"in_base": in_base, "out_base": out_base, "set_base": set_base,
                       "jmp_pin": jmp_pin, "sideset_base": sideset_base,
                       "in_shiftdir": in_shiftdir, "out_shiftdir": out_shiftdir,
                       "push_thresh": push_thresh, "pull_thresh": pull_thresh}
        self.config = {k: v for k, v in self.config.items() if v is not None}
        self.config["freq"] = freq
        hz = machine.freq() if freq == -1 else freq
        self._cyc = 1000000 // hz if hz <= 1000000 and 1000000 % hz == 0 else 0
        shiftctrl = program[PROG_SHIFTCTRL]
        if in_shiftdir is not None:
            shiftctrl = shiftctrl & ~(1 << 18) | in_shiftdir << 18
        if out_shiftdir is not None:
            shiftctrl = shiftctrl & ~(1 << 19) | out_shiftdir << 19
        if push_thresh is not None:
            shiftctrl = shiftctrl & ~(31 << 20) | (push_thresh & 31) << 20
        if pull_thresh is not None:
            shiftctrl = shiftctrl & ~(31 << 25) | (pull_thresh & 31) << 25
        groups = ((_pin_id(set_base), program[PROG_SET_PINS]),
                  (_pin_id(out_base), program[PROG_OUT_PINS]),
                  (_pin_id(sideset_base), program[PROG_SIDESET_PINS]))
        side_count = _pin_count(program[PROG_SIDESET_PINS])
        execctrl = program[PROG_EXECCTRL]
        bases = (max(groups[0][0], 0), _pin_count(groups[0][1]) if groups[0][0] >= 0 else 0,
                 max(groups[1][0], 0), _pin_count(groups[1][1]) if groups[1][0] >= 0 else 0,
                 max(_pin_id(in_base), 0), max(groups[2][0], 0), max(_pin_id(jmp_pin), 0))
        self.ex.load(program[PROG_DATA], execctrl, shiftctrl, side_count, self._cyc or 1, bases)
        # asm_pio_init_gpio: the init levels and directions, then each pin's
        # function select to the PIO.
        for base, init in groups:
            if base < 0:
                continue
            for i, kind in enumerate(_inits(init)):
                p = base + i
                self.ex.pins_out[p] = 1 if kind in (PIO.OUT_HIGH, PIO.IN_HIGH) else 0
                self.ex.pins_dir[p] = 1 if kind in (PIO.OUT_LOW, PIO.OUT_HIGH) else 0
                machine.claim(p, self, self.ex.pins_out[p] if self.ex.pins_dir[p] else 0)
        self.inits += 1
        self.log.append(("init", freq))

    def put(self, value, shift=0):
        words = [value] if isinstance(value, int) else value
        ex = self.ex
        for w in words:
            self._sync()
            if len(ex.tx) >= ex.tx_depth:
                self._block()
            w = (w << shift) & 0xFFFFFFFF
            ex.tx.append(w)
            if machine.RECORD:
                self.puts.append(w)
                self.log.append(("put", w))

    def _block(self):
        # The CPU waits in put() until the program pulls a word: board time
        # passes; a machine that never pulls would hang the controller.
        now = board_time._now
        t = self.ex.next_pull(now + BLOCK_LIMIT_US) if self.running else -1
        if t < 0:
            raise FifoFullError("TX FIFO full and nothing drains it: put() would block forever")
        self.blocked_us += t - now
        board_time.advance_to(t)

    def get(self, buf=None, shift=0):
        self._sync()
        if not self.ex.rx:
            raise FifoFullError("RX FIFO empty: get() would block")
        return self.ex.rx.pop(0) >> shift

    def tx_fifo(self):
        self._sync()
        return len(self.ex.tx)

    def rx_fifo(self):
        self._sync()
        return len(self.ex.rx)

    def exec(self, instr):
        if isinstance(instr, str):
            instr = asm_pio_encode(instr, 0)
        self._sync()
        self.ex.exec_now(instr, board_time._now)
        self.execs.append(instr)
        self.log.append(("exec", instr))

    def active(self, value=None):
        self._sync()
        if value is not None:
            on = bool(value)
            if on and not self.running:
                if self.program is not None and not self._cyc:
                    raise NotImplementedError(
                        "the rp2 shim runs state machines whose cycle is whole microseconds "
                        "(freq dividing 1 MHz)")
                self.ex.t = board_time._now
            self.running = on
            self.ex.enabled = on and self.program is not None
            self.log.append(("active", self.running))
        return self.running

    def restart(self):
        self._sync()
        self.ex.restart()
        self.log.append(("restart", None))

    def irq(self, handler=None, trigger=0, hard=False):
        self.irq_handler = handler
        return None
