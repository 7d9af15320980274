# The RP2040 PIO program behind each stimulation channel (docs/pulse-engine.md
# walks through it cycle by cycle). One state machine per channel drives the
# channel's A and B pins as one 2-pin `set` group: bit 0 = A, bit 1 = B.
#
# Safety properties it is built for, each proven in emulation by the tests:
# - Only `set(pins, ...)` writes the pins and no write has both bits set: A and
#   B cannot be high in the same cycle.
# - Both phases count down the same number, copied in ISR: a pulse is
#   charge-balanced by construction, whatever the FIFO words say.
# - Every `pull` waits with both pins low, and a pulse needs two words: the
#   4-word TX FIFO (not joined) holds at most 2 pulses, so at most 2 pulses
#   follow the controller's last feed.
#
# Word 1: (phase - 5) | gap << 16, in cycles.  Word 2: f | c << 5, where
# f + 32 * c = period - (2 * phase + gap) - 41 (rp2_pio.encode does the sums).
import rp2

# ruff: noqa: F405  (the DSL names exist only while asm_pio assembles)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rp2.asm_pio import *  # noqa: F403  (the DSL names, for the type checker)


@rp2.asm_pio(set_init=[rp2.PIO.OUT_LOW, rp2.PIO.OUT_LOW], out_shiftdir=rp2.PIO.SHIFT_RIGHT,
             fifo_join=rp2.PIO.JOIN_NONE)
def biphasic():
    wrap_target()
    pull(block)                  # word 1; with no word the pins stay low here
    out(x, 16)                   # phase count
    mov(isr, x)                  # kept for the B phase: same count, same charge
    out(y, 16)                   # gap in cycles
    set(pins, 1)                 # A rises
    label("a_phase")
    jmp(x_dec, "a_phase")
    mov(x, isr)
    # Three ways out of the A phase, each 2 cycles long so A's width does not
    # depend on the gap: gap 0 (A to B in one step), gap 1, gap >= 2.
    jmp(y_dec, "gap_1_plus")
    nop()
    set(pins, 2)[2]              # gap 0
    jmp("b_phase")
    label("gap_1_plus")
    jmp(y_dec, "gap_2_plus")
    set(pins, 0)
    set(pins, 2)[2]              # gap 1
    jmp("b_phase")
    label("gap_2_plus")
    set(pins, 0)
    label("gap")
    jmp(y_dec, "gap")
    set(pins, 2)[3]              # gap >= 2; [3] matches the other paths' jmp
    label("b_phase")
    jmp(x_dec, "b_phase")
    set(pins, 0)                 # B falls
    pull(block)                  # word 2; with no word the pins stay low here
    out(x, 5)                    # idle remainder, 1 cycle per loop
    label("fine")
    jmp(x_dec, "fine")
    out(x, 27)                   # idle in 32-cycle steps
    label("coarse")
    jmp(x_dec, "coarse")[31]
    wrap()
