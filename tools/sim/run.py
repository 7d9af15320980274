"""Run the firmware on the simulated board for a scenario: the host's half.

    sim = Simulation(scenario, runtime="cpython", console_control=True)
    rec = sim.run()          # a tools.sim.out.Recording; write_all(rec, outdir)

The board (tools/sim/board.py) boots firmware/main.py over the shims and, at
the end of every slice of board time (once per control tick), hands this side
what its outputs did and takes its inputs back (exchange). Here stand the
models a bench would have around the board: the electrodes, the battery, the
buttons a finger presses, the serial line, and the probe recording pulses,
currents and the HV enable (tools/sim/probe.py); the scenario's events are
applied as they come due. The run ends at the scenario's duration.

run() drives the board in this thread. start() and step() (for the safety
campaign, which looks at the firmware between ticks) run it in a thread of
its own, one exchange per step().
"""

import importlib
import threading
import time
from pathlib import Path

from tools.sim.board import Board
from tools.sim.models.electrode import from_scenario, healthy
from tools.sim.models.flash import FlashFs, MemStorage
from tools.sim.out.recording import Recording
from tools.sim.probe import Probe
from ustim import app as app_mod
from ustim.core import settings as S
from ustim.core.ui.menu import SCREEN_NAMES

ROOT = Path(__file__).resolve().parents[2]
BUTTON_INDEX = {"power": 0, "mode": 1, "up": 2, "down": 3}
PRESS_MS = 150            # a short press as a finger makes it
RESET_GAP_MS = {"brownout": 300, "power": 1000}
BATTERY_EMPTY_MV = 3300   # project choice for a 1-cell Li-ion pack
BATTERY_FULL_MV = 4150


def electrodes_for(scenario, board, seed=1):
    """One electrode model per channel: scenario values or healthy gel pads."""
    out = []
    for ch in range(board.CHANNELS):
        spec = scenario.get("electrodes", {}).get(str(ch + 1))
        if spec:
            out.append(from_scenario(spec, board.COMPLIANCE_MV, seed + ch))
        else:
            out.append(healthy(seed + ch, board.COMPLIANCE_MV))
    return out


RUNNING = []              # stepped runs whose board thread is alive (start() to finish())


class Simulation:
    def __init__(self, scenario, runtime="cpython", console_control=None, seed=1):
        self.sc = scenario
        self.board = importlib.import_module("boards." + scenario.get("board", "pico"))
        self.tick_ms = app_mod.TICK_MS
        self.duration_ms = int(scenario["duration_s"] * 1000)
        self.rec = Recording(self.board.NAME, self.tick_ms, self.duration_ms, runtime)
        self.fs = FlashFs()
        cc = scenario.get("console_control", True) if console_control is None else console_control
        st = S.Settings()
        st.set("console", bool(cc))
        st.set("bench", bool(scenario.get("bench_mode", True)))
        st.set("max_ma", scenario.get("max_ma", st.max_ma))
        self.fs.files[S.FILE_NAME] = bytearray(S.encode(st))
        if scenario.get("programs"):
            # On the flash before the first boot, as a user copies it there.
            self.fs.files[app_mod.PROGRAMS_FILE] = bytearray(
                Path(scenario["programs"]).read_bytes())
        self.electrodes = electrodes_for(scenario, self.board, seed)
        self.battery_mv = scenario.get("battery_mv", 4000)
        self.probe = Probe(self.board, self.rec)
        self.buttons = [False] * len(self.board.PIN_BUTTONS)
        self.releases = []        # (t_ms, button index) pending releases
        self.console_in = ""
        self.console_tap = None   # a pty server may take the console's output
        self._partial = ""        # console output after its last line end
        self.commands = []
        self.flash_cut = -1
        self.events = sorted(scenario.get("events", []), key=lambda e: e["t"])
        self.next_event = 0
        self.now_us = 0
        self.up = False
        self.boots = 0
        self.screen = 0
        self.failed = ""
        self.overruns = 0
        self.last_frame = None
        self.wall_s = 0.0
        self.on_exchange = None   # called after each exchange (live modes)
        self.side = None          # the board, when it runs in this process
        self._thread = None

    @property
    def now_ms(self):
        return self.now_us // 1000

    @property
    def app(self):
        """The firmware's App (CPython runtime only), None while down."""
        return self.side.app if self.side is not None else None

    # -- the board ----------------------------------------------------------------

    def _board(self, exchange):
        self.side = Board(self.board.NAME, exchange, self.fs, str(ROOT) + "/")
        # The battery is there before the first exchange: the boot reads it.
        self.side.battery_raw = self._battery_raw()
        return self.side

    def run(self, progress=None):
        t0 = time.perf_counter()
        self._progress = progress
        summary = self._board(self.exchange).run()
        self.finish_recording(summary, time.perf_counter() - t0)
        return self.rec

    def finish_recording(self, summary, wall_s):
        self.probe.finish()
        self.rec.pulses.sort(key=lambda p: (p[1], p[0]))
        self.wall_s = wall_s
        self.rec.summary = self.summary_from(summary)

    # Stepping from outside (the safety campaign): the board in a thread,
    # paused at each exchange until the next step().

    def start(self):
        self._to_host = threading.Lock()
        self._to_board = threading.Lock()
        self._to_host.acquire()
        self._to_board.acquire()
        self._out = None
        self._in = None
        self._result = None
        self._error = None
        self._t0 = time.perf_counter()
        side = self._board(self._handoff)

        def body():
            try:
                self._result = side.run()
            except BaseException as e:   # noqa: BLE001 - re-raised in step()
                self._error = e
            self._out = None
            self._to_host.release()

        self._thread = threading.Thread(target=body, name="simulated board", daemon=True)
        RUNNING.append(self)
        self._thread.start()
        self._wait()

    def _handoff(self, out):
        self._out = out
        self._to_host.release()
        self._to_board.acquire()
        return self._in

    def _wait(self):
        self._to_host.acquire()
        if self._error is not None:
            raise self._error
        if self._out is not None:
            self._in = self.exchange(self._out)

    def step(self):
        """Let the board run to its next exchange (one control tick)."""
        if self._thread is None:
            self.start()
            return
        if not self._thread.is_alive():
            return
        self._to_board.release()
        self._wait()

    def finish(self):
        """End a stepped run: the board stops at its next exchange."""
        if self in RUNNING:
            RUNNING.remove(self)
        if self._thread is not None and self._thread.is_alive():
            self.commands.append("stop")
            while self._thread.is_alive():
                self.step()
                if self._out is None:
                    break
            self._thread.join()
        self.finish_recording(self._result, time.perf_counter() - self._t0)
        return self.rec

    # -- one exchange: the board's outputs in, its inputs out ----------------------

    def exchange(self, out):
        t = out["t"]
        self.now_us = t
        self.up = out["up"]
        self.probe.feed(out["edges"], out["outputs"], t)
        rec = self.rec
        text = out["console"]
        if text:
            if self.console_tap is not None:
                self.console_tap(text)
            # Lines as the host reads them (the USB port pads its last block
            # with spaces before the line end).
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
            for line in lines:
                line = line.rstrip()
                if line:
                    rec.console.append((t // 1000, "out", line))
        for t_ms, text in out["notes"]:
            if text.startswith("boot "):
                self.boots += 1
                self._forget_sense()
            rec.events.append((t_ms, text))
        for t_ms, text in out["events"]:
            rec.events.append((t_ms, text))
        for t_ms, ch, kind in out["faults"]:
            rec.faults.append((t_ms, ch, kind))
        self.screen = out["screen"]
        if out["frame"]:
            self.last_frame = bytes.fromhex(out["frame"])
            rec.frames.append((t // 1000, SCREEN_NAMES[self.screen], self.last_frame))
        if out["failed"] and out["failed"] != self.failed:
            self.failed = out["failed"]
            rec.events.append((t // 1000, "firmware error: %s" % self.failed))
        self._scenario(t // 1000)
        if self.on_exchange is not None:
            self.on_exchange(self)
        inbox = self._inbox(t)
        progress = getattr(self, "_progress", None)
        if progress is not None and t // 10000000 != (t - 10000) // 10000000:
            progress(t // 1000)
        return inbox

    def _inbox(self, t):
        raw_i, raw_v = self._sense(t)
        cmd = ""
        if t >= self.duration_ms * 1000:
            cmd = "stop"
        elif self.commands:
            cmd = self.commands.pop(0)
        cut, self.flash_cut = self.flash_cut, -1
        data, self.console_in = self.console_in, ""
        return {"raw_i": raw_i, "raw_v": raw_v, "battery": self._battery_raw(),
                "buttons": list(self.buttons), "console": data, "cmd": cmd,
                "flash_cut": cut}

    def _sense(self, t):
        """ADC readings of the latest pulse of each channel: the current the
        stage sank in its A phase into the electrode model."""
        b = self.board
        raw_i = []
        raw_v = []
        for ch in range(b.CHANNELS):
            p = self.probe.last[ch]
            held = self._held(ch)
            if p is None or p[5] <= 0 or p[2] <= 0:
                raw_i.append(held[0])
                raw_v.append(held[1])
                continue
            ua = p[6] / p[2]
            ri, rv = self.electrodes[ch].raw(p[1] // 1000, ua, p[2], b.SENSE_I_UA_FULL_SCALE,
                                             b.SENSE_V_MV_FULL_SCALE, held)
            raw_i.append(ri)
            raw_v.append(rv)
        self._raw = (raw_i, raw_v)
        return raw_i, raw_v

    def _forget_sense(self):
        # A board out of reset: its peak detectors hold no pulse yet.
        self._raw = None
        self.probe.last = [None] * self.board.CHANNELS

    def _held(self, ch):
        raw = getattr(self, "_raw", None)
        if raw is None:
            return (0, 0)
        return (raw[0][ch], raw[1][ch])

    def _battery_raw(self):
        raw = self.battery_mv * 65535 // self.board.BATTERY_MV_FULL_SCALE
        return 0 if raw < 0 else (65535 if raw > 65535 else raw)

    def battery_pct(self):
        span = BATTERY_FULL_MV - BATTERY_EMPTY_MV
        pct = (self.battery_mv - BATTERY_EMPTY_MV) * 100 // span
        return 0 if pct < 0 else (100 if pct > 100 else pct)

    # -- scenario events -------------------------------------------------------------

    def _scenario(self, now_ms):
        events = self.events
        while self.next_event < len(events) and events[self.next_event]["t"] * 1000 <= now_ms:
            ev = events[self.next_event]
            self.next_event += 1
            self._apply(ev, now_ms)
        for rel in [r for r in self.releases if r[0] <= now_ms]:
            self.releases.remove(rel)
            self.buttons[rel[1]] = False

    def _event(self, text):
        self.rec.events.append((self.now_ms, text))

    def send(self, line):
        """A line typed on the console."""
        self.rec.console.append((self.now_ms, "in", line))
        self.console_in += line + "\n"

    def press(self, index, ms):
        self.buttons[index] = True
        self.releases.append((self.now_ms + ms, index))

    def hold(self, index, down):
        """A finger on the button (True) or off it, until told otherwise."""
        self.buttons[index] = bool(down)

    def amp_ua(self, ch):
        """The setpoint the channel's reference code stands for now."""
        return self.probe.ch[ch].rc.setpoint_ua()

    @property
    def storage(self):
        """The flash as the storage interface (tools/sim/models/flash.MemStorage)."""
        return MemStorage(fs=self.fs)

    @storage.setter
    def storage(self, store):
        self.fs = store.fs

    def _apply(self, ev, now_ms):
        if "console" in ev:
            if self.up:
                self.send(ev["console"])
        elif "press" in ev or "hold" in ev:
            name = ev.get("press") or ev.get("hold")
            ms = PRESS_MS if "press" in ev else int(ev.get("s", 2.0) * 1000)
            self.press(BUTTON_INDEX[name], ms)
            self._event("button %s %s" % (name, "press" if "press" in ev else "hold %d ms" % ms))
        elif "electrode" in ev:
            el = self.electrodes[ev["electrode"] - 1]
            over = int(ev.get("over_s", 0) * 1000)
            change = ev["change"]
            if change == "liftoff":
                el.lift_off(now_ms)
            elif change == "peel":
                el.peel(now_ms, max(over, 1))
            elif change == "dry":
                el.dry(now_ms, max(over, 1), 4.0)
            elif change == "short":
                el.short(now_ms)
            else:
                el.reattach(now_ms)
            self._event("electrode %d %s" % (ev["electrode"], change))
        elif "battery_mv" in ev:
            self.battery_mv = ev["battery_mv"]
            self._event("battery %d mV" % ev["battery_mv"])
        elif "inject" in ev:
            el = self.electrodes[ev["inject"] - 1]
            fault = ev["fault"]
            if fault == "open":
                el.lift_off(now_ms)
            elif fault == "short":
                el.short(now_ms)
            elif fault == "overcurrent":
                el.stage_fault(now_ms)
            else:
                el.sense_fault(now_ms, "peg_v")
            self._event("inject ch%d %s" % (ev["inject"], fault))
        elif "flash_cut" in ev:
            self.flash_cut = ev["flash_cut"]
            self._event("supply fails after %d more bytes written to the flash" % ev["flash_cut"])
        elif "reset" in ev:
            self.reset(ev["reset"])

    def reset(self, kind):
        """Power gone (brownout, power cycle) or the firmware hung (watchdog)."""
        self._event("reset: %s" % kind)
        if kind == "watchdog":
            self.commands.append("hang")
        else:
            self.commands.append("power_off:%d" % (RESET_GAP_MS[kind] * 1000))

    # -- the summary ------------------------------------------------------------------

    def summary_from(self, fw):
        if fw is None:
            chans, log, notices, overruns, worst = [], [], [], 0, 0
        else:
            chans, log, notices, overruns, worst = fw
        sim_s = self.duration_ms / 1000
        return {
            "scenario": self.sc.get("name", ""),
            "board": self.board.NAME,
            "runtime": self.rec.runtime,
            "duration_s": sim_s,
            "boots": self.boots,
            "channels": chans,
            "usage_log": log,
            "notices": notices,
            "overruns": overruns,
            "worst_tick_us": worst,
            "wall_s": round(self.wall_s, 3),
            "speed_x": round(sim_s / self.wall_s, 1) if self.wall_s else None,
        }

