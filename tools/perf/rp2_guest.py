# Run inside MicroPython on the emulated RP2040 (tools/perf/bench_rp2.py sends it over the
# raw REPL; the deploy is on the flash filesystem). It builds the App the way ustim.boot.run
# builds it (board file, DeviceHw, FileStorage) and steps it on the 10 ms cadence of
# ustim.boot.loop, recording each tick's duration in emulated microseconds.
# Functions stay defined in the REPL's globals between the host's calls.
import gc
import sys
import time
from array import array

import board
import machine
from ustim.app import App, TICK_MS
from ustim.board import load
from ustim.core.ticks import ticks_add, ticks_diff
from ustim.hal.device import DeviceHw
from ustim.hal.storage import FileStorage

_B = None
_APP = None
_DT = None


def bench_boot(display):
    global _B, _APP
    gc.collect()
    free0 = gc.mem_free()
    _B = load(board).module
    hw = DeviceHw(_B, display=bool(display))
    _APP = App(_B, hw, FileStorage(), machine.reset_cause(), time.ticks_ms())
    gc.collect()
    print("BOOT", free0, gc.mem_free(), hw.display is not None, sys.implementation._machine)


def bench_start(specs, ua):
    # specs: one program id per channel (or None); each started as the console's
    # `select`, `amp` and `start` would.
    ctl = _APP.ctl
    for ch in range(len(specs)):
        pid = specs[ch]
        if pid is None:
            continue
        for r in (ctl.select(ch, pid), ctl.set_amp(ch, ua), ctl.start(ch)):
            if r is not None:
                print("REFUSED", ch, pid, r)


def bench_run(n, keep=True, no_gc=False):
    # n ticks on the cadence of ustim.boot.loop. keep: record each tick's time.
    global _DT
    app = _APP
    dt = array("I", [0] * n) if keep else None
    _DT = dt
    step = app.step
    if no_gc:
        gc.collect()
        gc.disable()
    a0 = gc.mem_alloc()
    f0 = gc.mem_free()
    due = time.ticks_ms()
    i = 0
    while i < n:
        t0 = time.ticks_us()
        ok = step(time.ticks_ms())
        t1 = time.ticks_us()
        if keep:
            dt[i] = ticks_diff(t1, t0)
        if not ok:
            print("FAILED", app.failed)
            break
        due = ticks_add(due, TICK_MS)
        wait = ticks_diff(due, time.ticks_ms())
        if wait > 0:
            time.sleep_ms(wait)
        elif wait < -TICK_MS:
            due = time.ticks_ms()
        i += 1
    a1 = gc.mem_alloc()
    f1 = gc.mem_free()
    if no_gc:
        gc.enable()
    print("RUN", i, a1 - a0, f0, f1, app.worst_tick_us, app.overruns)


def bench_dump(start=0):
    # The recorded tick times, 64 to a line.
    dt = _DT
    n = len(dt)
    i = start
    while i < n:
        print("DT", " ".join(str(x) for x in dt[i:i + 64]))
        i += 64


def bench_state():
    ctl = _APP.ctl
    out = []
    for c in ctl.chans:
        out.append("%s:%d:%d" % (c.ch.state_name(), c.ch.target_ua, c.out.ua))
    print("STATE", " ".join(out), "fed", " ".join(str(x) for x in _APP.hw.pulses.fed))


def _probe(fn, acc, arity):
    # A wrapper of fixed arity (a *args wrapper would allocate its tuple every call) that
    # adds each call's emulated microseconds into acc. gc.mem_alloc() walks the whole heap
    # (about a millisecond here): allocation is measured per run, not per call.
    if arity == 0:
        def timed():
            t = time.ticks_us()
            r = fn()
            acc[0] += ticks_diff(time.ticks_us(), t)
            acc[2] += 1
            return r
    elif arity == 1:
        def timed(x):
            t = time.ticks_us()
            r = fn(x)
            acc[0] += ticks_diff(time.ticks_us(), t)
            acc[2] += 1
            return r
    elif arity == 2:
        def timed(x, y):
            t = time.ticks_us()
            r = fn(x, y)
            acc[0] += ticks_diff(time.ticks_us(), t)
            acc[2] += 1
            return r
    else:
        def timed(*args):
            t = time.ticks_us()
            r = fn(*args)
            acc[0] += ticks_diff(time.ticks_us(), t)
            acc[2] += 1
            return r
    return timed


_PROBES = {}


def bench_probe(names):
    # names: "app._outputs/0" (object.method/arity), objects rooted below.
    app = _APP
    roots = {"app": app, "hw": app.hw, "ctl": app.ctl, "guard0": app.guards[0],
             "guard1": app.guards[1], "console": app.console, "menu": app.menu,
             "pulses": app.hw.pulses, "amp": app.hw.amp, "sense": app.hw.sense,
             "buttons": app.hw.buttons, "display": app.hw.display, "log": app.log}
    for spec in names:
        name, _, arity = spec.partition("/")
        obj_name, _, meth = name.rpartition(".")
        obj = roots[obj_name]
        acc = [0, 0, 0]
        setattr(obj, meth, _probe(getattr(obj, meth), acc, int(arity)))
        _PROBES[name] = acc


def bench_probes():
    for name in _PROBES:
        acc = _PROBES[name]
        print("PROBE %-22s calls %5d  us/call %6d" % (name, acc[2], acc[0] // max(acc[2], 1)))
        acc[0] = acc[2] = 0
