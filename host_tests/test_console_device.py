"""The USB console on the device (issue 15), through firmware/main.py, boot and
DeviceHw, with each board's REPL port modelled as MicroPython 1.27 drives it
(tools/shims/stdio.py) and one clock for the firmware, the port and the host:

- POWER stops the channel within 30 ms while a host floods `log 64`, and while
  a host keeps the port open without reading; no tick waits on the port
- 1000 lines sent as fast as the port takes them: a reply each, in order, or
  a refusal; none made of two
- Ctrl-C (0x03) during stimulation changes nothing and no REPL appears
- the lease stops a console session whose host went silent

Figures go to out/console/figures.json (the report's numbers)."""

import importlib
import json
from pathlib import Path

import machine
import micropython
import pytest
from port_rig import PortRig

import device_rig as R
from boards import esp32_devkitc, pico

BOARDS = {"pico": pico, "esp32": esp32_devkitc}
FIGURES = Path(__file__).resolve().parent.parent / "out" / "console" / "figures.json"
RUNNING_AT_MS = 4000          # select, amp, start, electrode check, 3 s ramp: running by then


def _figure(name, value):
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    data[name] = value
    FIGURES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


@pytest.fixture(params=sorted(BOARDS))
def make(request, monkeypatch, tmp_path):
    rigs = []

    def build(**kw):
        rig = PortRig(BOARDS[request.param], monkeypatch, tmp_path, **kw)
        rig.name = request.param
        rigs.append(rig)
        return rig

    yield build
    for rig in rigs:
        rig.close()


def _start_session(rig, ma=20):
    rig.port.host_write("select 1 tens\namp 1 %d\nstart 1\n" % ma)


def _stop_latency(rig, press_ms):
    """ms from the POWER press to the end of the tick that had the output off."""
    seen = []

    def watch(r):
        if not seen and r.tick_end_us >= press_ms * 1000 and r.output_off():
            seen.append(r.tick_end_us / 1000 - press_ms)

    rig.every_tick.append(watch)
    return seen


def _flood(line, keep=64):
    def fn(rig):
        if rig.clock.us > RUNNING_AT_MS * 1000 and rig.port.host_unsent() < keep:
            rig.port.host_write(line)
    return fn


# Where in the 10 ms tick the press lands: just after a tick is the worst case
# (debounced 20 ms later, acted on at the tick after that).
PHASES_MS = (0.1, 2.5, 5.0, 7.5, 9.9)


def _power_while(make, host, name):
    worst_latency = 0
    figures = {}
    for phase in PHASES_MS:
        rig = make(records=64)
        _start_session(rig)
        host(rig)
        press = RUNNING_AT_MS + 1000 + phase
        seen = _stop_latency(rig, press)
        rig.press(press)
        running = []
        rig.every_tick.append(lambda r, seen_running=running: (
            r.ticks == RUNNING_AT_MS // 10 + 50
            and seen_running.append(r.app.ctl.chans[0].ch.state_name())))
        assert rig.run(ticks=(RUNNING_AT_MS + 2000) // 10) == "stopped"
        app = rig.app
        assert running == ["RUNNING"], "not running before the press"
        assert seen, "the channel never stopped"
        assert seen[0] <= 30, "POWER at %.1f ms: output off after %.1f ms" % (press, seen[0])
        assert app.failed is None and app.ctl.chans[0].ch.state_name() == "OFF"
        assert rig.port.blocked_ns == 0, "a console write waited on the port"
        worst_latency = max(worst_latency, seen[0])
        figures = {"worst_tick_us": app.worst_tick_us, "port_blocked_us": rig.port.blocked_ns
                   // 1000, "replies_read": len(rig.replies()),
                   "replies_lost": app.hw.console.lost,
                   "lines_refused": app.console.input.refused,
                   "port_calls_per_tick_mean": rig.port.calls // rig.ticks,
                   "port_calls_per_tick_worst": rig.worst_calls}
    figures["power_to_output_off_ms_worst"] = round(worst_latency, 3)
    _figure("%s: %s" % (name, rig.name), figures)
    return figures


def test_power_stops_the_channel_while_a_host_floods_log_64(make):
    f = _power_while(make, lambda rig: rig.every_tick.append(_flood("log 64\n")),
                     "POWER while a host floods log 64")
    assert f["replies_read"] > 3


def test_power_stops_the_channel_while_a_host_holds_the_port_without_reading(make):
    def host(rig):
        rig.port.reading = False

        def poll(r):
            if r.ticks % 5 == 0 and r.clock.us > RUNNING_AT_MS * 1000:
                r.port.host_write("status\nlog 64\n")
        rig.every_tick.append(poll)

    f = _power_while(make, host, "POWER while a host holds the port without reading")
    assert f["replies_lost"] > 0


def test_the_old_direct_write_would_have_blocked_the_tick(make, monkeypatch):
    # What the model is for: the console as it was (writing each reply straight
    # to stdout from the tick) waits on both ports, and POWER comes late.
    rig = make(records=64)
    console = importlib.import_module("ustim.hal.stdio_console").StdioConsole
    monkeypatch.setattr(console, "write", lambda self, text: self._out.write(text.encode()))
    _start_session(rig)
    if rig.name == "pico":
        rig.port.reading = False
        rig.every_tick.append(_flood("status\n"))
    else:
        rig.every_tick.append(_flood("log 64\n"))
    press = RUNNING_AT_MS + 1000
    seen = _stop_latency(rig, press)
    rig.press(press)
    assert rig.run(ticks=(RUNNING_AT_MS + 3000) // 10) == "stopped"
    worst = rig.app.worst_tick_us
    assert worst > (400000 if rig.name == "pico" else 800000), worst
    assert not seen or seen[0] > 30
    _figure("before: direct writes: %s" % rig.name, {
        "worst_tick_us": worst, "power_to_output_off_ms": seen[0] if seen else None})


def test_1000_lines_as_fast_as_the_port_takes_them(make):
    rig = make()
    rig.port.host_write("select 1 tens\n")
    lines = ["amp 1 %d.%03d" % (1 + i % 40, i) for i in range(1000)]
    rig.clock.at(500000, lambda: rig.port.host_write("\n".join(lines) + "\n"))
    # The last reply (or refusal) ends the run.
    rig.every_tick.append(lambda r: r.ticks > 200 and r.port.host_unsent() == 0 and (
        not r.app.console.input.count and not r.app.console.input.owed
        and not r.app.hw.console._queued) and r.stop_now())
    rig.stop_now = lambda: setattr(rig, "stop_after", rig.ticks)
    assert rig.run(ticks=3000) == "stopped"
    replies = rig.replies()[1:]               # after select's
    assert rig.port.rx_dropped == 0
    ok = busy = 0
    i = 0
    for r in replies:
        # Each reply answers the next line it can: an exact target for an
        # answered line, a refusal (busy) for one that came too fast.
        if r["ok"]:
            while int(lines[i].split()[2].replace(".", "")) != r["target_ua"]:
                i += 1
                assert i < len(lines), "a reply to no line sent: %r" % r
            ok += 1
            i += 1
        else:
            assert r["error"] == "busy", r
            busy += 1
    lost = rig.app.hw.console.lost
    refused = rig.app.console.input.refused
    assert ok + refused == 1000
    assert busy == refused and lost == 0, "a reply or a refusal for every line"
    if rig.name == "pico":
        assert (ok, busy, lost) == (1000, 0, 0), "USB holds the host: every line answered"
    _figure("1000 lines: %s" % rig.name, {
        "answered": ok, "refused_with_a_reply": busy, "replies_lost": lost,
        "lines_refused": refused, "port_bytes_dropped": rig.port.rx_dropped,
        "seconds": round(rig.clock.us / 1e6 - 0.5, 2), "worst_tick_us": rig.app.worst_tick_us})


@pytest.mark.parametrize("neutered", [False, True], ids=["firmware", "without_kbd_intr"])
def test_ctrl_c_during_stimulation_changes_nothing(make, monkeypatch, neutered):
    if neutered:
        # The control: main.py's kbd_intr(-1) made a no-op, as before issue 15.
        real = micropython.kbd_intr
        monkeypatch.setattr(micropython, "kbd_intr", lambda c: c != -1 and real(c))
    rig = make()
    _start_session(rig)
    t = RUNNING_AT_MS * 1000
    # What mpremote sends to stop a program and reach the raw REPL, then a line.
    for k, data in enumerate((b"\x03", b"\r\x03\x03", b"\x01\r\n", b"status\n")):
        rig.clock.at(t + k * 100000, lambda d=data: rig.port.host_write(d))
    before = []
    rig.every_tick.append(lambda r: r.ticks == RUNNING_AT_MS // 10 - 1 and before.append(
        (r.app.ctl.chans[0].ch.state_name(), r.app.ctl.chans[0].ch.target_ua)))
    hv = []
    rig.every_tick.append(lambda r: r.clock.us > t and hv.append(
        machine.pin(r.board.PIN_HV_EN).level))
    outcome = rig.run(ticks=(RUNNING_AT_MS + 2000) // 10)
    if neutered:
        assert outcome == "repl after KeyboardInterrupt"
        assert b">>> " in rig.received and R.pins_low(rig.board)
        return
    assert outcome == "stopped"
    assert b">>>" not in rig.received and rig.port.interrupts == 0
    chan = rig.app.ctl.chans[0]
    assert before == [("RUNNING", 20000)]
    assert (chan.ch.state_name(), chan.ch.target_ua, chan.out.ua) == ("RUNNING", 20000, 20000)
    assert set(hv) == {1}, "the high voltage stayed on throughout"
    replies = rig.replies()
    assert replies[-3] == replies[-2] == {"ok": False, "error": "bad_argument",
                                          "msg": "line is not printable ASCII"}
    assert replies[-1]["ok"] and replies[-1]["channels"][0]["state"] == "RUNNING"
    _figure("Ctrl-C during stimulation: %s" % rig.name, {
        "outcome": outcome, "keyboard_interrupts": rig.port.interrupts,
        "state_after": chan.ch.state_name(), "out_ua_after": chan.out.ua})


def test_the_lease_stops_a_console_session_whose_host_went_silent(make):
    rig = make(lease_s=5)
    _start_session(rig)
    last_line_ms = 0
    seen = []

    def watch(r):
        chan = r.app.ctl.chans[0]
        if not seen and r.clock.us > 1000000 and chan.ch.state_name() == "STOPPING":
            seen.append(("stopping", r.tick_end_us / 1000))
        if len(seen) == 1 and r.output_off():
            seen.append(("off", r.tick_end_us / 1000))

    rig.every_tick.append(watch)
    assert rig.run(ticks=800) == "stopped"
    assert [s[0] for s in seen] == ["stopping", "off"]
    stopping, off = seen[0][1] - last_line_ms, seen[1][1] - last_line_ms
    assert 5000 <= stopping <= 5020 and off - stopping <= 820
    assert "Console silent: ch1 stopped" in rig.app.notices
    _figure("lease: %s" % rig.name, {"lease_s": 5, "ramp_down_from_ms": stopping,
                                     "output_off_at_ms": off})


def test_a_host_polling_status_keeps_the_session(make):
    rig = make(lease_s=1)
    _start_session(rig)
    rig.every_tick.append(lambda r: r.ticks % 50 == 0 and r.port.host_write("status\n"))
    assert rig.run(ticks=1000) == "stopped"
    assert rig.app.ctl.chans[0].ch.state_name() == "RUNNING"


def test_the_maintenance_boot_gives_the_repl_with_outputs_low(make):
    rig = make()
    machine.Pin(rig.board.PIN_BUTTONS[1]).drive(0)
    assert rig.run() == "returned"
    assert rig.apps == [] and machine.watchdog() is None and R.pins_low(rig.board)
    assert micropython.interrupt_char() == 3
    assert rig.received.endswith(b">>> ")
