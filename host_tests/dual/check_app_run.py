# The whole App on both runtimes (CPython and MicroPython 1.27): a hardware
# bundle of plain models (an engine that counts the pulses of the spec with
# the reference model, sense readings of a 2 kohm load, a framebuf display)
# runs ~1000 control ticks of: select, amplitude, start, run, stop, via the
# console. On MicroPython the heap is measured (gc is off in the runner, so
# gc.mem_alloc() deltas are exact): after boot and per steady-state tick.
import json
import sys

import hostpaths  # noqa: F401  (tools.* and the machine shim on MicroPython)
from dualcheck import eq, true

import framebuf
import machine
from tools.sim.models.flash import MemStorage
from ustim.app import TICK_MS, UI_EVERY, App
from ustim.core import buttons as B
from ustim.core import pulses as ref
from ustim.core import settings as S
from ustim.core.spec import PulseSpec
from ustim.core.ui import menu as M
from ustim.core.ui.screens import NOTICE_LOOKS
from ustim.core.ui.refresh import ChunkRefresh
from ustim.core.ui.view import SET_LEASE, SET_SESSION
from ustim.hal.pulse import PulseEngine

ON_MICROPYTHON = sys.implementation.name == "micropython"
DOCS = __file__.rsplit("/", 3)[0] + "/docs/"
PARSER = "ustim.core.custom"
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
    # A small usage-log ring: the runner's heap (gc off) holds every file.
    USAGE_LOG_SLOTS = 64


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
        if self.on[ch]:
            self.t0[ch] += ref.start_offset(self.spec[ch], self.next_k[ch])
            self.next_k[ch] = 0
        self.spec[ch].copy_from(spec)

    def start(self, ch):
        self.on[ch] = True
        self.t0[ch] = self.clock.us
        self.next_k[ch] = 0

    def stop(self, ch):
        self.on[ch] = False

    def service(self):
        horizon = self.clock.us + TICK_MS * 1000
        for ch in range(self.channels):
            if self.on[ch]:
                end = ref.first_pulse_at(self.spec[ch], self.t0[ch], horizon)
                if end > self.next_k[ch]:
                    self.fed[ch] += end - self.next_k[ch]
                    self.next_k[ch] = end


class Amp:
    def __init__(self, n):
        self.ua = [0] * n

    def set(self, ch, ua, _wait_max=0):
        self.ua[ch] = ua
        return ua       # set at once: never put off (hal/amplitude.py's -1)

    def finish_pulse(self, ch):
        pass


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
    # Pressed flags (POWER, MODE, UP, DOWN); nothing pressed unless a check
    # presses it.
    def __init__(self):
        self.level = [False, False, False, False]

    def poll_into(self, logic, now_ms):
        v = self.level
        return logic.poll(v[0], v[1], v[2], v[3], now_ms)


class Console:
    def __init__(self):
        self.inbox = []
        self.lines = 0

    def read(self):
        return self.inbox.pop(0) if self.inbox else None

    def write(self, text):
        self.lines += 1


class FbDisplay:
    # The real frame and chunk refresh (ustim.core.ui.refresh) without a bus.
    def __init__(self):
        self.buf = bytearray(128 * 64 // 8)
        self.fb = framebuf.FrameBuffer(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.refresh = ChunkRefresh(self.buf)
        self.flushes = 0
        self.sent = 0
        self._send = self._send_run   # bound once: a bound method allocates when taken

    def _send_run(self, page, col, cols, vector):
        self.sent += cols

    def clear(self):
        self.refresh.clear()

    def mark(self):
        self.refresh.mark()

    def flush(self, budget=48):
        self.flushes += 1
        return self.refresh.step(self._send, budget)

    def pending(self):
        return self.refresh.pending()

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


def _press(app, hw, clock, now, button, ms=150):
    # Held for ms, then released for as long: a finger on the device.
    hw.buttons.level[button] = True
    now = _run(app, hw, clock, now, ms // TICK_MS)
    hw.buttons.level[button] = False
    return _run(app, hw, clock, now, ms // TICK_MS)


def _console_app(store=None, board=Board, cause=machine.PWRON_RESET, session_min=60):
    # An App booted with console control on (and the given longest session);
    # the longest console lease, so sessions run on between console lines.
    if store is None:
        store = MemStorage()
    st = S.Settings()
    st.set("console", True)
    st.set("lease_s", 60)
    st.set("session_min", session_min)
    S.save(store, st)
    clock = Clock()
    hw = ModelHw(Board.CHANNELS, clock)
    return App(board, hw, store, cause, 0), hw, clock


def check_a_program_chosen_in_the_menu_starts_at_target_zero():
    app, hw, clock = _console_app()
    hw.console.inbox.append(b"select 1 acu\namp 1 45\n")
    now = _run(app, hw, clock, 0, 300)          # past the splash
    chan = app.ctl.chans[0]
    eq((chan.program.pid, chan.ch.target_ua), ("acu", 45000), "45 mA on acu")
    # MODE held: the menu; DOWN twice: Program; MODE: the program list; MODE
    # on its first line: Conventional (tens) on the focused channel 1.
    now = _press(app, hw, clock, now, B.B_MODE, 1500)
    now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)
    eq(app.menu.screen, M.S_PROGRAM, "program list open")
    now = _press(app, hw, clock, now, B.B_MODE)
    true(now > 0, "failed: %s", app.failed)
    eq(chan.program.pid, "tens", "tens chosen from the menu")
    eq(chan.ch.target_ua, 0, "target after choosing a program on the device")
    hw.console.inbox.append(b"start 1\n")
    now = _run(app, hw, clock, now, 500)
    eq(chan.ch.state_name(), "RUNNING", "started")
    eq(max(hw.amp.ua), 0, "no amplitude until one is chosen for tens")


def check_app_runs_a_session():
    store = MemStorage()
    st = S.Settings()
    st.set("console", True)
    st.set("lease_s", 60)
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
    # Flushed in every tick that did no other display work (two in each
    # UI_EVERY + 1 look at the view and update the home screen: the model's
    # clock stands still in a tick, so its parts all fit in one; a new screen
    # takes a few ticks of drawing).
    true(780 <= hw.display.flushes < 1000, "display flushed %d times", hw.display.flushes)
    true(hw.display.sent > 0 and not hw.display.pending(), "the panel got every drawing")
    if ON_MICROPYTHON:
        # Budgets: the App and its bundle under 48 KB, nothing per tick.
        true(HEAP[0] < 48 * 1024, "App + bundle %d bytes at boot", HEAP[0])
        eq(HEAP[1], 0, "bytes allocated over %d steady ticks", HEAP[2])
        print("app heap: App + bundle %d bytes at boot (%d in use, firmware source "
              "compiled in RAM included); %d bytes over %d steady ticks" % (
                  HEAP[0], HEAP[3], HEAP[1], HEAP[2]))


def check_a_notice_is_cut_into_lines_when_posted():
    # The home screen shows a long notice a line at a time. Cutting it makes
    # strings: that belongs to the event that posts it (whose text is made
    # then too), not to the screen's look a few ticks later, while running.
    app, hw, clock = _console_app()
    hw.console.inbox.append(b"select 1 tens\namp 1 10\nstart 1\n")
    now = _run(app, hw, clock, 0, 400)
    eq(app.ctl.chans[0].ch.state_name(), "RUNNING", "running")
    note = "Electrode check: press both pads down and check the lead"
    app.notice(note)
    v = app.view
    true(v.notice_text is note and len(v.notice_lines) > 1, "cut at once: %r", v.notice_lines)
    h0 = _heap()
    # Long enough for the screen to show each of its lines in turn.
    now = _run(app, hw, clock, now, 2 * UI_EVERY * NOTICE_LOOKS * len(v.notice_lines))
    h1 = _heap()
    true(now > 0, "failed: %s", app.failed)
    true(v.notice_at > 0 or v.notice_looks > 0, "the notice was shown and turned")
    eq(h1 - h0, 0, "bytes allocated while the notice was shown")


def check_a_failing_tick_stops_output_and_the_next_boot_is_off():
    store = MemStorage()
    app, hw, clock = _console_app(store, cause=0)
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


def _programs_file():
    # The documented example, then two entries the envelope refuses.
    with open(DOCS + "programs.example.json") as f:
        doc = json.loads(f.read())
    doc["programs"].append({"id": "fast", "name": "Fast EMS", "kind": "EMS", "freq_hz": 120,
                            "phase_us": 300, "on_s": 5, "off_s": 10})
    doc["programs"].append({"id": "tet", "name": "Tetanic", "kind": "EMS", "freq_hz": 50,
                            "phase_us": 300})
    return json.dumps(doc).encode()


def _parser_gone(had, what):
    # Dropped after the boot unless something imported it before (CPython
    # under pytest: other checks have).
    if not had:
        true(PARSER not in sys.modules, "%s: the parser is not kept in sys.modules", what)
        true(not hasattr(sys.modules["ustim.core"], "custom"), "%s: nor on its package", what)


def check_programs_json_is_loaded_at_boot():
    store = MemStorage()
    store.write_atomic("programs.json", _programs_file())
    had = PARSER in sys.modules
    app, hw, clock = _console_app(store)
    _parser_gone(had, "after loading programs.json")
    presets = [p.pid for p in app.ctl.programs[:8]]
    eq([p.pid for p in app.ctl.programs[8:]], ["tens80", "burst5", "quad", 42, "sweep"],
       "custom programs after the presets")
    eq(presets, ["tens", "acu", "burst", "alt", "mod", "oa", "tka", "short"], "presets first")
    eq(list(app.view.programs[8:]), ["Gentle TENS 80Hz", "Burst 5x@80Hz", "Quads 35Hz 8/24",
                                     "Alt 4/80Hz", "Sweep 60-100Hz"], "the menu lists them")
    refused = ["program 'fast' (#6): field freq_hz: frequency 120 Hz outside limit 100 Hz",
               "program 'tet' (#7): field on_s: contraction on time 0 ms outside limit 1000 ms"]
    for text in refused:
        true(text in app.notices, "notice %r in %r", text, app.notices)
    eq(app.view.notice, "tet: on_s", "the OLED notice line")
    got = [(name, ok, detail) for name, ok, detail in app.selftest() if name == "programs.json"]
    eq(got, [("programs.json", False, refused[0]), ("programs.json", False, refused[1])],
       "selftest lists each refusal")
    out = []
    app.console.write = out.append
    hw.console.inbox.append(b"programs\nselect 1 quad\namp 1 20\nstart 1\n")
    now = _run(app, hw, clock, 0, 300)
    ids = [p["id"] for p in json.loads(out[0])["programs"]]
    eq(ids[8:], ["tens80", "burst5", "quad", 42, "sweep"], "console programs lists them")
    eq(json.loads(out[1])["program"], "quad", "a custom program selected")
    eq(app.ctl.chans[0].ch.state_name(), "RAMPING", "and started")
    # On the device: the menu's program list, past the eight presets.
    hw.console.inbox.append(b"stop 1\n")
    now = _run(app, hw, clock, now, 100)
    now = _press(app, hw, clock, now, B.B_MODE, 1500)
    now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)
    for _ in range(8):
        now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)
    true(now > 0, "failed: %s", app.failed)
    eq(app.ctl.chans[0].program.pid, "tens80", "the first custom program chosen in the menu")


def check_no_programs_file_is_silent():
    had = PARSER in sys.modules
    if ON_MICROPYTHON:
        # A fresh interpreter per check module, no `set` before this check: the
        # firmware's own imports do not pull the parser in.
        true(not had, "the parser is imported without a programs.json")
    app, hw, clock = _console_app()
    _parser_gone(had, "with no programs.json")
    eq(len(app.ctl.programs), 8, "the presets only")
    eq([n for n in app.notices if "program" in n], [], "no notice")
    eq([c for c in app.selftest() if c[0] == "programs.json"], [], "nothing in selftest")


def _remaining_after_start(app, hw, clock, now, ch):
    out = []
    app.console.write = out.append
    hw.console.inbox.append(b"select %d tens\namp %d 5\nstart %d\nstatus\n" % (ch, ch, ch))
    now = _run(app, hw, clock, now, 20)
    return json.loads(out[-1])["channels"][ch - 1]["remaining_s"], now


def check_longest_session_setting_is_applied():
    store = MemStorage()
    app, hw, clock = _console_app(store, session_min=10)
    left, now = _remaining_after_start(app, hw, clock, 0, 1)
    eq(left, 600, "the saved 10 minutes cap tens's 30")
    now = _run(app, hw, clock, now, 300)           # past the splash
    # Settings -> Max time: 10 -> 20 min (two choices up).
    now = _press(app, hw, clock, now, B.B_MODE, 1500)
    for _ in range(4):
        now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)
    eq(app.menu.screen, M.S_SETTINGS, "settings open")
    for _ in range(5):
        now = _press(app, hw, clock, now, B.B_DOWN)
    now = _press(app, hw, clock, now, B.B_MODE)
    eq((app.menu.screen, app.menu.edit_id), (M.S_EDIT, SET_SESSION), "longest session edit")
    now = _press(app, hw, clock, now, B.B_UP)
    now = _press(app, hw, clock, now, B.B_UP)
    now = _press(app, hw, clock, now, B.B_MODE)
    true(now > 0, "failed: %s", app.failed)
    eq(app.settings.session_min, 20, "set in the menu")
    eq(S.load(store)[0].session_min, 20, "saved")
    eq(app.ctl.chans[0].session.length_s, 600, "the running session keeps its 10 minutes")
    left, now = _remaining_after_start(app, hw, clock, now, 2)
    eq(left, 1200, "the next session lasts 20")


class ShortSessionBoard(Board):
    LIMITS = {"max_peak_ua": 80000, "max_session_s": 1500}


def check_longest_session_above_the_board_cap_is_refused():
    store = MemStorage()
    app, hw, clock = _console_app(store, ShortSessionBoard, session_min=30)
    eq(app.ctl.session_cap_s, 1500, "at boot the board's lower cap holds")
    eq([n for n in app.notices if "session" in n], [], "without a notice at every boot")
    app._setting(SET_SESSION, 25)
    eq((app.settings.session_min, app.ctl.session_cap_s), (25, 1500), "25 min fits")
    refusal = "session length 1800 s outside limit 1500 s"
    app._setting(SET_SESSION, 30)
    eq((app.settings.session_min, app.ctl.session_cap_s), (25, 1500), "30 min: nothing changed")
    eq(app.notices[-1], refusal, "and said why")
    eq(S.load(store)[0].session_min, 25, "the saved value is the one in force")


def check_the_console_lease_setting_is_applied_and_saved():
    store = MemStorage()
    app, hw, clock = _console_app(store)
    eq(app.console.lease_ms, 60000, "from settings.json at boot")
    app._setting(SET_LEASE, 2)
    eq((app.console.lease_ms, S.load(store)[0].lease_s), (2000, 2), "set in the menu, saved")
    eq(app.view.settings[SET_LEASE], 2, "shown at once")
    out = []
    app.console.write = out.append
    hw.console.inbox.append(b"select 1 tens\namp 1 5\nstart 1\nstatus\n")
    now = _run(app, hw, clock, 0, 100)
    eq(json.loads(out[-1])["lease_s"], 2, "status says it")
    eq(app.ctl.chans[0].ch.state_name(), "RAMPING", "started")
    now = _run(app, hw, clock, now, 200)
    true(app.ctl.chans[0].ch.state_name() in ("STOPPING", "OFF"), "2 s silent: stopped")
    true("Console silent: ch1 stopped" in app.notices, "and said so")


def check_the_ticks_state_literals_are_the_channels():
    # App's per-tick tests compare states with literals (a module attribute
    # lookup per comparison costs on a board): they must be channel's numbers.
    # MicroPython folds underscore constants away: the source is checked here.
    if ON_MICROPYTHON:
        return
    from ustim import app as A
    from ustim.core import channel as C
    eq((A._ARMED, A._RUNNING, A._STOPPING), (C.ARMED, C.RUNNING, C.STOPPING), "literals")
    eq([s for s in range(C.N_STATES) if A._ARMED <= s <= A._RUNNING or s == A._STOPPING],
       sorted(A._ACTIVE), "the watched states are the active ones")
