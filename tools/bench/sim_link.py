"""The bench tool's link to a simulated board in this process: the same
request(line) -> reply as tools/bench/link.py over a serial port, and a sleep
that advances simulated time, so a procedure such as `characterise` runs
against the firmware on a simulated board as fast as it simulates.

Each request sends one console line and runs control ticks until the reply
is out; sleep(s) runs s seconds of ticks."""

import json

from tools.bench.link import LinkError


class SimLink:
    def __init__(self, scenario, timeout_s=2.0):
        from tools.sim.run import Simulation
        self.sim = Simulation(scenario)
        self.timeout_ms = int(timeout_s * 1000)
        self.now_ms = 0
        self.sim._boot(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def close(self):
        pass

    def _tick(self):
        self.sim.step(self.now_ms)
        self.now_ms += self.sim.tick_ms

    def sleep(self, seconds):
        end = self.now_ms + int(seconds * 1000)
        while self.now_ms < end:
            self._tick()

    def request(self, line):
        rec = self.sim.rec
        seen = len(rec.console)
        self.sim.hw.console.send(line)
        end = self.now_ms + self.timeout_ms
        while self.now_ms < end:
            self._tick()
            for _, way, text in rec.console[seen:]:
                if way == "out" and text.startswith("{"):
                    reply = json.loads(text)
                    if "ok" in reply:
                        return reply
            seen = len(rec.console)
        raise LinkError("no reply to %r within %.1f s of simulated time" % (
            line, self.timeout_ms / 1000))
