# Runs inside MicroPython on the emulated RP2040 (tools/perf/bench_rp2.py sends it over the
# raw REPL; the deploy is on the flash filesystem). bench_boot() builds the App the way
# ustim.boot.run builds it (checked board file, DeviceHw, FileStorage, the reset cause),
# and bench_run() steps it on the 10 ms cadence of ustim.boot.loop, keeping each tick's
# duration in emulated microseconds and the display bytes it sent. The functions stay in
# the REPL's globals between the host's calls; results are printed as tagged lines.
import gc
import sys
import time
from array import array

_APP = None
_DT = None      # microseconds per tick of the last run
_BYTES = None   # display data bytes sent per tick of the last run


def bench_boot(display):
    global _APP
    import board
    import machine
    from ustim import VERSION
    from ustim.app import App
    from ustim.boot import checked_board
    from ustim.hal.device import DeviceHw
    from ustim.hal.storage import FileStorage
    gc.collect()
    free0 = gc.mem_free()
    b = checked_board(board)
    hw = DeviceHw(b, display=bool(display))
    _APP = App(b, hw, FileStorage(), machine.reset_cause(), time.ticks_ms())
    gc.collect()
    print("@BOOT", free0, gc.mem_free(), 1 if hw.display is not None else 0, VERSION,
          sys.version.replace(" ", "_"))


def bench_start(pids, ua):
    # Each channel's program selected, its amplitude set and started, through the
    # controller as the console's select / amp / start do (pid None: left off).
    ctl = _APP.ctl
    for ch in range(len(pids)):
        if pids[ch] is None:
            continue
        for r in (ctl.select(ch, pids[ch]), ctl.set_amp(ch, ua), ctl.start(ch)):
            if r is not None:
                print("@REFUSED", ch, pids[ch], r[1].replace(" ", "_"))


def bench_stop():
    _APP.ctl.emergency_stop()


def bench_run(n, no_gc=False):
    # n ticks on the cadence of ustim.boot.loop; returns through @RUN.
    global _DT, _BYTES
    from ustim.app import TICK_MS
    from ustim.core.ticks import ticks_add, ticks_diff
    app = _APP
    disp = app.hw.display
    ref = disp.refresh if disp is not None else None
    dt = array("I", [0] * n)
    nb = array("H", [0] * n)
    _DT = dt
    _BYTES = nb
    step = app.step
    us = time.ticks_us
    ms = time.ticks_ms
    gc.collect()
    if no_gc:
        gc.disable()
    a0 = gc.mem_alloc()
    sent = ref.sent_bytes if ref is not None else 0
    due = ms()
    i = 0
    while i < n:
        t0 = us()
        ok = step(ms())
        dt[i] = ticks_diff(us(), t0)
        if ref is not None:
            nb[i] = ref.sent_bytes - sent
            sent = ref.sent_bytes
        if not ok:
            break
        due = ticks_add(due, TICK_MS)
        wait = ticks_diff(due, ms())
        if wait > 0:
            time.sleep_ms(wait)
        elif wait < -TICK_MS:
            due = ms()
        i += 1
    a1 = gc.mem_alloc()
    if no_gc:
        gc.enable()
    print("@RUN", i, a1 - a0, gc.mem_free(), app.worst_tick_us, app.overruns,
          app.failed if app.failed else "-")


def bench_dump():
    n = len(_DT)
    for i in range(0, n, 50):
        print("@DT", " ".join(str(x) for x in _DT[i:i + 50]))
        print("@NB", " ".join(str(x) for x in _BYTES[i:i + 50]))


def bench_state():
    out = []
    for c in _APP.ctl.chans:
        out.append("%s:%d:%d:%d" % (c.ch.state_name(), c.ch.target_ua, c.out.ua, c.faults))
    print("@STATE", " ".join(out), "fed", " ".join(str(x) for x in _APP.hw.pulses.fed))


def bench_heap():
    gc.collect()
    print("@HEAP", gc.mem_free(), gc.mem_alloc())
