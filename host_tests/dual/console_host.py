# A console host for tests (both runtimes): settable flags, a fixed impedance
# per channel, a usage log of Records and a scripted self-test; plus a
# snapshot of everything a command could change, to prove a refusal changed
# nothing.
from ustim.core.console import Console, Host
from ustim.core.usage_log import Record


class FakeHost(Host):
    def __init__(self, console=True, bench=False):
        self.console = console
        self.bench = bench
        self.ohm = [2200, None]
        self.records = []
        self.tests = [("flash", True, "ok"), ("sense", True, "ok")]
        self.notices = []
        self.lock = False
        self.wall = None
        # (set uA, delivered uA, peak mV, compliance mV) per channel: 12.5 mA into 2.2 kohm
        self.readings = [(12500, 12480, 27460, 80000), (0, 0, 0, 80000)]

    def set_lock(self, on):
        self.lock = on
        return None

    def clock(self):
        return self.wall

    def set_clock(self, wall_s):
        self.wall = wall_s

    def console_enabled(self):
        return self.console

    def bench_enabled(self):
        return self.bench

    def version(self):
        return "0.1.0-test"

    def impedance(self, ch):
        return self.ohm[ch]

    def log_records(self, n, before=-1):
        recs = [r for r in self.records if before < 0 or r.seq < before]
        return recs[-n:]

    def selftest(self):
        return self.tests

    def notice(self, text):
        self.notices.append(text)

    def sense(self, ch):
        return self.readings[ch]


def add_records(host, count):
    for i in range(count):
        host.records.append(Record(i, 1000 + 600 * i, 1 + i % 8, i % 2, 1800, 20000 + i,
                                   19000, 3000000000 + i, i % 3))


class Bench:
    """A Console over a Controller, collecting its replies."""

    def __init__(self, ctl, host):
        self.ctl = ctl
        self.host = host
        self.out = []
        self.con = Console(ctl, host, self.out.append)

    def send(self, data):
        """Feed data (all of it, polling as the queue fills); the new replies."""
        start = len(self.out)
        if isinstance(data, str):
            data = data.encode()
        i = 0
        while i < len(data):
            i += self.con.feed(data[i:i + 64])
            while self.con.poll():
                pass
        while self.con.poll():
            pass
        return self.out[start:]


def snapshot(ctl):
    """Everything a console command can change, as comparable tuples."""
    chans = []
    for c in ctl.chans:
        ch = c.ch
        s = c.out.spec
        chans.append((ch.state, ch.target_ua, ch.level_ua, ch.max_ua, ch.fault_kind,
                      ch.check_reason, c.program, c.max_ua, c.session.length_s,
                      c.session.elapsed_ms, c.session.running, c.session.expired, c.out.ua,
                      s.pos_us, s.neg_us, s.gap_us, s.period_us, s.burst_n, s.burst_period_us,
                      c.faults, c.in_session))
    return (ctl.session_s, ctl.programs, ctl.cap_ua, ctl.area_mm2, len(ctl.finished),
            tuple(chans))
