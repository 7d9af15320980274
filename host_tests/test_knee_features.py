"""The knee features end to end on the simulated board (CPython): the battery
rules scenario, a scripted two days of the pain diary through the device's
buttons and the bench tool's report of it, the key lock and channel lock on
the OLED, and the placement guidance of every preset."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sim_checks as K
from oled_text import frame_lines
from test_sim_scenarios import replies
from tools.bench import diary
from tools.dev import diary_month, draw_placement
from tools.sim.run import Simulation
from tools.sim.scenario import load
from ustim.core import channel as C
from ustim.core import usage_log as U
from ustim.core.programs import PLACEMENTS, PRESETS

ROOT = Path(__file__).resolve().parent.parent


def _lines_at(rec, t_ms):
    """The OLED's text lines in the last frame shown at or before t_ms."""
    shown = [fb for t, _, fb in rec.frames if t <= t_ms]
    return frame_lines(shown[-1])


# -- battery rules ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def battery():
    return Simulation(load(ROOT / "scenarios" / "battery-rules.json")).run()


def test_battery_low_refuses_a_new_start_and_the_session_goes_on(battery):
    rec = battery
    _, r = replies(rec, "start 2")[0]
    assert r["ok"] is False and r["error"] == "not_allowed"
    assert r["msg"].startswith("Battery low 8%") and "10% or more" in r["msg"]
    assert not [p for p in rec.pulses if p[0] == 1], "channel 2 never ran"
    ch1 = [p for p in rec.pulses if p[0] == 0 and 10.5e6 <= p[1] < 20e6]
    assert len(ch1) > 900, "channel 1 goes on at 100 Hz below the start level"
    assert {p[5] for p in ch1} == {20000}
    # The screen says why: the low-battery screen names the start level.
    shown = [frame_lines(fb) for t, n, fb in rec.frames
             if n == "low_battery" and 10000 < t < 20000]
    assert shown and shown[-1][6].rstrip() == "starts need 10%", shown


def test_battery_stop_level_ramps_down_and_stops_with_a_notice_and_a_record(battery):
    rec = battery
    sag = K.event_time(rec, "battery 3320 mV")
    stop = K.event_time(rec, "ch1 stop: battery")
    ended = K.event_time(rec, "ch1 session ended")
    assert 0 < stop - sag <= 1100, "seen within the battery period (1 s)"
    assert ended - stop <= 900, "the ramp down ends within 0.8 s"
    amps = [p[5] for p in rec.pulses if p[0] == 0 and stop * 1000 <= p[1]]
    assert amps and amps == sorted(amps, reverse=True) and amps[-1] < 20000, "ramped down"
    assert not [p for p in rec.pulses if p[1] >= (ended + 20) * 1000]
    assert any(n.startswith("Battery empty") for n in rec.summary["notices"])
    rec_fields = [U.Record(*f) for f in rec.summary["usage_log"]]
    assert [(r.channel, r.end) for r in rec_fields] == [(0, U.END_BATTERY)]
    # The charger at 25 s: nothing resumes by itself.
    _, st = replies(rec, "status")[-1]
    assert [c["state"] for c in st["channels"]] == ["OFF", "OFF"]
    assert all(ua == 0 for _, ua in K.amplitude_changes(rec, 0, 25e6))


# -- pain and adherence diary -----------------------------------------------------------

@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    out = tmp_path_factory.mktemp("diary")
    rec, summary = diary_month.run(diary_month.scenario(2), out)
    return rec, summary, out


def test_diary_records_what_was_answered_on_the_device(two_days):
    rec, _, _ = two_days
    recs = [U.Record(*f) for f in rec.summary["usage_log"]]
    plan = diary_month.plan(2)
    assert len(recs) == 2 * len(plan), "a record per channel and session"
    pairs = list(zip(recs[::2], recs[1::2], strict=True))
    for (day, hour, before, after, ma), pair in zip(plan, pairs, strict=True):
        want = (U.NO_PAIN if before is None else before, U.NO_PAIN if after is None else after)
        for r in pair:
            assert (r.pain_before, r.pain_after) == want
            assert r.end == U.END_TIMER and r.duration_s == diary_month.SESSION_MIN * 60
            # The dose counts the level the reference holds: the PWM code's step
            # (100 mA full scale / 65535) from the one asked for.
            assert abs(r.peak_ua - ma * 1000) <= 2
            wall = diary_month.FIRST_DAY.timestamp() + day * 86400 + hour * 3600
            assert 0 <= r.start_s - wall < 30, "wall-clock start from the console's clock"
        assert [r.channel for r in pair] == [0, 1]
    assert [r.pad10 for r in recs[::2]] == [0, 1, 1, 2], "pad time adds up per channel"
    assert [n for _, n, _ in rec.frames].count("pain") >= 2


def test_diary_report_from_the_simulated_log(two_days, tmp_path, capsys):
    _, summary, _ = two_days
    png = tmp_path / "d.png"
    csv_out = tmp_path / "d.csv"
    assert diary.main(["--file", str(summary), "--png", str(png), "--csv", str(csv_out)],
                      None) == 0
    out = capsys.readouterr().out
    assert "2026-11-02  2" in out and "2026-11-03  2" in out
    assert "adherence 100% (4 of 4 planned sessions)" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = csv_out.read_text().splitlines()
    assert rows[0] == "day,sessions,minutes,pain_before,pain_after,plan_met" and len(rows) == 3
    plan = diary_month.plan(2)
    assert rows[1].split(",")[3] == "%.1f" % ((plan[0][2] + plan[1][2]) / 2)


def test_diary_reads_a_copied_usage_bin_and_a_log_csv(two_days, tmp_path):
    rec, summary, _ = two_days
    from_summary = diary.records_from_file(summary)
    # The same records as the device's binary ring file and as `log --csv`.
    log = U.UsageLog(_Store(), slots=16)
    log.open()
    for f in rec.summary["usage_log"]:
        r = U.Record(*f)
        assert log.append(r.start_s, r.program, r.channel, r.duration_s, r.peak_ua, r.mean_ua,
                          r.charge_nc, r.fault, r.end, r.pain_before, r.pain_after,
                          r.pad10) is None
    path = tmp_path / "usage.bin"
    path.write_bytes(bytes(log.storage.files[U.FILE_NAME]))
    assert diary.records_from_file(path) == from_summary
    from tools.bench import show
    csv_path = tmp_path / "log.csv"
    show.write_log_csv([dict(r, program="acu", peak_ua=0, mean_ua=0, charge_nc=0, fault="none",
                             pad_min=0, end=r["end"]) for r in from_summary], csv_path)
    assert diary.records_from_file(csv_path) == from_summary


def test_diary_refusals_are_one_clear_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    for argv, text in ((["--file", str(tmp_path / "none.csv")], "No such file"),
                       (["--file", str(bad)], "not a usage log"),
                       (["--plan", "0", "--file", str(bad)], "want 1-24")):
        p = subprocess.run([sys.executable, "-m", "tools.bench", "diary", *argv], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1 and text in p.stderr, p.stderr


class _Store:
    def __init__(self):
        from tools.sim.models.flash import MemStorage
        self._m = MemStorage()
        self.files = self._m.files

    def __getattr__(self, name):
        return getattr(self._m, name)


class _Link:
    # The device's console over a Controller and a host holding 150 records.
    def __init__(self):
        from console_host import Bench, FakeHost
        from ustim.core import limits
        from ustim.core.controller import Controller
        host = FakeHost()
        host.records = [U.Record(i, 1800000000 + 3600 * i, 1, i % 2, 600, 1, 1, 1, 0)
                        for i in range(150)]
        self.bench = Bench(Controller(limits.Envelope()), host)
        self.lines = []

    def request(self, line):
        self.lines.append(line)
        return json.loads(self.bench.send(line + "\n")[0])


def test_every_record_is_fetched_a_page_at_a_time():
    link = _Link()
    recs = diary.records_from_device(link)
    assert [r["seq"] for r in recs] == list(range(150))
    assert link.lines == ["log 64", "log 64 86", "log 64 22"]


# -- key lock and channel lock on the OLED ---------------------------------------------------

def test_key_lock_and_channel_lock_on_the_screen():
    ev = [{"t": 3.0, "console": "select 1 tens"}, {"t": 3.1, "console": "select 2 tens"},
          {"t": 3.2, "console": "amp 1 10"}, {"t": 3.3, "console": "amp 2 10"},
          {"t": 3.5, "console": "start all"}, {"t": 5.0, "console": "lock on"},
          {"t": 7.0, "press": "up"},
          {"t": 9.0, "hold": "up", "s": 2.3}, {"t": 9.0, "hold": "down", "s": 2.3},
          {"t": 12.5, "press": "up"}, {"t": 14.0, "console": "status"},
          {"t": 15.0, "press": "power"}, {"t": 16.0, "console": "status"}]
    for t in (4.5, 8.5, 10.5, 12.0, 13.5):
        ev.append({"t": t, "console": "version"})
    sc = {"name": "locks", "duration_s": 17, "events": sorted(ev, key=lambda e: e["t"])}
    rec = Simulation(sc).run()
    linked = _lines_at(rec, 8500)
    assert linked[6][6:9] == "1+2", linked
    assert linked[0].startswith(">1") and linked[3].startswith(">2"), "both marked"
    _, st = replies(rec, "status")[0]
    assert [c["target_ua"] for c in st["channels"]] == [11000, 11000], \
        "UP moved both; the chord and the locked UP at 12.5 s changed nothing"
    # The locked UP at 12.5 s: the notice says how to unlock, a line at a time.
    bottom = {frame_lines(fb)[7].rstrip() for t, _, fb in rec.frames if 12500 < t}
    assert {"Keys locked:", "hold UP+DOWN 2 s", "to unlock"} <= bottom, bottom
    stopped = K.event_time(rec, "emergency stop")
    assert stopped - K.event_time(rec, "button power press") <= 40, "POWER stops while locked"
    _, st = replies(rec, "status")[1]
    assert [c["state"] for c in st["channels"]] == ["OFF", "OFF"]


# -- placement guidance --------------------------------------------------------------------

def test_every_preset_says_where_the_pads_go():
    for prog in PRESETS:
        lines = PLACEMENTS[prog.place]
        assert prog.place > 0 and 1 <= len(lines) <= 6, prog.pid
        assert all(0 < len(s) <= 16 for s in lines), prog.pid
    text = (ROOT / "docs" / "programs.md").read_text()
    for name, _ in draw_placement.DRAWINGS:
        assert "images/%s" % name in text and (ROOT / "docs" / "images" / name).exists()


def test_placement_drawings_are_drawn_by_the_project(tmp_path):
    from PIL import Image
    assert draw_placement.main(["--out", str(tmp_path)]) == 0
    for name, _ in draw_placement.DRAWINGS:
        assert Image.open(tmp_path / name).size == Image.open(ROOT / "docs" / "images" / name).size


def test_placement_screen_after_choosing_a_program_on_the_device():
    ev = [{"t": 3.0, "hold": "mode", "s": 1.5}, {"t": 5.0, "press": "down"},
          {"t": 5.5, "press": "down"}, {"t": 6.0, "press": "mode"},
          {"t": 6.5, "press": "down"}, {"t": 7.0, "press": "down"},
          {"t": 7.5, "press": "down"}, {"t": 8.0, "press": "down"},
          {"t": 8.5, "press": "down"}, {"t": 9.0, "press": "mode"},
          {"t": 10.5, "press": "mode"}]
    rec = Simulation({"name": "place", "duration_s": 12, "console_control": False,
                      "events": ev}).run()
    shown = [frame_lines(fb) for t, n, fb in rec.frames if n == "placement"]
    assert shown and shown[-1][0].strip() == "NMES knee OA"
    assert [s.rstrip() for s in shown[-1][1:7]] == list(PLACEMENTS[2])
    assert _lines_at(rec, 12000)[1].startswith("NMES knee OA"), "home after MODE"
    assert rec.summary["channels"][0]["program"] == "oa"
    assert rec.summary["channels"][0]["state"] == C.STATE_NAMES[C.OFF]
