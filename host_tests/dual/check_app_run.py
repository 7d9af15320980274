# The whole App on both runtimes (CPython and MicroPython 1.27): a hardware
# bundle of plain models (an engine that counts the pulses of the spec with
# the reference model, sense readings of a 2 kohm load, a framebuf display)
# runs ~1000 control ticks of: select, amplitude, start, run, stop, via the
# console. On MicroPython the heap is measured (gc is off in the runner, so
# gc.mem_alloc() deltas are exact): after boot and per steady-state tick.
import sys

import hostpaths  # noqa: F401  (tools.* and the machine shim on MicroPython)
from dualcheck import eq, true

import framebuf
from tools.sim.models.flash import MemStorage
from ustim.app import TICK_MS, App
from ustim.core import pulses as ref
from ustim.core import settings as S
from ustim.core.spec import PulseSpec
from ustim.hal.pulse import PulseEngine

ON_MICROPYTHON = sys.implementation.name == "micropython"
if ON_MICROPYTHON:
    import gc

LOAD_OHM = 2000
HEAP = [0, 0, 0, 0]   # boot bytes, steady-state bytes, steady-state ticks, in use


def _heap():
    return gc.mem_alloc() if ON_MICROPYTHON else 0


class Board:
    NAME = "model"
    PLATFORM = "rp2"
    CHANNELS = 2
    COMPLIANCE_MV = 80000
    SENSE_I_UA_FULL_SCALE = 100000
    SENSE_V_MV_FULL_SCALE = 120000
    LIMITS = {"max_peak_ua": 80000}


class Clock:
    def __init__(self):
        self.us = 0


class CountingEngine(PulseEngine):
    # Pulses fed are those of the spec starting before the end of the next
    # tick, counted with the reference model (no list of pulses kept).
    def __init__(self, n, clock):
        PulseEngine.__init__(self, n)
        self.clock = clock
        self.spec = [PulseSpec() for _ in range(n)]
        self.t0 = [0] * n
        self.next_k = [0] * n

    def configure(self, ch, spec):
        if self._on[ch]:
            self.t0[ch] += ref.start_offset(self.spec[ch], self.next_k[ch])
            self.next_k[ch] = 0
        self.spec[ch].copy_from(spec)

    def start(self, ch):
        self._on[ch] = True
        self.t0[ch] = self.clock.us
        self.next_k[ch] = 0

    def stop(self, ch):
        self._on[ch] = False

    def service(self):
        horizon = self.clock.us + TICK_MS * 1000
        for ch in range(self.channels):
            if self._on[ch]:
                end = ref.first_pulse_at(self.spec[ch], self.t0[ch], horizon)
                if end > self.next_k[ch]:
                    self.fed[ch] += end - self.next_k[ch]
                    self.next_k[ch] = end


class Amp:
    def __init__(self, n):
        self.ua = [0] * n

    def set(self, ch, ua):
        self.ua[ch] = ua


class Hv:
    def __init__(self):
        self.on = False
        self.rises = 0

    def set(self, on):
        if on and not self.on:
            self.rises += 1
        self.on = bool(on)


class LoadSense:
    # The latest pulse through a resistive load: I = set amplitude, V = I * R.
    def __init__(self, hw, n):
        self.hw = hw
        self.i_ua = [0] * n
        self.v_mv = [0] * n

    def read(self):
        hw = self.hw
        for ch in range(len(self.i_ua)):
            i = hw.amp.ua[ch] if hw.pulses.running(ch) and hw.pulses.fed[ch] else 0
            self.i_ua[ch] = i
            self.v_mv[ch] = i * LOAD_OHM // 1000


class NoButtons:
    def poll_into(self, logic, now_ms):
        return logic.poll(False, False, False, False, now_ms)


class Console:
    def __init__(self):
        self.inbox = []
        self.lines = 0

    def read(self):
        return self.inbox.pop(0) if self.inbox else None

    def write(self, text):
        self.lines += 1


class FbDisplay:
    def __init__(self):
        self.buf = bytearray(128 * 64 // 8)
        self.fb = framebuf.FrameBuffer(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.flushes = 0

    def flush(self, pages):
        self.flushes += 1
        return 0

    def contrast(self, value):
        pass

    def off(self):
        pass


class ModelHw:
    def __init__(self, n, clock):
        self.clock = clock
        self.pulses = CountingEngine(n, clock)
        self.amp = Amp(n)
        self.hv = Hv()
        self.sense = LoadSense(self, n)
        self.buttons = NoButtons()
        self.display = FbDisplay()
        self.console = Console()
        self.feeds = 0
        self.offs = 0

    def battery_pct(self):
        return 80

    def wdt_feed(self):
        self.feeds += 1

    def outputs_off(self):
        self.offs += 1
        self.pulses.stop_all()
        for ch in range(len(self.amp.ua)):
            self.amp.set(ch, 0)
        self.hv.set(False)

    def ticks_us(self):
        return self.clock.us

    def power_down(self):
        pass


def _run(app, hw, clock, now, n):
    i = 0
    while i < n:
        now += TICK_MS
        clock.us = now * 1000
        if not app.step(now):
            return -now
        i += 1
    return now


def check_app_runs_a_session():
    store = MemStorage()
    st = S.Settings()
    st.set("console", True)
    S.save(store, st)
    clock = Clock()
    h0 = _heap()
    hw = ModelHw(Board.CHANNELS, clock)
    app = App(Board, hw, store, 0, 0)
    HEAP[0] = _heap() - h0
    HEAP[3] = _heap()
    chan = app.ctl.chans[0]
    eq(chan.ch.state_name(), "OFF", "boots OFF")
    hw.console.inbox.append(b"select 1 tens\namp 1 10\n")
    hw.console.inbox.append(b"start 1\n")
    now = _run(app, hw, clock, 0, 400)
    true(now > 0, "failed: %s", app.failed)
    eq(chan.ch.state_name(), "RUNNING", "running after 4 s")
    eq(chan.out.ua, 10000, "at the set amplitude")
    true(hw.hv.on, "HV on while running")
    # Steady state: running, no input, the screen redrawn every UI_EVERY ticks.
    fed = hw.pulses.fed[0]
    h1 = _heap()
    now = _run(app, hw, clock, now, 300)
    HEAP[1] = _heap() - h1
    HEAP[2] = 300
    true(now > 0, "failed: %s", app.failed)
    # tens: 100 Hz, so one pulse per 10 ms tick.
    eq(hw.pulses.fed[0] - fed, 300, "pulses fed in 3 s at 100 Hz")
    hw.console.inbox.append(b"stop 1\n")
    now = _run(app, hw, clock, now, 300)
    true(now > 0, "failed: %s", app.failed)
    eq(chan.ch.state_name(), "OFF", "off after stop")
    eq(hw.pulses.running(0), False, "engine stopped")
    eq(hw.amp.ua[0], 0, "amplitude 0")
    eq(hw.hv.on, False, "HV off")
    eq(hw.feeds, 1000, "the watchdog fed once per tick")
    eq(app.ticks, 1000, "ticks")
    eq(len(app.log_records(8)), 1, "the session is in the usage log")
    true(hw.display.flushes == 1000, "display flushed every tick")
    if ON_MICROPYTHON:
        # Budgets: the App and its bundle under 48 KB, nothing per tick.
        true(HEAP[0] < 48 * 1024, "App + bundle %d bytes at boot", HEAP[0])
        eq(HEAP[1], 0, "bytes allocated over %d steady ticks", HEAP[2])
        print("app heap: App + bundle %d bytes at boot (%d in use, firmware source "
              "compiled in RAM included); %d bytes over %d steady ticks" % (
                  HEAP[0], HEAP[3], HEAP[1], HEAP[2]))


def check_a_failing_tick_stops_output_and_the_next_boot_is_off():
    store = MemStorage()
    st = S.Settings()
    st.set("console", True)
    S.save(store, st)
    clock = Clock()
    hw = ModelHw(Board.CHANNELS, clock)
    app = App(Board, hw, store, 0, 0)
    hw.console.inbox.append(b"select 2 tens\namp 2 10\nstart 2\n")
    now = _run(app, hw, clock, 0, 350)
    eq(app.ctl.chans[1].ch.state_name(), "RUNNING", "running")
    feeds = hw.feeds

    def broken():
        raise RuntimeError("injected")

    hw.pulses.service = broken
    now = _run(app, hw, clock, now, 5)
    true(now < 0, "the tick failed")
    eq(hw.feeds, feeds, "no feed after the failure")
    eq(hw.pulses.running(1), False, "engine stopped")
    eq(hw.amp.ua[1], 0, "amplitude 0")
    eq(hw.hv.on, False, "HV off")
    eq(store.read("error.txt"), b"RuntimeError: injected", "error recorded")
    hw2 = ModelHw(Board.CHANNELS, clock)
    app2 = App(Board, hw2, store, 3, -now)
    now = _run(app2, hw2, clock, -now, 200)
    true(now > 0, "second boot runs")
    for c in app2.ctl.chans:
        eq(c.ch.state_name(), "OFF", "nothing resumes")
        eq(c.out.ua, 0, "amplitude 0")
    eq(hw2.hv.rises, 0, "HV never on")
    true("Last error: RuntimeError: injected" in app2.notices, "error shown")
