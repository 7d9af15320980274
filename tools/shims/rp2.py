"""CPython stand-in for MicroPython's `rp2` module.

Two parts:
- The PIO assembler: `asm_pio` runs a program function twice (labels, then
  words) with the DSL names (set, jmp, x, pins, ...) swapped into the
  function's module globals, exactly as the device does, and returns the same
  8-field program list (words, offsets, EXECCTRL, SHIFTCTRL, pin inits).
  `asm_pio_encode` assembles one instruction for `StateMachine.exec`.
- Fakes of `PIO` and `StateMachine` that record what the firmware asks for
  (init arguments, words put, instructions executed, active state) and keep a
  TX FIFO of the real depth, so tests can drive it (or hand it to an
  emulator) and see exactly what a board would.
"""

from array import array


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

    def __init__(self, id):
        self.id = id
        self.programs = []

    def add_program(self, program):
        if program not in self.programs:
            self.programs.append(program)

    def remove_program(self, program=None):
        if program is None:
            self.programs.clear()
        elif program in self.programs:
            self.programs.remove(program)

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
    """put() on a full FIFO: on a board this would block the controller."""


_machines = {}


def reset():
    """Forget every state machine (a fresh board for the next test)."""
    _machines.clear()


class StateMachine:
    """Recording fake. One object per id, like the device's singletons."""

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
        self.program = None
        self.config = {}
        self.fifo = []
        self.fifo_depth = 4
        self.running = False
        self.puts = []          # every word ever put, in order
        self.execs = []         # every instruction word executed
        self.inits = 0
        self.log = []           # ("init" | "put" | "exec" | "active", value) in call order

    def init(self, program, freq=-1, **kwargs):
        if not isinstance(program, list) or len(program) != 8:
            raise TypeError("program must be an asm_pio program")
        # pio_sm_init on the device: disable, clear the FIFOs, restart.
        self.running = False
        self.fifo = []
        self.program = program
        self.config = dict(kwargs)
        self.config["freq"] = freq
        join = (program[PROG_SHIFTCTRL] >> 30) & 3
        self.fifo_depth = 8 if join == PIO.JOIN_TX else 4
        self.inits += 1
        self.log.append(("init", freq))

    def put(self, value, shift=0):
        words = [value] if isinstance(value, int) else list(value)
        for w in words:
            if len(self.fifo) >= self.fifo_depth:
                raise FifoFullError("TX FIFO full: put() would block")
            w = (w << shift) & 0xFFFFFFFF
            self.fifo.append(w)
            self.puts.append(w)
            self.log.append(("put", w))

    def tx_fifo(self):
        return len(self.fifo)

    def rx_fifo(self):
        return 0

    def exec(self, instr):
        if isinstance(instr, str):
            instr = asm_pio_encode(instr, 0)
        self.execs.append(instr)
        self.log.append(("exec", instr))

    def active(self, value=None):
        if value is not None:
            self.running = bool(value)
            self.log.append(("active", self.running))
        return self.running

    def restart(self):
        self.log.append(("restart", None))

    def irq(self, handler=None, trigger=0, hard=False):
        return None
