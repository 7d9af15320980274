"""Run the firmware's App on the simulated board for a scenario.

    sim = Simulation(scenario, runtime="cpython", console_control=True)
    rec = sim.run()          # a tools.sim.out.Recording; write_all(rec, outdir)

Time advances in 10 ms control ticks. Before each tick the scenario's events
that are due are applied (buttons, console lines, electrode changes, battery,
fault injection, resets), the models are advanced, then App.step(now) runs the
firmware exactly as the device's main loop does.
"""

import importlib
import time
from pathlib import Path

import machine

from tools.sim import firmware_state
from tools.sim.board import SimHw, electrodes_for
from tools.sim.out.recording import Recording
from tools.sim.models.flash import MemStorage
from ustim import app as app_mod
from ustim.core import settings as S
from ustim.core.ui.menu import SCREEN_NAMES
from ustim.hal.device import PowerWait

BUTTON_INDEX = {"power": 0, "mode": 1, "up": 2, "down": 3}
PRESS_MS = 150            # a short press as a finger makes it
RESET_GAP_MS = {"brownout": 300, "power": 1000}
WDT_TIMEOUT_MS = 4000     # as main.py starts it (docs/device-app.md)


class Simulation:
    def __init__(self, scenario, runtime="cpython", console_control=None, seed=1):
        self.sc = scenario
        self.board = importlib.import_module("boards." + scenario.get("board", "pico"))
        self.tick_ms = app_mod.TICK_MS
        self.duration_ms = int(scenario["duration_s"] * 1000)
        self.rec = Recording(self.board.NAME, self.tick_ms, self.duration_ms, runtime)
        self.storage = MemStorage()
        cc = scenario.get("console_control", True) if console_control is None else console_control
        st = S.Settings()
        st.set("console", bool(cc))
        st.set("bench", bool(scenario.get("bench_mode", True)))
        st.set("max_ma", scenario.get("max_ma", st.max_ma))
        S.save(self.storage, st)
        if scenario.get("programs"):
            # On the flash before the first boot, as a user copies it there.
            self.storage.write_atomic(app_mod.PROGRAMS_FILE,
                                      Path(scenario["programs"]).read_bytes())
        self.electrodes = electrodes_for(scenario, self.board, seed)
        self.battery_mv = scenario.get("battery_mv", 4000)
        self.releases = []        # (t_ms, button index) pending releases
        self.boots = 0
        self.down_until = -1      # no power / hung until this time (ms)
        self.asleep = False       # powered down by the firmware: POWER wakes it
        self.power_wait = None    # the device's look at POWER while powered down
        self.power_look_ms = 0    # when it looks next
        self.reset_cause = machine.PWRON_RESET
        self.hw = None
        self.app = None
        self.events = sorted(scenario.get("events", []), key=lambda e: e["t"])
        self.next_event = 0
        self.wall_s = 0.0

    # -- boot and reset ---------------------------------------------------------

    def _boot(self, now_ms):
        if self.hw is not None:
            self._collect_pulses()
        self.boots += 1
        self.hw = SimHw(self.board, self.rec, self.electrodes, self.tick_ms,
                        self.battery_mv, self.reset_cause)
        self.hw.now_us = now_ms * 1000
        self._start_firmware(now_ms)
        self._event("boot %d (reset cause %d)" % (self.boots, self.reset_cause))

    def _start_firmware(self, now_ms):
        self.app = app_mod.App(self.board, self.hw, self.storage, self.reset_cause, now_ms)
        self.fault_watch = firmware_state.FaultWatch(self.app)
        self.app.ctl.on_event = self._firmware_event

    def _firmware_event(self, text):
        self._event(text)
        self._faults_raised()

    def _faults_raised(self):
        found = []
        self.fault_watch.into(found)
        for ch, kind in found:
            self._fault(ch, kind)

    def _fault(self, ch, kind):
        self.rec.faults.append((self.hw.now_us // 1000, ch, kind))

    def _collect_pulses(self):
        eng = self.hw.pulses
        eng.flush()
        self.rec.pulses.extend(eng.record)
        eng.record = []

    def _event(self, text):
        self.rec.events.append((self.hw.now_us // 1000 if self.hw else 0, text))

    def _reset(self, now_ms, kind):
        # Power gone (brownout, power cycle) or the firmware hung (watchdog):
        # the old board's output stops with its supply or after its fed pulses.
        self._event("reset: %s" % kind)
        if kind == "watchdog":
            self.reset_cause = machine.WDT_RESET
            self.down_until = now_ms + WDT_TIMEOUT_MS
        else:
            self.hw.outputs_off()
            self.reset_cause = machine.PWRON_RESET
            self.down_until = now_ms + RESET_GAP_MS[kind]

    # -- scenario events ------------------------------------------------------------

    def _apply(self, ev, now_ms):
        hw = self.hw
        if "console" in ev:
            hw.console.send(ev["console"])
        elif "press" in ev or "hold" in ev:
            name = ev.get("press") or ev.get("hold")
            ms = PRESS_MS if "press" in ev else int(ev.get("s", 2.0) * 1000)
            idx = BUTTON_INDEX[name]
            hw.press(idx, True)
            self.releases.append((now_ms + ms, idx))
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
            hw.battery_mv = ev["battery_mv"]
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
        elif "reset" in ev:
            self._reset(now_ms, ev["reset"])

    # -- the run -----------------------------------------------------------------------

    def advance(self, now_ms):
        """Bring the board to now_ms: due scenario events, button releases,
        power and resets. True when the firmware runs this tick."""
        self.hw.now_us = now_ms * 1000
        events = self.events
        while self.next_event < len(events) and events[self.next_event]["t"] * 1000 <= now_ms:
            ev = events[self.next_event]
            self.next_event += 1
            if self.down_until < 0:
                self._apply(ev, now_ms)
        for rel in [r for r in self.releases if r[0] <= now_ms]:
            self.releases.remove(rel)
            if self.down_until < 0:
                self.hw.press(rel[1], False)
        if self.down_until >= 0:
            self.hw.pulses._retire_all(self.hw.now_us)
            if now_ms < self.down_until:
                return False
            self.down_until = -1
            self._boot(now_ms)
        if self.asleep:
            # Powered down: a press of POWER after its release wakes the
            # board, as a fresh boot, seen when the device looks (DeviceHw.power_down).
            if now_ms < self.power_look_ms:
                return False
            ms = self.power_wait.look(self.hw.buttons_down[BUTTON_INDEX["power"]])
            if ms:
                self.power_look_ms = now_ms + ms
                return False
            self.asleep = False
            self.reset_cause = machine.DEEPSLEEP_RESET
            self._boot(now_ms)
        return True

    def step(self, now_ms):
        """One control tick of simulated time."""
        if not self.advance(now_ms):
            return
        hw = self.hw
        hw.before_tick(now_ms)
        self.app.step(now_ms)
        self._faults_raised()
        if self.app.failed:
            self._failed(now_ms, self.app.failed)
        elif hw.powered_down:
            hw.outputs_off()
            self.asleep = True
            self.power_wait = PowerWait()
            self.power_look_ms = now_ms
            self._event("powered down: outputs off until POWER is pressed")
        hw.after_tick(now_ms, SCREEN_NAMES[self.app.menu.screen])

    def _failed(self, now_ms, text):
        self._event("firmware error: %s" % text)
        self.reset_cause = machine.HARD_RESET
        self.down_until = now_ms + 100

    def run(self, progress=None):
        t0 = time.perf_counter()
        self._boot(0)
        ticks = self.duration_ms // self.tick_ms
        for k in range(ticks + 1):
            self.step(k * self.tick_ms)
            if progress is not None and k % 1000 == 0:
                progress(k * self.tick_ms)
        self._collect_pulses()
        self.rec.pulses.sort(key=lambda p: (p[1], p[0]))
        self.wall_s = time.perf_counter() - t0
        self.rec.summary = self.summary()
        return self.rec

    def summary(self):
        return self.summary_from(*firmware_state.firmware(self.app))

    def summary_from(self, chans, log, notices, overruns):
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
            "wall_s": round(self.wall_s, 3),
            "speed_x": round(sim_s / self.wall_s, 1) if self.wall_s else None,
        }
