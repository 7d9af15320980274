"""The bench tool's link to a simulated board in this process: the same
request(line) -> reply as tools/bench/link.py over a serial port, and a sleep
that advances simulated time, so a procedure such as `characterise` runs
against the firmware on a simulated board as fast as it simulates.

Each request sends one console line and runs control ticks until the reply
is out; sleep(s) runs s seconds of ticks; close() stops the board."""

import json

from tools.bench.link import LinkError

MAX_S = 8 * 3600      # the longest run a scenario may ask for (tools/sim/scenario.py)


class SimLink:
    def __init__(self, scenario, timeout_s=2.0):
        from tools.sim.run import Simulation
        sc = dict(scenario)
        # The procedure decides when it is done: the board runs until closed.
        sc["duration_s"] = max(sc.get("duration_s", 0), MAX_S)
        self.sim = Simulation(sc)
        self.timeout_ms = int(timeout_s * 1000)
        self.sim.start()

    @property
    def now_ms(self):
        return self.sim.now_ms

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sim.finish()

    def sleep(self, seconds):
        end = self.now_ms + int(seconds * 1000)
        while self.now_ms < end:
            self.sim.step()

    def request(self, line):
        rec = self.sim.rec
        seen = len(rec.console)
        self.sim.send(line)
        end = self.now_ms + self.timeout_ms
        while self.now_ms < end:
            self.sim.step()
            for _, way, text in rec.console[seen:]:
                if way == "out" and text.startswith("{"):
                    reply = json.loads(text)
                    if "ok" in reply:
                        return reply
            seen = len(rec.console)
        raise LinkError("no reply to %r within %.1f s of simulated time" % (
            line, self.timeout_ms / 1000))
