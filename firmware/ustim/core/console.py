# Bench console: one command per line in, exactly one JSON object per line out
# (protocol: docs/protocol.md).
#
# The app polls it from the control tick and never blocks on it:
#   n = con.feed(data)   take bytes that have arrived (bytes or str): all of
#                        them (returns len(data)); they are cut into lines by
#                        ustim.core.lines, which refuses a line whole rather
#                        than join it to another
#   con.poll()           answer at most one line; True if it did. With nothing
#                        waiting it allocates nothing and calls nothing.
#   con.check_lease()    only the lease's end (see below): the App calls it in
#                        place of poll() in a tick that answers no line
# Replies go to con.write(text), one call per reply, text ending in "\n"
# (or, for `status`, to the port given: Console.__init__).
#
# Every command goes through the Controller, so console values meet the same
# envelope as the buttons. A refused command changes nothing. Without console
# control the console is read-only: nothing it can do starts, raises, lengthens
# or clears anything (`timer` may only shorten, `stop`, `pause`, `down` lower).
#
# Lease: a channel whose output the console started or raised is stopped (its
# ramp down) when no line at all has arrived for lease_ms, so a host that went
# away cannot leave it running; sessions started from the buttons are not
# leased (the app calls release(ch) when the buttons start a channel).
#
# What the console needs beyond the Controller comes from a host object; the
# app implements it (Host below is the safe default: console control off):
#   console_enabled() -> bool  output-changing commands allowed; set only from
#                              the device's own settings menu (physical presence)
#   bench_enabled() -> bool    bench mode: `inject` allowed
#   version() -> str           firmware version
#   impedance(ch) -> int/None  last electrode impedance of channel ch (0-based), ohm
#   log_records(n, before) -> list  the newest n usage_log.Record with seq <
#                              before (-1: the newest), oldest first
#   clock() -> int/None        wall clock, Unix seconds (None: not set)
#   set_clock(s)               set it (usage-log start times follow it)
#   selftest() -> list         (name, ok, detail) for each self-test item
#   replies_lost() -> int      replies the port dropped because the host did not read
#   notice(text)               a line for the device's screen
#   set_lock(on) -> None/(code, msg)  the channel lock setting (saved)
#   sense(ch) -> tuple/None    (set uA, delivered uA, peak mV, compliance mV) of
#                              the latest pulse of channel ch, for `sense`
import json

from micropython import const

from ustim.core import channel as C
from ustim.core import lines as L
from ustim.core.jsonout import Line
from ustim.core.lines import IN_MAX, LINE_MAX  # noqa: F401 (the console's limits)
from ustim.core.sequencer import STAGE_NAMES
from ustim.core.ticks import ticks_add, ticks_diff
from ustim.core.usage_log import END_LEASE, END_NAMES, NO_PAIN

LEASE_MS = const(5000)     # default lease (settings.lease_s sets the app's)
LOG_MAX = const(64)        # records per `log` reply (older ones: `log n before_seq`)
PROTOCOL = const(1)
CUSTOM_NUM = const(240)    # usage-log program number of `set` programs: 240 + channel
# 2020-01-01 and 2100-01-01 (Unix seconds): a `clock` outside is a mistake.
# Above the small-int range of MicroPython: plain ints, not const().
CLOCK_MIN_S = 1577836800
CLOCK_MAX_S = 4102444800

E_UNKNOWN = "unknown_command"
E_ARG = "bad_argument"
E_RANGE = "out_of_range"
E_NOT_ALLOWED = "not_allowed"
E_FAULT = "fault_active"
E_BUSY = "busy"
OFF_MSG = "console control is off: enable it in the device settings menu"
BENCH_OFF_MSG = "bench mode is off: enable it in the device settings menu"
# Channel states the lease stops (STOPPING is on its way already).
_LEASE_STOPS = (C.ARMED, C.RAMPING, C.RUNNING, C.PAUSED)


class Host:
    """Safe defaults for every host method: console control and bench mode off."""

    def console_enabled(self):
        return False

    def bench_enabled(self):
        return False

    def version(self):
        return "unknown"

    def impedance(self, ch):
        return None

    def log_records(self, n, before=-1):
        return []

    def clock(self):
        return None

    def set_clock(self, wall_s):
        pass

    def selftest(self):
        return []

    def replies_lost(self):
        return 0

    def notice(self, text):
        pass

    def set_lock(self, on):
        return (E_NOT_ALLOWED, "no channel lock on this host")

    def sense(self, ch):
        return None


# -- small parsers: no float, no int() surprises ("1_0", " 7", "+3") --------

def _all_digits(tok):
    if not tok:
        return False
    for c in tok:
        if c < "0" or c > "9":
            return False
    return True


def _digits(tok):
    # Nine digits at most: the value stays a small int on MicroPython.
    return len(tok) <= 9 and _all_digits(tok)


def _uint(tok):
    return int(tok) if _digits(tok) else None


def milliamps(tok):
    """Decimal mA text to uA: "12.5" -> 12500, "-1" -> -1000. None if malformed
    (at most 3 decimals, i.e. 1 uA). More than 999999 mA reads as 999999 mA:
    far above any limit, so the envelope refuses it as out of range."""
    neg = tok.startswith("-")
    if neg:
        tok = tok[1:]
    dot = tok.find(".")
    whole, frac = (tok, "") if dot < 0 else (tok[:dot], tok[dot + 1:])
    if dot >= 0 and not frac:
        return None
    if len(frac) > 3 or not _all_digits(whole) or (frac and not _all_digits(frac)):
        return None
    i = 0
    while i < len(whole) - 1 and whole[i] == "0":
        i += 1
    whole = whole[i:]
    if len(whole) > 6:
        whole = "999999"
    ua = int(whole) * 1000 + int((frac + "00")[:3])
    return -ua if neg else ua


# -- JSON with a fixed key order on both runtimes ----------------------------
# A tuple of (key, value) pairs is an object, a list is an array; anything else
# goes through json.dumps.

def _enc(v, out):
    if isinstance(v, tuple):
        out.append("{")
        first = True
        for k, x in v:
            if not first:
                out.append(", ")
            first = False
            out.append(json.dumps(k))
            out.append(": ")
            _enc(x, out)
        out.append("}")
    elif isinstance(v, list):
        out.append("[")
        for i in range(len(v)):
            if i:
                out.append(", ")
            _enc(v[i], out)
        out.append("]")
    else:
        out.append(json.dumps(v))


def encode(pairs):
    out = []
    _enc(tuple(pairs), out)
    return "".join(out)


# -- programs as programs.json fields (docs/programs.md) ---------------------

def program_fields(prog):
    """(key, value) pairs describing prog with programs.json field names."""
    f = [("freq_hz", prog.hz), ("phase_us", prog.phase_us), ("gap_us", prog.gap_us)]
    if prog.burst_n > 1:
        f.append(("burst_pulses", prog.burst_n))
        f.append(("burst_hz", prog.burst_hz))
    if prog.alt_hz or prog.alt_ms:
        f.append(("alt_hz", prog.alt_hz))
        f.append(("alt_s", prog.alt_ms // 1000))
    if prog.sweep_hz or prog.sweep_ms:
        f.append(("sweep_hz", prog.sweep_hz))
        f.append(("sweep_s", prog.sweep_ms // 1000))
    if prog.on_ms or prog.off_ms:
        f.append(("on_s", prog.on_ms // 1000))
        f.append(("off_s", prog.off_ms // 1000))
        f.append(("ramp_up_s", prog.ramp_up_ms // 1000))
        f.append(("ramp_down_s", prog.ramp_down_ms // 1000))
    f.append(("minutes", prog.session_s // 60))
    return f


# Keys `set` accepts (kind besides the programs.json numbers).
SET_KEYS = ("freq_hz", "phase_us", "gap_us", "burst_pulses", "burst_hz", "on_s", "off_s",
            "ramp_s", "kind")


# -- the console ----------------------------------------------------------------

class Console:
    def __init__(self, ctl, host, write, port=None):
        self.ctl = ctl
        self.host = host
        self.write = write
        # A port that takes a reply's buffer as it is (hal.stdio_console):
        # port.lend(buf, n) queues buf[:n], buf the port's until sent, which
        # port.holds(buf) tells. Without one, replies go to write() as text.
        self.port = port
        self.status = status_line(len(ctl.chans))
        self.status.keep([p.pid for p in ctl.programs])
        if port is not None and hasattr(port, "prepare"):
            port.prepare(self.status.buf)
        self.input = L.LineQueue()
        self.replies = 0
        self.lease_ms = LEASE_MS
        self.leased = 0          # bit per channel: output the console started or raised
        self._due = 0            # ticks_ms when the lease runs out (last line + lease_ms)

    def room(self):
        return self.input.room()

    def feed(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.input.feed(data):
            # Any line, whatever it says, shows the host is there.
            self._due = ticks_add(self.ctl.now_ms, self.lease_ms)
        return len(data)

    def check_lease(self):
        """The lease's end, alone: for a tick that answers no line (poll() checks it too)."""
        if self.leased and ticks_diff(self.ctl.now_ms, self._due) >= 0:
            self._lease_over()

    def poll(self):
        if self.leased:
            # A call only while the console holds a channel: poll() runs every tick.
            self.check_lease()
        q = self.input
        if not (q.count or q.owed):
            return False
        if q.head_is(b"status"):
            # What a bench host polls, answered without a str of the line.
            q.drop()
            item = _STATUS_LINE
        else:
            item = q.pop()
        if item == L.LONG:
            r = (E_ARG, "line over %d bytes" % LINE_MAX)
        elif item == L.ASCII:
            r = (E_ARG, "line is not printable ASCII")
        elif item == L.FULL:
            # Short: on a UART these refusals compete with the replies for the wire.
            r = (E_BUSY, "lines came faster than replies")
        else:
            try:
                r = _status(self, ()) if item is _STATUS_LINE else self.execute(item)
            except Exception as e:
                # A bug, not a user error: outputs off, as on any unexpected
                # exception (DESIGN.md safety principle 1).
                self.ctl.emergency_stop()
                r = (E_FAULT, "internal error (%s): all outputs stopped" % type(e).__name__)
        self.reply(r)
        return True

    def reply(self, r):
        if isinstance(r, Line):
            # The whole reply line, built by its handler (_status).
            self.replies += 1
            if r is self.status and self.port is not None:
                self.port.lend(r.buf, r.n)
            else:
                self.write(r.value())
            return
        if isinstance(r, list):
            text = encode([("ok", True)] + r)
        else:
            text = encode((("ok", False), ("error", r[0]), ("msg", r[1])))
        self.replies += 1
        self.write(text + "\n")

    # -- the lease --------------------------------------------------------------

    def lease(self, ch):
        self.leased |= 1 << ch

    def release(self, ch):
        """The channel was started from the device itself: not the console's."""
        self.leased &= ~(1 << ch)

    def _lease_over(self):
        chans = self.ctl.chans
        for i in range(len(chans)):
            if self.leased >> i & 1 and chans[i].ch.state in _LEASE_STOPS:
                if self.ctl.stop(i, END_LEASE) is None:
                    self.host.notice("Console silent: ch%d stopped" % (i + 1))
        self.leased = 0

    def execute(self, text):
        """Run one command line; returns a list of reply pairs, (code, msg) or a
        whole reply line (a jsonout.Line: `status`)."""
        words = text.split()
        if not words:
            return (E_UNKNOWN, "empty line: try help")
        name = words[0].lower()
        for cmd in COMMANDS:
            if cmd[0] == name:
                if cmd[2] and not self.host.console_enabled():
                    return (E_NOT_ALLOWED, OFF_MSG)
                return cmd[1](self, words[1:])
        return (E_UNKNOWN, "unknown command %r: try help" % words[0][:16])

    # -- helpers --------------------------------------------------------------

    def chan(self, tok):
        n = _uint(tok)
        if n is None or n < 1 or n > len(self.ctl.chans):
            return None
        return n - 1

    def bad_chan(self, tok):
        return (E_ARG, "no channel %r (1..%d)" % (tok[:16], len(self.ctl.chans)))

    def program_id(self, prog):
        return prog.pid if prog is not None else None

    def program_by_num(self, num):
        for prog in self.ctl.programs:
            if prog.num == num:
                return prog.pid
        for c in self.ctl.chans:
            if c.program is not None and c.program.num == num:
                return c.program.pid
        return num


def _usage(text):
    return (E_ARG, "usage: " + text)


def _one_chan(con, args, usage):
    if len(args) != 1:
        return None, _usage(usage)
    ci = con.chan(args[0])
    if ci is None:
        return None, con.bad_chan(args[0])
    return ci, None


def _per_channel(con, args, usage, fn):
    # `all`: act on every channel that accepts; an error only when none did, so
    # an error reply still means nothing changed.
    if len(args) != 1:
        return _usage(usage)
    if args[0].lower() == "all":
        done = []
        skipped = []
        first = None
        for i in range(len(con.ctl.chans)):
            r = fn(i)
            if r is None:
                done.append(i + 1)
            else:
                first = first or r
                skipped.append((("ch", i + 1), ("error", r[0]), ("msg", r[1])))
        if not done:
            return first
        return [("channels", done), ("skipped", skipped)]
    ci = con.chan(args[0])
    if ci is None:
        return con.bad_chan(args[0])
    r = fn(ci)
    if r is not None:
        return r
    return [("channels", [ci + 1]), ("state", con.ctl.chans[ci].ch.state_name())]


# -- commands: handler(con, args) -> list of pairs, or (code, msg), or the
# whole reply line as a str

def _help(con, args):
    return [("commands", [c[3] for c in COMMANDS]),
            ("console", bool(con.host.console_enabled()))]


def _version(con, args):
    return [("firmware", con.host.version()), ("protocol", PROTOCOL),
            ("channels", len(con.ctl.chans))]


# The status reply is built in a preallocated buffer (ustim.core.jsonout): a
# bench host asks for it up to ten times a second while the channels run, and
# what a reply allocates comes back as a collection, longer on an RP2040 than
# the PIO FIFO holds at high rates. Through a port that takes the buffer
# (Console's `port`) it allocates nothing; key for key the JSON of docs/protocol.md.
STATUS_MAX = const(896)    # 14 USB blocks: two channels with the longest strings fit
_STATUS_LINE = "status"
_STATUS_HEAD = (b'{"ok": true, "console": ', b', "bench": ', b', "timer_min": ',
                b', "lease_s": ', b', "replies_lost": ', b', "lines_refused": ')
_STATUS_CHAN = (b'{"ch": ', b', "state": ', b', "program": ', b', "stage": ',
                b', "target_ua": ', b', "level_ua": ', b', "out_ua": ', b', "max_ua": ',
                b', "remaining_s": ', b', "fault": ', b', "check": ', b', "ohm": ')
_HEAD_N = const(6)         # values before the channels
_CHAN_N = const(12)        # values per channel


def _names(names):
    # The field of a value that is one of these strings (or null): the
    # longest of them in quotes.
    return max(len(x) for x in names) + 2


# Each value's field (jsonout: a value that changes length within it moves
# nothing after it): what the value takes at most in use. Numbers in uA fit 6
# digits, seconds 5; a program id is at most 8 characters (ustim.core.custom).
# A check reason is a sentence, shown once per refused start: its own length.
_HEAD_W = (5, 5, 3, 2, 5, 5)
_CHAN_W = (1, _names(C.STATE_NAMES), 10, _names(STAGE_NAMES), 6, 6, 6, 6, 5,
           _names(C.FAULT_NAMES), 4, 6)


def status_line(channels):
    """The jsonout.Line of a `status` reply for this many channels."""
    parts = list(_STATUS_HEAD)
    widths = list(_HEAD_W)
    for i in range(channels):
        parts.append((b', "channels": [' if i == 0 else b'}, ') + _STATUS_CHAN[0])
        parts.extend(_STATUS_CHAN[1:])
        widths.extend(_CHAN_W)
    parts.append(b'}]}\n' if channels else b', "channels": []}\n')
    line = Line(tuple(parts), STATUS_MAX, widths)
    # Built once now, every value null: each part is then where it stays (in
    # fields), and the names a channel shows are encoded. The first `status`
    # while channels run writes only its values (on an RP2040 the whole line
    # and its strings made it the longest tick, 9 ms).
    line.keep(C.STATE_NAMES)
    line.keep(STAGE_NAMES)
    line.keep(C.FAULT_NAMES)
    line.build()
    return line


def _status(con, args):
    ctl = con.ctl
    host = con.host
    line = con.status
    if con.port is not None and con.port.holds(line.buf):
        # The last one is still going out: this one in a buffer of its own.
        line = status_line(len(ctl.chans))
    v = line.vals
    v[0] = bool(host.console_enabled())
    v[1] = bool(host.bench_enabled())
    v[2] = ctl.session_s // 60
    v[3] = con.lease_ms // 1000
    v[4] = host.replies_lost()
    v[5] = con.input.refused
    k = _HEAD_N
    for i in range(len(ctl.chans)):
        c = ctl.chans[i]
        ch = c.ch
        prog = c.program
        v[k] = i + 1
        v[k + 1] = ch.state_name()
        v[k + 2] = con.program_id(prog)
        v[k + 3] = STAGE_NAMES[c.seq.stage] if prog is not None else None
        v[k + 4] = ch.target_ua
        v[k + 5] = ch.level_ua
        v[k + 6] = c.out.ua
        v[k + 7] = c.max_ua
        v[k + 8] = c.session.remaining_s()
        v[k + 9] = C.FAULT_NAMES[ch.fault_kind] if ch.fault_kind else None
        v[k + 10] = ch.check_reason
        v[k + 11] = host.impedance(i)
        k += _CHAN_N
    if not line.build():
        return (E_FAULT, "status reply over %d bytes" % STATUS_MAX)
    return line


def _programs(con, args):
    out = []
    for p in con.ctl.programs:
        out.append(tuple([("id", p.pid), ("num", p.num), ("name", p.name),
                          ("kind", p.kind())] + program_fields(p)))
    return [("programs", out)]


def _select(con, args):
    if len(args) != 2:
        return _usage("select <ch> <program_id>")
    ci = con.chan(args[0])
    if ci is None:
        return con.bad_chan(args[0])
    pid = args[1]
    if con.ctl.find_program(pid) is None and _digits(pid):
        pid = int(pid)     # programs.json ids may be integers
    if con.ctl.find_program(pid) is None:
        return (E_ARG, "no program %r: see programs" % args[1][:16])
    r = con.ctl.select(ci, pid)
    if r is not None:
        return r
    return [("ch", ci + 1), ("program", pid), ("max_ua", con.ctl.chans[ci].max_ua)]


def _leasing(con, fn):
    # fn(ch), and the channel leased when it accepted: its output is the console's.
    def act(ch):
        r = fn(ch)
        if r is None:
            con.lease(ch)
        return r
    return act


def _start(con, args):
    return _per_channel(con, args, "start <ch|all>", _leasing(con, con.ctl.start))


def _stop(con, args):
    return _per_channel(con, args, "stop <ch|all>", con.ctl.stop)


def _pause(con, args):
    return _per_channel(con, args, "pause <ch|all>", con.ctl.pause)


def _resume(con, args):
    return _per_channel(con, args, "resume <ch|all>", _leasing(con, con.ctl.resume))


def _amp(con, args):
    if len(args) != 2:
        return _usage("amp <ch> <mA>")
    ci = con.chan(args[0])
    if ci is None:
        return con.bad_chan(args[0])
    ua = milliamps(args[1])
    if ua is None:
        return (E_ARG, "amplitude %r: want mA like 12.5 (at most 3 decimals)" % args[1][:16])
    before = con.ctl.chans[ci].ch.target_ua
    r = con.ctl.set_amp(ci, ua)
    if r is not None:
        return r
    if ua > before:
        con.lease(ci)
    return [("ch", ci + 1), ("target_ua", ua)]


def _step(con, args, usage, fn):
    ci, err = _one_chan(con, args, usage)
    if err is not None:
        return err
    r = fn(ci)
    if r is not None:
        return r
    return [("ch", ci + 1), ("target_ua", con.ctl.chans[ci].ch.target_ua)]


def _up(con, args):
    return _step(con, args, "up <ch>", _leasing(con, con.ctl.up))


def _down(con, args):
    return _step(con, args, "down <ch>", con.ctl.down)


def _timer(con, args):
    if len(args) != 1:
        return _usage("timer <minutes>")
    m = _uint(args[0])
    if m is None:
        return (E_ARG, "minutes %r: want a whole number" % args[0][:16])
    if not con.host.console_enabled() and con.ctl.timer_lengthens(m):
        return (E_NOT_ALLOWED, "console control is off: the timer may only shorten "
                "sessions (enable it in the device settings menu)")
    r = con.ctl.set_timer(m)
    if r is not None:
        return r
    return [("timer_min", m)]


def _imp(con, args):
    ci, err = _one_chan(con, args, "imp <ch>")
    if err is not None:
        return err
    return [("ch", ci + 1), ("ohm", con.host.impedance(ci))]


def _pain(v):
    return None if v == NO_PAIN else v


def _log(con, args):
    # `log [n] [before]`: the newest n records, or the n before record number
    # `before` (the bench tool pages back through a year's log this way).
    if len(args) > 2:
        return _usage("log [n] [before_seq]")
    n = 10
    before = -1
    if args:
        n = _uint(args[0])
        if n is None:
            return (E_ARG, "log %r: want a whole number" % args[0][:16])
        if n < 1 or n > LOG_MAX:
            return (E_RANGE, "log %d outside 1..%d records" % (n, LOG_MAX))
    if len(args) == 2:
        before = _uint(args[1])
        if before is None:
            return (E_ARG, "log before %r: want a record number" % args[1][:16])
    out = []
    for r in con.host.log_records(n, before)[-n:]:
        out.append((("seq", r.seq), ("start_s", r.start_s), ("ch", r.channel + 1),
                    ("program", con.program_by_num(r.program)), ("duration_s", r.duration_s),
                    ("peak_ua", r.peak_ua), ("mean_ua", r.mean_ua), ("charge_nc", r.charge_nc),
                    ("fault", C.FAULT_NAMES[r.fault] if r.fault < len(C.FAULT_NAMES)
                     else r.fault),
                    ("end", END_NAMES[r.end] if r.end < len(END_NAMES) else r.end),
                    ("pain_before", _pain(r.pain_before)), ("pain_after", _pain(r.pain_after)),
                    ("pad_min", r.pad10 * 10)))
    return [("records", out)]


def _clock(con, args):
    # Only the usage log's start times follow the clock: allowed read-only.
    if len(args) > 1:
        return _usage("clock [unix_s]")
    if args:
        tok = args[0]
        s = int(tok) if len(tok) <= 10 and _all_digits(tok) else -1
        if not CLOCK_MIN_S <= s < CLOCK_MAX_S:
            return (E_ARG, "clock %r: want Unix seconds, 2020 to 2099" % tok[:16])
        con.host.set_clock(s)
    return [("clock_s", con.host.clock())]


def _clear(con, args):
    ci, err = _one_chan(con, args, "clear <ch>")
    if err is not None:
        return err
    r = con.ctl.clear(ci)
    if r is not None:
        return r
    return [("ch", ci + 1), ("state", con.ctl.chans[ci].ch.state_name())]


def _set_entry(con, ci, args):
    """The programs.json entry for `set`: the channel's program, changed by
    args; or (code, msg)."""
    given = {}
    for tok in args:
        eq = tok.find("=")
        if eq <= 0:
            return (E_ARG, "%r: want key=value" % tok[:16])
        key, val = tok[:eq].lower(), tok[eq + 1:]
        if key not in SET_KEYS:
            return (E_ARG, "unknown key %r (keys: %s)" % (key[:16], " ".join(SET_KEYS)))
        if key in given:
            return (E_ARG, "%s given twice" % key)
        if key == "kind":
            if val.upper() not in ("TENS", "EMS"):
                return (E_ARG, "kind %r: want tens or ems" % val[:16])
            given[key] = val.upper()
        else:
            v = _uint(val)
            if v is None:
                return (E_ARG, "%s=%r: want a whole number" % (key, val[:16]))
            given[key] = v
    entry = {}
    prog = con.ctl.chans[ci].program
    if prog is not None:
        for k, v in program_fields(prog):
            entry[k] = v
        entry["kind"] = prog.kind()
    elif "kind" not in given:
        entry["kind"] = "EMS" if "on_s" in given or "off_s" in given else "TENS"
    # Settings the new values make meaningless are dropped, not refused.
    if "ramp_s" in given:
        entry.pop("ramp_up_s", None)
        entry.pop("ramp_down_s", None)
    for k in given:
        entry[k] = given[k]
    if entry.get("burst_pulses", 1) == 1 and "burst_hz" not in given:
        entry.pop("burst_hz", None)
    if not entry.get("on_s", 0) and not entry.get("off_s", 0):
        for k in ("ramp_up_s", "ramp_down_s", "on_s", "off_s"):
            if k not in given:
                entry.pop(k, None)
    entry["id"] = "c%d" % (ci + 1)
    entry["name"] = "Custom ch%d" % (ci + 1)
    return entry


def _set(con, args):
    if len(args) < 2:
        return _usage("set <ch> key=value ...")
    ci = con.chan(args[0])
    if ci is None:
        return con.bad_chan(args[0])
    entry = _set_entry(con, ci, args[1:])
    if not isinstance(entry, dict):
        return entry
    # Imported at the first `set`, not at boot: the parser costs RAM that a
    # device never using `set` (or programs.json) should not pay for.
    from ustim.core import custom
    progs, rejected = custom.load(json.dumps({"programs": [entry]}), con.ctl.env, ())
    if not progs:
        r = rejected[0]
        return (E_RANGE if r.refusal is not None else E_ARG,
                "%s: %s" % (r.field, r.text) if r.field else r.text)
    prog = progs[0]
    prog.num = CUSTOM_NUM + ci
    r = _select_program(con.ctl, ci, prog)
    if r is not None:
        return r
    return [("ch", ci + 1), ("program", tuple([("id", prog.pid), ("kind", prog.kind())]
                                              + program_fields(prog))),
            ("max_ua", con.ctl.chans[ci].max_ua)]


def _select_program(ctl, ci, prog):
    # A `set` program belongs to its channel, not to the program list.
    return ctl.select_program(ci, prog)


def _lock(con, args):
    # Off is always allowed (it only narrows what a key does); on makes one
    # key raise both channels, so it needs console control like `up`.
    if len(args) != 1 or args[0].lower() not in ("on", "off"):
        return _usage("lock on|off")
    on = args[0].lower() == "on"
    if on and not con.host.console_enabled():
        return (E_NOT_ALLOWED, OFF_MSG)
    r = con.host.set_lock(on)
    if r is not None:
        return r
    return [("lock", on)]


def _selftest(con, args):
    checks = []
    passed = True
    for name, ok, detail in con.host.selftest():
        passed = passed and bool(ok)
        checks.append((("name", name), ("ok", bool(ok)), ("detail", detail)))
    return [("passed", passed), ("checks", checks)]


def _sense(con, args):
    # The sense path's readings of the latest pulse, for the bench tool's
    # characterisation at test loads (tools/bench/characterise.py). Read-only,
    # but bench mode only: it is a bench tester's tool, switched on at the device.
    if not con.host.bench_enabled():
        return (E_NOT_ALLOWED, BENCH_OFF_MSG)
    ci, err = _one_chan(con, args, "sense <ch>")
    if err is not None:
        return err
    r = con.host.sense(ci)
    if r is None:
        return (E_NOT_ALLOWED, "no sense readings on this device")
    c = con.ctl.chans[ci]
    return [("ch", ci + 1), ("state", c.ch.state_name()), ("set_ua", r[0]), ("i_ua", r[1]),
            ("v_mv", r[2]), ("phase_us", c.out.spec.pos_us), ("compliance_mv", r[3]),
            ("max_peak_ua", con.ctl.env.max_peak_ua)]


def _inject(con, args):
    if not con.host.bench_enabled():
        return (E_NOT_ALLOWED, BENCH_OFF_MSG)
    if len(args) != 2:
        return _usage("inject <ch> <fault>")
    ci = con.chan(args[0])
    if ci is None:
        return con.bad_chan(args[0])
    name = args[1].lower()
    for kind in range(1, len(C.FAULT_NAMES)):
        if C.FAULT_NAMES[kind] == name:
            r = con.ctl.fault(ci, kind)
            if r is not None:
                return r
            return [("ch", ci + 1), ("state", con.ctl.chans[ci].ch.state_name()),
                    ("fault", C.FAULT_NAMES[con.ctl.chans[ci].ch.fault_kind])]
    return (E_ARG, "fault %r: one of %s" % (args[1][:16], " ".join(C.FAULT_NAMES[1:])))


# name, handler, needs console control, usage
COMMANDS = (
    ("help", _help, False, "help"),
    ("version", _version, False, "version"),
    ("status", _status, False, "status"),
    ("programs", _programs, False, "programs"),
    ("select", _select, True, "select <ch> <program_id>"),
    ("start", _start, True, "start <ch|all>"),
    ("stop", _stop, False, "stop <ch|all>"),
    ("pause", _pause, False, "pause <ch|all>"),
    ("resume", _resume, True, "resume <ch|all>"),
    ("amp", _amp, True, "amp <ch> <mA>"),
    ("up", _up, True, "up <ch>"),
    ("down", _down, False, "down <ch>"),
    ("timer", _timer, False, "timer <minutes>"),
    ("imp", _imp, False, "imp <ch>"),
    ("log", _log, False, "log [n] [before_seq]"),
    ("clock", _clock, False, "clock [unix_s]"),
    ("clear", _clear, True, "clear <ch>"),
    ("set", _set, True, "set <ch> key=value ..."),
    ("lock", _lock, False, "lock on|off"),
    ("selftest", _selftest, False, "selftest"),
    ("inject", _inject, True, "inject <ch> <fault>"),
    ("sense", _sense, False, "sense <ch>"),
)
