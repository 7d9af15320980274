"""The host assembler (tools/shims/rp2.py) against an independent one
(adafruit-circuitpython-pioasm): the firmware's PIO programs, and a spread of
instruction forms, must give identical instruction words."""

import adafruit_pioasm
import pytest

import rp2
from ustim.hal import pio_biphasic, rp2_pio

# The firmware's program, written again by hand in pioasm syntax.
BIPHASIC_PIOASM = """
.program biphasic
.wrap_target
    pull block
    out x, 16
    mov isr, x
    out y, 16
    set pins, 1
a_phase:
    jmp x-- a_phase
    mov x, isr
    jmp y-- gap_1_plus
    nop
    set pins, 2 [2]
    jmp b_phase
gap_1_plus:
    jmp y-- gap_2_plus
    set pins, 0
    set pins, 2 [2]
    jmp b_phase
gap_2_plus:
    set pins, 0
gap:
    jmp y-- gap
    set pins, 2 [3]
b_phase:
    jmp x-- b_phase
    set pins, 0
    pull block
    out x, 5
fine:
    jmp x-- fine
    out x, 27
coarse:
    jmp x-- coarse [31]
.wrap
"""

FIRMWARE_PROGRAMS = [("biphasic", pio_biphasic.biphasic, BIPHASIC_PIOASM)]


@pytest.mark.parametrize("name,prog,text", FIRMWARE_PROGRAMS, ids=[p[0] for p in FIRMWARE_PROGRAMS])
def test_firmware_program_words_equal_pioasm(name, prog, text):
    ours = list(prog[rp2.PROG_DATA])
    theirs = list(adafruit_pioasm.assemble(text))
    assert ours == theirs, name
    # wrap covers the whole program, target at the first pull
    execctrl = prog[rp2.PROG_EXECCTRL]
    assert (execctrl >> 7) & 31 == 0
    assert (execctrl >> 12) & 31 == len(ours) - 1


def test_every_firmware_program_is_checked():
    # A new program in firmware must be added to FIRMWARE_PROGRAMS above.
    progs = [v for v in vars(pio_biphasic).values()
             if isinstance(v, list) and len(v) == 8 and hasattr(v[0], "typecode")]
    assert len(progs) == len(FIRMWARE_PROGRAMS)


def test_only_safe_pin_writes():
    # A and B can only be high together if some instruction writes 3 to the
    # pins, or writes them from data. The program has neither.
    for w in pio_biphasic.biphasic[rp2.PROG_DATA]:
        op = w >> 13
        if op == 7 and (w >> 5) & 7 == 0:          # set pins, n
            assert w & 0x1F in (0, 1, 2), hex(w)
        assert not (op == 3 and (w >> 5) & 7 in (0, 4)), "out pins/pindirs %#x" % w
        assert not (op == 5 and (w >> 5) & 7 == 0), "mov pins %#x" % w
        assert op != 6, "irq not used"


def test_exec_word_is_set_pins_low():
    assert rp2.asm_pio_encode("set(pins, 0)", 0) == rp2_pio.SET_PINS_LOW
    assert adafruit_pioasm.assemble("set pins, 0")[0] == rp2_pio.SET_PINS_LOW


@rp2.asm_pio(sideset_init=(rp2.PIO.OUT_LOW,), out_init=rp2.PIO.OUT_LOW)
def _spread():
    wrap_target()  # noqa: F821
    label("top")  # noqa: F821
    nop().side(1)[3]  # noqa: F821
    wait(1, gpio, 7)  # noqa: F821
    wait(0, pin, 2)  # noqa: F821
    wait(1, irq, 3)  # noqa: F821
    in_(pins, 8)  # noqa: F821
    in_(null, 32)  # noqa: F821
    out(pindirs, 3)  # noqa: F821
    out(pc, 5)  # noqa: F821
    out(exec, 16)  # noqa: F821
    push(iffull, noblock)  # noqa: F821
    push()  # noqa: F821
    pull(ifempty, block)  # noqa: F821
    pull(noblock)  # noqa: F821
    mov(x, invert(y))  # noqa: F821
    mov(pins, reverse(isr))  # noqa: F821
    mov(exec, osr)  # noqa: F821
    irq(clear, 2)  # noqa: F821
    irq(rel(1))  # noqa: F821
    irq(block, 4)  # noqa: F821
    jmp(not_x, "top")  # noqa: F821
    jmp(x_not_y, "top").side(0)  # noqa: F821
    jmp(pin, "top")  # noqa: F821
    jmp(not_osre, "top")  # noqa: F821
    set(pindirs, 3)[7]  # noqa: F821
    wrap()  # noqa: F821


SPREAD_PIOASM = """
.side_set 1 opt
.wrap_target
top:
    nop side 1 [3]
    wait 1 gpio 7
    wait 0 pin 2
    wait 1 irq 3
    in pins, 8
    in null, 32
    out pindirs, 3
    out pc, 5
    out exec, 16
    push iffull noblock
    push block
    pull ifempty block
    pull noblock
    mov x, ~y
    mov pins, ::isr
    mov exec, osr
    irq clear 2
    irq 1 rel
    irq wait 4
    jmp !x top
    jmp x!=y top side 0
    jmp pin top
    jmp !osre top
    set pindirs, 3 [7]
.wrap
"""


def test_instruction_spread_equals_pioasm():
    assert list(_spread[rp2.PROG_DATA]) == list(adafruit_pioasm.assemble(SPREAD_PIOASM))
    assert _spread[rp2.PROG_EXECCTRL] >> 30 & 1, "optional side-set enable bit"


def test_assembler_refusals():
    with pytest.raises(rp2.PIOASMError):
        @rp2.asm_pio()
        def too_long():
            set(pins, 1)[32]  # noqa: F821
    with pytest.raises(rp2.PIOASMError):
        @rp2.asm_pio()
        def unknown():
            jmp("nowhere")  # noqa: F821
    with pytest.raises(rp2.PIOASMError):
        rp2.asm_pio_encode("set(pins, 1)\nset(pins, 0)", 0)


def test_decorator_restores_module_globals():
    # The DSL names are swapped into the module's globals only while
    # assembling, as on the device.
    assert "set" not in globals() and "pins" not in globals()
    assert callable(test_assembler_refusals)
