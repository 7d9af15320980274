"""`python -m tools.bench characterise`: the output at the standard test loads
(500 ohm, 2 kohm, 10 kohm), on the simulated board whose electrodes are a
plain resistor, through the firmware's own console and sense path."""

import json

import pytest

from tools.bench import characterise as CH
from tools.bench import cli
from tools.bench.sim_link import SimLink
from tools.sim.pty import open_pty
from tools.sim.scenario import ScenarioError, validate
from ustim.core import channel as C
from ustim.core import limits
from ustim.core.console import Console
from ustim.core.controller import Controller
from console_host import FakeHost

COMPLIANCE_MV = 80000     # boards/pico.py


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """The --json result and the plot at each standard load."""
    out = {}
    tmp = tmp_path_factory.mktemp("char")
    for ohm in (500, 2000, 10000):
        png = tmp / ("c%d.png" % ohm)
        code = cli.main(["characterise", "--sim", "pico", "--load", str(ohm), "--json",
                         "--png", str(png)])
        out[ohm] = (code, png)
    return out


@pytest.mark.parametrize("ohm", [500, 2000, 10000])
def test_each_set_point_passes_or_is_the_loads_compliance_limit(ohm, capsys):
    code = cli.main(["characterise", "--sim", "pico", "--load", str(ohm), "--json"])
    res = json.loads(capsys.readouterr().out)
    assert code == 0 and res["passed"]
    assert [p["set_ua"] for p in res["points"]] == [5000, 10000, 20000, 40000, 80000]
    assert res["limit_ua"] == COMPLIANCE_MV * 1000 // ohm
    for p in res["points"]:
        if p["set_ua"] * ohm // 1000 <= COMPLIANCE_MV:
            # The load takes it: delivered within the stated tolerance of the set
            # point, the peak voltage I x R, the charge per 200 us phase I x t.
            assert p["result"] == CH.PASS, p
            assert abs(p["i_ua"] - p["set_ua"]) <= p["set_ua"] // 10
            assert abs(p["v_mv"] - p["i_ua"] * ohm // 1000) <= max(p["v_mv"] // 10, 500)
            assert p["phase_us"] == 200 and p["charge_nc"] == p["i_ua"] * 200 // 1000
        else:
            assert p["result"] == CH.LIMIT, p
            if p["measured"]:
                # At the compliance: what the load takes, not what was set.
                assert abs(p["i_ua"] - res["limit_ua"]) <= res["limit_ua"] // 20
                assert p["v_mv"] >= COMPLIANCE_MV * 95 // 100


def test_500_ohm_takes_the_board_maximum(capsys):
    code = cli.main(["characterise", "--sim", "pico", "--load", "500"])
    out = capsys.readouterr().out
    assert code == 0
    assert "tolerance: current within 10 % or 0.500 mA" in out
    assert "set mA  level mA  measured mA" in out
    rows = [line for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) == 5 and all(" PASS" in r for r in rows), rows
    top = rows[-1].split()
    assert top[:2] == ["80.000", "80.000"] and top[2].startswith("79.")
    assert out.rstrip().endswith("PASS")


def test_2_kohm_compliance_stops_the_channel_above_40_ma(capsys):
    code = cli.main(["characterise", "--sim", "pico", "--load", "2000", "--json"])
    res = json.loads(capsys.readouterr().out)
    top = res["points"][-1]
    assert code == 0 and top["set_ua"] == 80000 and not top["measured"]
    # Slewing past 40 mA the current collapses at the compliance: the
    # watchdog's OPEN stops the channel, which stays latched.
    assert "FAULT open" in top["note"] and res["left_in"] == "FAULT (open)"


def test_10_kohm_is_held_at_8_ma_and_higher_set_points_are_refused(capsys):
    code = cli.main(["characterise", "--sim", "pico", "--load", "10000"])
    out = capsys.readouterr().out
    assert code == 0
    assert "compliance 80.0 V: this load takes at most 8.000 mA" in out
    assert "measured at the compliance limit: 7.9" in out or \
        "measured at the compliance limit: 8.0" in out
    assert out.count("impedance high: increase blocked") == 3


def test_the_plot_is_written(tables):
    for ohm, (code, png) in tables.items():
        data = png.read_bytes()
        assert code == 0 and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000, ohm


def test_esp32_board_too(capsys):
    code = cli.main(["characterise", "--sim", "esp32_devkitc", "--load", "500", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert code == 0 and res["passed"]
    assert {p["result"] for p in res["points"]} <= {CH.PASS, CH.LIMIT}


def test_a_wrong_output_fails():
    # The load is 500 ohm but declared 1 kohm: the peak voltage is half of
    # I x R at every point, which the procedure reports as a failure.
    link = SimLink(CH.simulated("pico", 500))
    res = CH.run(link, 1000, sleep=link.sleep)
    assert not res["passed"]
    assert {p["result"] for p in res["points"]} == {CH.FAIL}
    assert all(p["note"] == "peak voltage is not I x R" for p in res["points"])


def test_refused_without_bench_mode_and_nothing_changes(capsys):
    sc = dict(CH.simulated("pico", 500), bench_mode=False)
    link = SimLink(sc)
    code = CH.main(["--load", "500"], lambda: link)
    err = capsys.readouterr().err
    assert code == 1
    assert "sense 1: bench mode is off: enable it in the device settings menu" in err
    assert link.sim.app.ctl.chans[0].program is None
    assert link.sim.app.ctl.chans[0].ch.state == C.OFF
    assert not link.sim.rec.pulses


def test_over_a_serial_port_the_device_refuses_without_bench_mode(capsys):
    ctl = Controller(limits.Envelope())
    con = Console(ctl, FakeHost(console=True, bench=False), None)
    srv = open_pty(con).start()
    try:
        code, out, err = run(capsys, "--port", srv.path, "characterise", "--load", "500")
    finally:
        srv.close()
    assert code == 1 and out == ""
    assert err.strip() == ("bench: characterise: sense 1: bench mode is off: enable it in "
                           "the device settings menu")


@pytest.mark.parametrize("argv,msg", [
    (["--load", "5"], "--load 5: want a resistance of 10..1000000 ohm"),
    (["--load", "500", "--points", "x"], "--points 'x': want mA like 5,10,20,40"),
    (["--load", "500", "--tolerance-pct", "0"], "--tolerance-pct 0: want 1..50"),
    (["--load", "500", "--png", "/nonexistent/x.png"], "--png /nonexistent/x.png: no folder"),
])
def test_bad_input_is_one_line_and_exit_2(argv, msg, capsys):
    code, out, err = run(capsys, "characterise", "--sim", "pico", *argv)
    assert code == 2 and out == ""
    assert err.startswith("bench: characterise " + msg) and err.count("\n") == 1


def test_scenario_load_and_max_ma_fields():
    validate({"duration_s": 1, "max_ma": 80, "electrodes": {"1": {"load_ohm": 500}}})
    with pytest.raises(ScenarioError, match="electrodes.1.load_ohm: a plain resistor has no "
                                            "rs_ohm"):
        validate({"duration_s": 1, "electrodes": {"1": {"load_ohm": 500, "rs_ohm": 300}}})
    with pytest.raises(ScenarioError, match="max_ma: 81 outside 1..80"):
        validate({"duration_s": 1, "max_ma": 81})
    with pytest.raises(ScenarioError, match="max_ma: must be a whole number"):
        validate({"duration_s": 1, "max_ma": 12.5})
