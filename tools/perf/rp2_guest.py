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
_BINS = 2000    # tick histogram: 10 us bins up to 20 ms
# The tick histogram, made before the App: 4 KB in one piece, which the heap
# of a booted App (its free space in many holes) may no longer have. Its bytes
# are added back to the free heap reported, which is then the App's own.
_a0 = gc.mem_alloc()
_HIST = array("H", bytes(2 * (_BINS + 1)))
_HIST_BYTES = gc.mem_alloc() - _a0
# The longest ticks of a run, _LONGEST of them: (us, tick, display bytes, console
# replies made) each, for what the worst ticks were made of.
_LONGEST = 4
_LONG = array("l", bytes(4 * 4 * _LONGEST))
_EVENTS = []    # the controller's last events (ms, text), for a session that goes wrong
_RUN = None     # the last run's (ticks, bytes allocated, worst us, its display bytes,
                # most display bytes in a tick, display bytes in all)


def bench_boot(display):
    # The boot's time is printed, and how the heap is left.
    global _APP
    t0 = time.ticks_ms()
    import board
    import machine
    from ustim import VERSION
    from ustim.app import App
    from ustim.boot import checked_board
    from ustim.hal.device import DeviceHw
    from ustim.hal.storage import FileStorage
    gc.collect()
    free0 = gc.mem_free() + _HIST_BYTES
    b = checked_board(board)
    hw = DeviceHw(b, display=bool(display))
    _APP = App(b, hw, FileStorage(), machine.reset_cause(), time.ticks_ms())
    _APP.ctl.on_event = _keep_event
    gc.collect()
    boot_ms = time.ticks_diff(time.ticks_ms(), t0)
    import micropython
    micropython.mem_info()      # its "max free sz": the largest free piece, in blocks
    print("@BOOT", free0, gc.mem_free() + _HIST_BYTES, 1 if hw.display is not None else 0, VERSION,
          sys.version.replace(" ", "_"), boot_ms)


def _keep_event(text):
    # Only the controller's events reach the callback (the App sets none); the
    # ring stays short, and bench_start empties it.
    _EVENTS.append((time.ticks_ms(), text))
    if len(_EVENTS) > 24:
        _EVENTS.pop(0)


def bench_start(pids, ua):
    # Each channel's program selected, its amplitude set and started, through the
    # controller as the console's select / amp / start do (pid None: left off).
    # A console line runs inside a tick, which has just set the controller's
    # clock; between the host's calls it stands still, and a start on a clock
    # seconds old would find its electrode check timed out at the next tick.
    ctl = _APP.ctl
    ctl.now_ms = time.ticks_ms()
    del _EVENTS[:]
    for ch in range(len(pids)):
        if pids[ch] is None:
            continue
        for r in (ctl.select(ch, pids[ch]), ctl.set_amp(ch, ua), ctl.start(ch)):
            if r is not None:
                print("@REFUSED", ch, pids[ch], r[1].replace(" ", "_"))


def bench_stop():
    _APP.ctl.emergency_stop()


def bench_run(n, no_gc=False):
    # n ticks on the cadence of ustim.boot.loop. Each tick's duration goes into a
    # histogram of 10 us bins (20 ms range, then one overflow bin): a 10,000-tick run
    # keeps 4 KB, not 40. The LED pad (the Pico's GPIO 25) is high while the measured
    # ticks run, so the host times its key presses and console lines to them.
    global _RUN
    from machine import Pin
    from ustim.app import TICK_MS
    from ustim.core.ticks import ticks_add, ticks_diff
    app = _APP
    disp = app.hw.display
    ref = disp.refresh if disp is not None else None
    hist = _HIST
    for k in range(_BINS + 1):
        hist[k] = 0
    step = app.step
    us = time.ticks_us
    ms = time.ticks_ms
    led = Pin("LED", Pin.OUT, value=0)
    sent = ref.sent_bytes if ref is not None else 0
    sent0 = sent
    most = 0          # display bytes in one tick, at most
    worst = 0
    worst_bytes = 0
    long = _LONG
    for k in range(4 * _LONGEST):
        long[k] = 0
    low = 0           # the slot of the shortest of the longest ticks kept
    con = app.console
    replies = con.replies
    gc.collect()
    if no_gc:
        gc.disable()
    a0 = gc.mem_alloc()
    led.value(1)
    due = ms()
    i = 0
    while i < n:
        t0 = us()
        ok = step(ms())
        dt = ticks_diff(us(), t0)
        b = 0
        if ref is not None:
            b = ref.sent_bytes - sent
            sent = ref.sent_bytes
            if b > most:
                most = b
        if dt > worst:
            worst = dt
            worst_bytes = b
        r = con.replies - replies
        replies = con.replies
        if dt > long[low]:
            long[low] = dt
            long[low + 1] = i
            long[low + 2] = b
            long[low + 3] = r
            for k in range(0, 4 * _LONGEST, 4):
                if long[k] < long[low]:
                    low = k
        k = dt // 10
        hist[k if k < _BINS else _BINS] += 1
        if not ok:
            break
        due = ticks_add(due, TICK_MS)
        wait = ticks_diff(due, ms())
        if wait > 0:
            time.sleep_ms(wait)
        elif wait < -TICK_MS:
            due = ms()
        i += 1
    led.value(0)
    a1 = gc.mem_alloc()
    if no_gc:
        gc.enable()
    _RUN = (i, a1 - a0, worst, worst_bytes, most, sent - sent0)
    print("@RUN", i, a1 - a0, gc.mem_free() + _HIST_BYTES, app.worst_tick_us, app.overruns,
          app.failed.replace(" ", "_") if app.failed else "-")


def bench_dump():
    # The last run: its figures, then the histogram's non-empty bins as bin:count,
    # a few to a line: after console traffic the heap may hold no block for all
    # of them in one string.
    print("@TICKS", " ".join(str(x) for x in _RUN))
    out = []
    for k in range(_BINS + 1):
        if _HIST[k]:
            out.append("%d:%d" % (k, _HIST[k]))
            if len(out) == 16:
                print("@HIST", " ".join(out))
                out = []
    print("@HIST", " ".join(out))
    print("@LONG", " ".join("%d:%d:%d:%d" % (_LONG[k], _LONG[k + 1], _LONG[k + 2], _LONG[k + 3])
                            for k in range(0, 4 * _LONGEST, 4) if _LONG[k]))


def bench_state():
    out = []
    for c in _APP.ctl.chans:
        out.append("%s:%d:%d:%d" % (c.ch.state_name(), c.ch.target_ua, c.out.ua, c.faults))
    print("@STATE", " ".join(out), "fed", " ".join(str(x) for x in _APP.hw.pulses.fed))


def bench_events():
    # Why a channel stopped: the controller's events since the last call, then
    # each channel's check reason, fault and how its session ended.
    for t, text in _EVENTS:
        print("@EVENT", t, text)
    del _EVENTS[:]
    for c in _APP.ctl.chans:
        print("@WHY", c.ch.index + 1, c.ch.check_reason, c.ch.fault_kind, c.end)


def bench_heap():
    gc.collect()
    print("@HEAP", gc.mem_free() + _HIST_BYTES, gc.mem_alloc() - _HIST_BYTES)
