# Connects a board's sense ADC inputs (on the machine shim) to two lists of
# raw read_u16 values, one entry per channel, that a board model keeps up to
# date. On the Pico both peak detectors share one ADC input behind a mux: the
# value read follows the mux pin's level, as the analog switch would.
# Runs on CPython and inside MicroPython (the simulator's guest).
import machine


def wire_sense(board, raw_i, raw_v):
    for c in range(board.CHANNELS):
        machine.set_adc(board.PIN_SENSE_I[c], _reader(raw_i, c))
    mux = getattr(board, "PIN_SENSE_V_MUX", None)
    if mux is not None:
        st = machine.state()
        machine.set_adc(board.PIN_SENSE_V[0],
                        lambda: raw_v[1 if mux in st.pins and st.pins[mux].level else 0])
    else:
        for c in range(board.CHANNELS):
            machine.set_adc(board.PIN_SENSE_V[c], _reader(raw_v, c))


def _reader(values, c):
    return lambda: values[c]
