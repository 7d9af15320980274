# The bench console on both runtimes: the same replies byte for byte, line
# limits, refusals that change nothing, and an allocation-free idle poll.
import json
import sys

from console_host import Bench, FakeHost, snapshot
from dualcheck import eq, true
from ustim.core import limits
from ustim.core.console import LINE_MAX
from ustim.core.controller import Controller


def _bench(console=True, bench=False):
    return Bench(Controller(limits.Envelope()), FakeHost(console, bench))


def _one(b, line):
    out = b.send(line + "\n")
    eq(len(out), 1, "replies to %r", line)
    return out[0]


def check_replies_are_identical_json():
    b = _bench(bench=True)
    eq(_one(b, "version"),
       '{"ok": true, "firmware": "0.1.0-test", "protocol": 1, "channels": 2}\n', "version")
    eq(_one(b, "select 1 tens"), '{"ok": true, "ch": 1, "program": "tens", "max_ua": 80000}\n',
       "select")
    eq(_one(b, "amp 1 12.5"), '{"ok": true, "ch": 1, "target_ua": 12500}\n', "amp")
    eq(_one(b, "amp 1 80.001"), '{"ok": false, "error": "out_of_range", "msg": "channel 1: '
       'above the amplitude limit (limit 80000 uA)"}\n', "amp refused")
    eq(_one(b, "set 2 freq_hz=90 phase_us=180"),
       '{"ok": true, "ch": 2, "program": {"id": "c2", "kind": "TENS", "freq_hz": 90, '
       '"phase_us": 180, "gap_us": 50, "minutes": 30}, "max_ua": 80000}\n', "set")
    eq(_one(b, "start all"), '{"ok": true, "channels": [1, 2], "skipped": []}\n', "start all")
    eq(_one(b, "inject 2 short"), '{"ok": true, "ch": 2, "state": "FAULT", "fault": "short"}\n',
       "inject")
    st = json.loads(_one(b, "status"))
    eq([c["state"] for c in st["channels"]], ["ARMED", "FAULT"], "states")
    eq(json.loads(_one(b, "programs"))["programs"][3]["alt_hz"], 100, "programs")


def check_refusals_change_nothing():
    b = _bench(console=False, bench=True)
    before = snapshot(b.ctl)
    for line in ("start 1", "amp 1 5", "select 1 tens", "set 1 freq_hz=80", "inject 1 open",
                 "bogus", "stop 9", "log 0", "timer x", "amp 1 1.2345"):
        r = json.loads(_one(b, line))
        eq(r["ok"], False, "refused %s", line)
        eq(snapshot(b.ctl), before, "state after %s", line)
    eq(json.loads(_one(b, "stop all"))["ok"], True, "stop always works")


def check_line_limits():
    b = _bench()
    out = b.send("status" + "x" * LINE_MAX + "\r\nversion\r\n")
    eq(len(out), 2, "two replies")
    eq(json.loads(out[0])["msg"], "line over %d bytes" % LINE_MAX, "long line")
    eq(json.loads(out[1])["ok"], True, "next line fine")
    out = b.send(b"stat\xc3\xa9\n")
    eq(json.loads(out[0])["msg"], "line is not printable ASCII", "non-ASCII")


def check_idle_poll_allocates_nothing():
    if sys.implementation.name != "micropython":
        return
    import gc
    b = _bench()
    con = b.con
    part = b"status 1"
    con.poll()
    before = gc.mem_alloc()
    for _ in range(200):
        con.poll()
    eq(gc.mem_alloc() - before, 0, "bytes allocated by 200 idle polls")
    before = gc.mem_alloc()
    con.feed(part)
    for _ in range(20):
        true(not con.poll(), "no complete line")
    eq(gc.mem_alloc() - before, 0, "bytes allocated by a partial line")


def _target(b, ch):
    return json.loads(_one(b, "status"))["channels"][ch - 1]["target_ua"]


def check_select_and_set_start_at_target_zero():
    b = _bench()
    _one(b, "select 1 acu")
    for line in ("select 1 acu", "select 1 tens", "set 1 freq_hz=80",
                 "set 1 kind=ems freq_hz=50 phase_us=300 on_s=5 off_s=10"):
        json.loads(_one(b, "amp 1 45"))
        eq(_target(b, 1), 45000, "45 mA set before %r", line)
        eq(json.loads(_one(b, line))["ok"], True, line)
        eq(_target(b, 1), 0, "target after %r", line)
    eq(json.loads(_one(b, "select 2 acu"))["ok"], True, "select 2")
    _one(b, "amp 2 20")
    _one(b, "select 1 tens")
    eq(_target(b, 2), 20000, "the other channel keeps its target")


def check_set_refuses_continuous_ems():
    b = _bench()
    _one(b, "select 1 tens")
    before = snapshot(b.ctl)
    for line in ("set 1 kind=ems freq_hz=100 phase_us=400",
                 "set 1 kind=ems freq_hz=50 phase_us=300 on_s=0 off_s=0"):
        eq(json.loads(_one(b, line)), {
            "ok": False, "error": "out_of_range",
            "msg": "on_s: contraction on time 0 ms outside limit 1000 ms"}, line)
        eq(snapshot(b.ctl), before, "nothing changed by %r", line)
    _one(b, "set 1 kind=ems freq_hz=50 phase_us=300 on_s=5 off_s=10")
    eq(json.loads(_one(b, "set 1 on_s=0 off_s=0"))["msg"],
       "on_s: contraction on time 0 ms outside limit 1000 ms", "cycle removed from EMS")


def _run_for(b, now, ms):
    # Control ticks of 10 ms: the controller, then the console, as the app does.
    end = now + ms
    while now < end:
        now += 10
        b.ctl.now_ms = now
        b.ctl.tick(now)
        b.con.poll()
    return now


def _console_session(b, ch=1, now=0):
    b.ctl.now_ms = now
    for line in ("select %d tens" % ch, "amp %d 10" % ch, "start %d" % ch):
        eq(json.loads(_one(b, line))["ok"], True, line)
    b.ctl.electrode_check(ch - 1, True)
    return _run_for(b, now, 20)


def check_the_lease_stops_a_console_session_when_the_host_goes_silent():
    b = _bench()
    chan = b.ctl.chans[0]
    now = _console_session(b)
    eq(chan.ch.state_name(), "RAMPING", "started over the console")
    # Lines keep it: any line, even one the console refuses.
    for line in ("status", "bogus", "", "amp 1 1.2345"):
        now = _run_for(b, now, 4000)
        b.con.feed(line + "\n")
    true(chan.ch.state_name() in ("RAMPING", "RUNNING"), "kept alive: %s", chan.ch.state_name())
    now = _run_for(b, now, 4990)
    true(chan.ch.state_name() in ("RAMPING", "RUNNING"), "4.99 s after the last line")
    now = _run_for(b, now, 20)
    eq(chan.ch.state_name(), "STOPPING", "5 s without a line: ramping down")
    now = _run_for(b, now, 1000)
    eq((chan.ch.state_name(), chan.out.ua), ("OFF", 0), "then off")
    eq(b.host.notices, ["Console silent: ch1 stopped"], "said on the device")


def check_the_lease_is_the_setting_and_spares_sessions_started_on_the_device():
    b = _bench()
    b.con.lease_ms = 1000
    b.ctl.now_ms = 0
    _one(b, "select 2 tens")
    _one(b, "amp 2 10")
    # Channel 2 started from the buttons (the app then releases it): no lease.
    eq(b.ctl.start(1), None, "started on the device")
    b.con.release(1)
    b.ctl.electrode_check(1, True)
    _console_session(b, 1)
    now = _run_for(b, 20, 1100)
    eq(b.ctl.chans[0].ch.state_name(), "STOPPING", "1 s lease: the console's channel")
    true(b.ctl.chans[1].ch.state_name() in ("RAMPING", "RUNNING"), "the device's goes on")
    # Lowering a device session over the console does not make it the console's;
    # raising it does.
    _one(b, "amp 2 5")
    now = _run_for(b, now, 1100)
    true(b.ctl.chans[1].ch.state_name() in ("RAMPING", "RUNNING"), "lowered: still the device's")
    _one(b, "amp 2 6")
    now = _run_for(b, now, 1100)
    eq(b.ctl.chans[1].ch.state_name(), "STOPPING", "raised over the console: leased")


def check_a_channel_started_again_on_the_device_is_released():
    b = _bench()
    b.con.lease_ms = 1000
    now = _console_session(b)
    _one(b, "stop 1")
    now = _run_for(b, now, 900)
    eq(b.ctl.chans[0].ch.state_name(), "OFF", "stopped")
    eq(b.ctl.start(0), None, "started on the device")
    b.con.release(0)
    b.ctl.electrode_check(0, True)
    now = _run_for(b, now, 3000)
    true(b.ctl.chans[0].ch.state_name() in ("RAMPING", "RUNNING"), "not the console's any more")


def check_console_off_is_read_only():
    b = _bench(bench=True)
    _console_session(b)
    _one(b, "timer 20")
    _one(b, "inject 1 overcurrent")
    b.host.console = False
    chan = b.ctl.chans[0]
    before = snapshot(b.ctl)
    for line in ("clear 1", "timer 21", "timer 60", "start 2", "resume 1", "up 1"):
        r = json.loads(_one(b, line))
        eq((r["ok"], r["error"]), (False, "not_allowed"), line)
        eq(snapshot(b.ctl), before, "nothing changed by %r", line)
    eq(chan.ch.state_name(), "FAULT", "the fault stays latched")
    # Shorter is allowed, for every session now and later.
    eq(json.loads(_one(b, "timer 10"))["timer_min"], 10, "shortened")
    eq(chan.session.length_s, 600, "the session is 10 min")
    eq(json.loads(_one(b, "timer 15"))["ok"], False, "and cannot be made longer again")
    b.host.console = True
    eq(json.loads(_one(b, "clear 1"))["state"], "OFF", "clear with console control")


def check_timer_without_console_control_never_lengthens_a_program():
    # Timer unset: each program runs its own length (15 min for tka): 20 min
    # would lengthen tka sessions, 15 lengthens nothing.
    b = _bench(console=False)
    eq(json.loads(_one(b, "timer 20"))["error"], "not_allowed", "longer than tka's 15")
    eq(json.loads(_one(b, "timer 15"))["timer_min"], 15, "no program made longer")


def check_the_status_reply_is_what_encode_gives_in_fields():
    # `status` is formatted in one step (console._status): the text must be
    # encode()'s, key for key and byte for byte, but for the spaces that put
    # each value at the right of its field, whatever the values (None,
    # strings that need escaping, integer program ids).
    from ustim.core import console as K
    b = _bench(bench=True)
    b.send("select 1 tens\namp 1 12.5\nset 2 freq_hz=90\ninject 2 short\n")
    b.ctl.chans[0].ch.check_reason = 'pads "dry"\n'
    line = _one(b, "status")
    st = json.loads(line)
    eq(st["channels"][0]["check"], 'pads "dry"\n', "escaped")
    eq([c["state"] for c in st["channels"]], ["OFF", "FAULT"], "states")
    eq(st["channels"][1]["fault"], "short", "fault")
    if sys.implementation.name == "micropython":
        return    # no object_pairs_hook: the byte comparison is CPython's
    pairs = json.loads(line, object_pairs_hook=lambda kv: tuple(kv))

    def fields(kv, widths):
        out = []
        for i in range(len(kv)):
            w = widths[i]
            t = K.encode([kv[i]])[1:-1]
            key, val = t.split(": ", 1)
            out.append(key + ": " + " " * (w - len(val)) + val)
        return ", ".join(out)

    want = "{%s, %s, \"channels\": [%s]}\n" % (
        K.encode(pairs[:1])[1:-1], fields(pairs[1:7], K._HEAD_W),
        ", ".join("{%s}" % fields(c, K._CHAN_W) for c in pairs[7][1]))
    eq(line, want, "as encode() writes it, in fields")


def check_the_status_reply_fits_with_every_value_at_its_longest():
    from ustim.core import console as K
    line = K.status_line(2)
    v = line.vals
    v[:6] = [True, True, 999, 60, 99999, 99999]
    for k in (6, 18):
        v[k:k + 12] = [2, "STOPPING", "abcdefgh", "ramp down", 100000, 100000, 100000,
                       100000, 99999, "overcurrent", "electrode check timed out", 999999]
    true(line.build(), "built")
    eq(len(json.loads(line.value())["channels"]), 2, "both channels")
    # Two USB blocks to spare: check reasons longer than the longest now.
    true(line.n <= K.STATUS_MAX - 128, "%d bytes" % line.n)
