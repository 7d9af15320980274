# One RP2040 PIO state machine executing instruction words, exact to the
# cycle, on the simulated board's clock (board_time, whole microseconds).
# rp2.StateMachine (tools/shims/rp2.py) wraps it in MicroPython's API.
#
# Timing follows the RP2040 datasheet (section 3.4): every instruction takes
# one cycle plus its delay; pins written by an instruction change at the end
# of its first cycle; a stalled instruction (pull/push on an empty/full FIFO,
# wait, irq wait) retries every cycle and its delay counts from the cycle it
# completes in; side-set applies when an instruction issues, stalled or not.
# A word put at board time t is seen by an instruction starting at t or later.
#
# Fast-forward, for speed and exact: `jmp x--` / `jmp y--` to itself is a
# counted loop that changes nothing but the counter, so n turns are one step
# of n * (1 + delay) cycles. A stall on an empty TX FIFO changes nothing until
# a word comes, so it waits without stepping. tools/perf and the tests prove
# the result equal to pioemu (rp2040-pio-emulator) edge for edge.
#
# Not modelled: the clock divider's fractional part (the cycle must be whole
# microseconds: freq must divide 1 MHz), IRQ routing to the CPU, `wait` on
# another state machine's IRQ being cleared by it, autopush/autopull
# thresholds other than 32 with shifts that do not divide them evenly.
#
# Runs on CPython and inside MicroPython (no dataclasses, no f-strings).

MASK32 = 0xFFFFFFFF

# Opcodes (bits 15:13 of a word).
JMP = 0
WAIT = 1
IN = 2
OUT = 3
PUSHPULL = 4
MOV = 5
IRQ = 6
SET = 7


class Blocked(Exception):
    """The operation would block the CPU forever (a board would hang)."""


def _reverse32(v):
    r = 0
    for _ in range(32):
        r = (r << 1) | (v & 1)
        v >>= 1
    return r


class Executor:
    def __init__(self, gpio_for, drive, owner):
        # gpio_for(pin) -> the machine shim's pad; drive(pad, owner, level, t)
        # sets it if `owner` holds it (the pin's function select).
        self.gpio_for = gpio_for
        self.drive = drive
        self.owner = owner
        self.code = []
        self.enabled = False
        self.t = 0              # board us the next instruction issues
        self.cyc = 1            # us per cycle
        self.tx = []
        self.rx = []
        self.tx_depth = 4
        self.rx_depth = 4
        self.halt_on_pull = False   # run_until stops after a pull (blocking put)
        self.pulled_at = -1
        self.irq_flags = [0]    # shared by the machines of one PIO
        self._configure_defaults()
        self.restart()

    # -- set-up ------------------------------------------------------------

    def _configure_defaults(self):
        self.wrap_target = 0
        self.wrap_top = 31
        self.set_base = 0
        self.set_count = 0
        self.out_base = 0
        self.out_count = 0
        self.in_base = 0
        self.side_base = 0
        self.side_count = 0     # side-set bits, the enable bit not included
        self.side_opt = False
        self.side_pindir = False
        self.jmp_pin = 0
        self.out_right = False
        self.in_right = False
        self.autopull = False
        self.autopush = False
        self.pull_thresh = 32
        self.push_thresh = 32
        self.pins_out = {}      # pin -> level this machine drives
        self.pins_dir = {}      # pin -> 1 output, 0 input

    def load(self, words, execctrl, shiftctrl, sideset_count, cyc_us, bases):
        """A program and its configuration, as StateMachine.init gives them."""
        self._configure_defaults()
        self.cyc = cyc_us
        self.wrap_target = (execctrl >> 7) & 31
        self.wrap_top = (execctrl >> 12) & 31
        self.side_opt = bool(execctrl >> 30 & 1)
        self.side_pindir = bool(execctrl >> 29 & 1)
        self.side_count = sideset_count
        self.out_right = bool(shiftctrl >> 19 & 1)
        self.in_right = bool(shiftctrl >> 18 & 1)
        self.autopull = bool(shiftctrl >> 17 & 1)
        self.autopush = bool(shiftctrl >> 16 & 1)
        self.pull_thresh = (shiftctrl >> 25 & 31) or 32
        self.push_thresh = (shiftctrl >> 20 & 31) or 32
        join = shiftctrl >> 30 & 3
        self.tx_depth = 8 if join == 1 else (0 if join == 2 else 4)
        self.rx_depth = 8 if join == 2 else (0 if join == 1 else 4)
        (self.set_base, self.set_count, self.out_base, self.out_count, self.in_base,
         self.side_base, self.jmp_pin) = bases
        self.code = [self._decode(w) for w in words]
        del self.tx[:]
        del self.rx[:]
        self.restart()

    def _decode(self, w):
        op = w >> 13
        field = (w >> 8) & 31
        nbits = self.side_count + (1 if self.side_opt else 0)
        side = -1
        if nbits:
            raw = field >> (5 - nbits)
            if self.side_opt:
                if raw >> self.side_count & 1:
                    side = raw & ((1 << self.side_count) - 1)
            else:
                side = raw
        delay = field & ((1 << (5 - nbits)) - 1)
        return (op, (w >> 5) & 7, w & 31, delay, side, w)

    def restart(self):
        self.pc = 0
        self.x = 0
        self.y = 0
        self.isr = 0
        self.osr = 0
        self.isr_count = 0
        self.osr_count = 32     # empty
        self.stalled = False

    # -- pins ----------------------------------------------------------------

    def _write_pins(self, base, count, value, t):
        out = self.pins_out
        for i in range(count):
            p = (base + i) & 31
            lv = (value >> i) & 1
            if out.get(p) != lv:
                out[p] = lv
                if self.pins_dir.get(p, 0):
                    self.gpio_write(p, lv, t)

    def _write_dirs(self, base, count, value, t):
        for i in range(count):
            p = (base + i) & 31
            d = (value >> i) & 1
            if self.pins_dir.get(p, 0) != d:
                self.pins_dir[p] = d
                self.gpio_write(p, self.pins_out.get(p, 0) if d else 0, t)

    def gpio_write(self, p, level, t):
        self.drive(self.gpio_for(p), self.owner, level, t)

    def _read_pins(self, base):
        v = 0
        for i in range(32):
            g = self.gpio_for((base + i) & 31)
            if g.level:
                v |= 1 << i
        return v

    # -- FIFOs ---------------------------------------------------------------

    def put_word(self, w):
        self.tx.append(w & MASK32)

    def _pop_tx(self):
        return self.tx.pop(0)

    # -- running -------------------------------------------------------------

    def run_until(self, t_end):
        """Execute every instruction that issues before board time t_end."""
        if not self.enabled:
            return
        t = self.t
        if t >= t_end:
            return
        code = self.code
        cyc = self.cyc
        pc = self.pc
        while t < t_end:
            ins = code[pc]
            op = ins[0]
            if ins[4] >= 0:
                self._side(ins[4], t)
            nxt = pc + 1 if pc != self.wrap_top else self.wrap_target
            if op == JMP:
                cond = ins[1]
                target = ins[2]
                if target == pc and (cond == 2 or cond == 4):
                    # Counted loop on itself: n + 1 turns in one step.
                    step = (1 + ins[3]) * cyc
                    n = (self.x if cond == 2 else self.y) + 1
                    fit = (t_end - t + step - 1) // step
                    if fit >= n:
                        t += n * step
                        if cond == 2:
                            self.x = MASK32
                        else:
                            self.y = MASK32
                        pc = nxt
                    else:
                        t += fit * step
                        if cond == 2:
                            self.x -= fit
                        else:
                            self.y -= fit
                    continue
                if self._condition(cond):
                    nxt = target
            elif op == SET:
                if ins[1] == 0:
                    self._write_pins(self.set_base, self.set_count, ins[2], t + cyc)
                else:
                    self._set(ins[1], ins[2], t)
            elif op == PUSHPULL:
                w = ins[5]
                if w & 0x80:
                    done = self._pull(w)
                else:
                    done = self._push(w)
                if not done:
                    # Nothing changes until the CPU moves a word: wait for it.
                    self.stalled = True
                    t = t_end
                    break
                self.stalled = False
                if self.halt_on_pull and w & 0x80:
                    self.pulled_at = t
                    t += (1 + ins[3]) * cyc
                    pc = nxt
                    break
            elif op == OUT and ins[1] <= 2:
                data = self._shift_out(ins[2] or 32)
                if data is None:
                    self.stalled = True
                    t = t_end
                    break
                if ins[1] == 1:
                    self.x = data
                elif ins[1] == 2:
                    self.y = data
                else:
                    self._write_pins(self.out_base, self.out_count, data, t + cyc)
            else:
                r = self._other(ins, t)
                if r == -1:
                    # Waits on a pin, an IRQ or a FIFO: nothing here changes
                    # until the next catch-up; retried from there.
                    self.stalled = True
                    t = t_end
                    break
                if r >= 0:
                    nxt = r
            self.stalled = False
            t += (1 + ins[3]) * cyc
            pc = nxt
        self.pc = pc
        self.t = t

    def next_pull(self, limit):
        """Run until a `pull` takes a word from the TX FIFO (at most to board
        time `limit`): the time it issued, or -1 if none did."""
        if not self.enabled:
            return -1
        self.halt_on_pull = True
        self.pulled_at = -1
        try:
            while self.pulled_at < 0 and self.t < limit:
                before = (self.t, self.pc)
                self.run_until(limit)
                if (self.t, self.pc) == before:
                    break
        finally:
            self.halt_on_pull = False
        return self.pulled_at

    def _other(self, ins, t):
        """The rarer instructions: -2 done, -1 stalled, >= 0 jump there."""
        op = ins[0]
        w = ins[5]
        if op == OUT:
            return self._out(ins[1], ins[2] or 32, t)
        if op == MOV:
            return self._mov(ins[1], (w >> 3) & 3, w & 7, t)
        if op == IN:
            return -2 if self._in(ins[1], ins[2] or 32) else -1
        if op == WAIT:
            return -2 if self._wait(w) else -1
        if op == IRQ:
            return -2 if self._irq(w) else -1
        if op == PUSHPULL:
            return -2 if (self._pull(w) if w & 0x80 else self._push(w)) else -1
        if op == SET:
            self._set(ins[1], ins[2], t)
            return -2
        return ins[2] if self._condition(ins[1]) else -2

    def _set(self, dest, data, t):
        if dest == 0:
            self._write_pins(self.set_base, self.set_count, data, t + self.cyc)
        elif dest == 1:
            self.x = data
        elif dest == 2:
            self.y = data
        elif dest == 4:
            self._write_dirs(self.set_base, self.set_count, data, t + self.cyc)

    def _side(self, value, t):
        if self.side_pindir:
            self._write_dirs(self.side_base, self.side_count, value, t + self.cyc)
        else:
            self._write_pins(self.side_base, self.side_count, value, t + self.cyc)

    def _condition(self, cond):
        if cond == 0:
            return True
        if cond == 1:
            return self.x == 0
        if cond == 2:
            v = self.x != 0
            self.x = (self.x - 1) & MASK32
            return v
        if cond == 3:
            return self.y == 0
        if cond == 4:
            v = self.y != 0
            self.y = (self.y - 1) & MASK32
            return v
        if cond == 5:
            return self.x != self.y
        if cond == 6:
            return bool(self.gpio_for(self.jmp_pin).level)
        return self.osr_count < self.pull_thresh

    def _pull(self, w):
        ifempty = w & 0x40
        block = w & 0x20
        if ifempty and self.osr_count < self.pull_thresh:
            return True
        if self.tx:
            self.osr = self._pop_tx()
        elif block:
            return False
        else:
            self.osr = self.x
        self.osr_count = 0
        return True

    def _push(self, w):
        iffull = w & 0x40
        block = w & 0x20
        if iffull and self.isr_count < self.push_thresh:
            return True
        if len(self.rx) >= self.rx_depth:
            if block:
                return False
        else:
            self.rx.append(self.isr)
        self.isr = 0
        self.isr_count = 0
        return True

    def _shift_out(self, n):
        if self.autopull and self.osr_count >= self.pull_thresh:
            if not self.tx:
                return None
            self.osr = self._pop_tx()
            self.osr_count = 0
        osr = self.osr
        if n == 32:
            data = osr
            self.osr = 0
        elif self.out_right:
            data = osr & ((1 << n) - 1)
            self.osr = osr >> n
        else:
            data = osr >> (32 - n)
            self.osr = (osr << n) & MASK32
        self.osr_count = min(32, self.osr_count + n)
        return data

    def _out(self, dest, n, t):
        # -2: done; -1: stalled (autopull on an empty FIFO); >= 0: jump there.
        data = self._shift_out(n)
        if data is None:
            return -1
        if dest == 0:
            self._write_pins(self.out_base, self.out_count, data, t + self.cyc)
        elif dest == 1:
            self.x = data
        elif dest == 2:
            self.y = data
        elif dest == 4:
            self._write_dirs(self.out_base, self.out_count, data, t + self.cyc)
        elif dest == 5:
            return data & 31
        elif dest == 6:
            self.isr = data
            self.isr_count = n
        elif dest == 7:
            raise NotImplementedError("out(exec) is not modelled")
        return -2

    def _source(self, src):
        if src == 0:
            return self._read_pins(self.in_base)
        if src == 1:
            return self.x
        if src == 2:
            return self.y
        if src == 5:
            return MASK32 if len(self.tx) < 1 else 0
        if src == 6:
            return self.isr
        if src == 7:
            return self.osr
        return 0

    def _mov(self, dest, op, src, t):
        v = self._source(src)
        if op == 1:
            v = ~v & MASK32
        elif op == 2:
            v = _reverse32(v)
        if dest == 0:
            self._write_pins(self.out_base, self.out_count, v, t + self.cyc)
        elif dest == 1:
            self.x = v
        elif dest == 2:
            self.y = v
        elif dest == 4:
            raise NotImplementedError("mov(exec) is not modelled")
        elif dest == 5:
            return v & 31
        elif dest == 6:
            self.isr = v
            self.isr_count = 0
        elif dest == 7:
            self.osr = v
            self.osr_count = 0
        return -2

    def _in(self, src, n):
        v = self._source(src) & (MASK32 if n == 32 else (1 << n) - 1)
        if n == 32:
            self.isr = v
        elif self.in_right:
            self.isr = (self.isr >> n) | (v << (32 - n))
        else:
            self.isr = ((self.isr << n) | v) & MASK32
        self.isr_count = min(32, self.isr_count + n)
        if self.autopush and self.isr_count >= self.push_thresh:
            if len(self.rx) >= self.rx_depth:
                return False
            self.rx.append(self.isr)
            self.isr = 0
            self.isr_count = 0
        return True

    def _wait(self, w):
        pol = (w >> 7) & 1
        src = (w >> 5) & 3
        idx = w & 31
        if src == 0:
            return self.gpio_for(idx).level == pol
        if src == 1:
            return self.gpio_for((self.in_base + idx) & 31).level == pol
        flag = self.irq_flags[0] >> (idx & 7) & 1
        if flag == pol:
            if pol:
                self.irq_flags[0] &= ~(1 << (idx & 7))
            return True
        return False

    def _irq(self, w):
        clear = w & 0x40
        wait = w & 0x20
        idx = w & 7
        if clear:
            self.irq_flags[0] &= ~(1 << idx)
            return True
        self.irq_flags[0] |= 1 << idx
        return not wait

    def exec_now(self, w, t):
        """Execute one instruction word at board time t outside the program
        (StateMachine.exec): it takes the machine's next cycle; a jump moves
        the program counter."""
        ins = self._decode(w)
        if ins[4] >= 0:
            self._side(ins[4], t)
        r = self._other(ins, t)
        if r == -1:
            raise NotImplementedError("a stalling exec() is not modelled")
        if r >= 0:
            self.pc = r
            self.stalled = False
        if self.enabled and self.t < t + (1 + ins[3]) * self.cyc:
            self.t = t + (1 + ins[3]) * self.cyc
