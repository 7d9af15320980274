# Device entry point.
#
# First of all, Ctrl-C (0x03) on the REPL port stops being KeyboardInterrupt:
# otherwise anyone at the cable could stop the firmware, get the REPL and
# rewrite settings.json or drive the pins. From here on 0x03 is a byte like
# any other (the console refuses the line holding it); the REPL is reached
# through the maintenance boot (MODE held at power-on, docs/deploy.md).
#
# Then every output is put in its safe state before anything else is
# imported: after a reset the pins float or keep what a still-running PIO/RMT
# left on them, and the ustim imports take time. Then ustim.boot.run()
# validates the board, self-tests, and runs the App (docs/device-app.md).
# Whatever happens, the finally block drives the outputs low again before
# MicroPython drops to the REPL.
import micropython

micropython.kbd_intr(-1)

import machine  # noqa: E402 - after kbd_intr: nothing before it may be interrupted

import board  # noqa: E402

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
