# Device entry point. The first statements put every output in its safe state
# before anything else is imported: after a reset the pins float or keep what
# a still-running PIO/RMT left on them, and the ustim imports take time.
# Then ustim.boot.run() validates the board, self-tests, and runs the App
# (docs/device-app.md). Whatever happens, the finally block drives the outputs
# low again before MicroPython drops to the REPL.
import machine

import board

_OUTPUTS = ("PIN_HV_EN", "PIN_A", "PIN_B", "PIN_AMP_PWM", "PIN_AMP_DAC")


def outputs_low():
    # HV enable first: with the converter off the bridge cannot drive current.
    # Taking a pin as GPIO output also takes it away from a PIO/RMT/PWM.
    for name in _OUTPUTS:
        pins = getattr(board, name, None)
        if pins is None:
            continue
        if not isinstance(pins, (tuple, list)):
            pins = (pins,)
        for p in pins:
            try:
                machine.Pin(p, machine.Pin.OUT, value=0)
            except Exception:   # noqa: BLE001 - one bad pin must not spare the rest
                pass


outputs_low()

try:
    try:
        from ustim import boot
    except ImportError as e:
        # A missing or broken firmware install: nothing to run, and a reset
        # would not fix it. Outputs stay low; the REPL stays free for a deploy.
        print("uStim not installed (%s): outputs held low" % e)
        boot = None
    if boot is not None:
        boot.run(board)
finally:
    outputs_low()
