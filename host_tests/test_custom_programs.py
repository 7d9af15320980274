"""programs.json under hypothesis: valid files load, an entry broken in one
field is refused naming that field and its bound while the others load, and
arbitrary bytes, JSON shapes and value types never raise out of the loader.

Validity here is stated independently of the firmware: the generators build
entries from the bounds of docs/programs.md and docs/safety-limits.md.
"""

import json
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ustim.core import custom, limits, programs
from ustim.core.sequencer import Sequencer

ENV = limits.Envelope()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = 500
PRESET_IDS = [p.pid for p in programs.PRESETS]
NUMERIC = ("freq_hz", "phase_us", "gap_us", "burst_pulses", "burst_hz", "alt_hz", "alt_s",
           "sweep_hz", "sweep_s", "on_s", "off_s", "ramp_s", "ramp_up_s", "ramp_down_s",
           "minutes")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def period(hz):
    return -(-1000000 // hz)


def max_hz(kind):
    return 100 if kind == "EMS" else 150


@st.composite
def valid_entry(draw, pid):
    kind = draw(st.sampled_from(["TENS", "EMS", "tens", "Ems"]))
    top = max_hz(kind.upper())
    e = {"id": pid, "kind": kind,
         "name": draw(st.text(st.characters(min_codepoint=32, max_codepoint=126),
                              min_size=1, max_size=16)),
         "freq_hz": draw(st.integers(1, top)),
         "phase_us": draw(st.integers(50, 400))}
    if draw(st.booleans()):
        e["gap_us"] = draw(st.integers(0, 100))
    rates = [e["freq_hz"]]
    variation = draw(st.sampled_from(["none", "alt", "sweep"]))
    if variation == "alt":
        e["alt_hz"] = draw(st.integers(1, top))
        e["alt_s"] = draw(st.integers(1, 3600))
        rates.append(e["alt_hz"])
    elif variation == "sweep":
        e["sweep_hz"] = draw(st.integers(1, top))
        e["sweep_s"] = draw(st.integers(2, 120))
        rates.append(e["sweep_hz"])
    if draw(st.booleans()):
        n = draw(st.integers(2, 20))
        slowest = min(rates)
        # The whole burst at the slowest rate must fit in one burst period.
        fits = [b for b in range(1, slowest // n + 1) if period(b) >= n * period(slowest)]
        if fits:
            e["burst_pulses"] = n
            e["burst_hz"] = draw(st.sampled_from(fits))
    # docs/safety-limits.md: EMS on/off each >= 1 s, so an EMS program always cycles; a
    # TENS program may.
    if kind.upper() == "EMS" or draw(st.booleans()):
        on = draw(st.integers(4, 60))
        ramps = draw(st.sampled_from(["default", "both", "split"]))
        if ramps == "both":
            e["ramp_s"] = draw(st.integers(2, on // 2))
        elif ramps == "split":
            e["ramp_up_s"] = draw(st.integers(2, on))
            e["ramp_down_s"] = draw(st.integers(0, on - e["ramp_up_s"]))
        e["on_s"] = on
        e["off_s"] = draw(st.integers(1, 300))
    if draw(st.booleans()):
        e["minutes"] = draw(st.integers(1, 60))
    return e


ids = st.one_of(st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8),
                st.integers(0, 9999)).filter(lambda v: v not in PRESET_IDS)


@st.composite
def valid_file(draw, min_size=1):
    pids = draw(st.lists(ids, min_size=min_size, max_size=6, unique=True))
    return [draw(valid_entry(pid)) for pid in pids]


def dump(entries):
    return json.dumps({"programs": entries}).encode()


def assert_loaded_matches(prog, e):
    assert prog.pid == e["id"]
    assert prog.name == e["name"]
    assert prog.ems == (e["kind"].upper() == "EMS")
    assert (prog.hz, prog.phase_us) == (e["freq_hz"], e["phase_us"])
    assert prog.gap_us == e.get("gap_us", programs.DEFAULT_GAP_US)
    assert prog.burst_n == e.get("burst_pulses", 1)
    assert (prog.on_ms, prog.off_ms) == (e.get("on_s", 0) * 1000, e.get("off_s", 0) * 1000)
    if "on_s" in e:
        up = e.get("ramp_up_s", e.get("ramp_s", 2))
        down = e.get("ramp_down_s", e.get("ramp_s", 1))
        assert (prog.ramp_up_ms, prog.ramp_down_ms) == (up * 1000, down * 1000)
    assert prog.session_s == e.get("minutes", 20 if prog.ems else 30) * 60


def assert_safe(prog):
    """Anything the loader returns is inside the envelope, and runs."""
    assert programs.check_program(ENV, prog) is None
    seq = Sequencer()
    seq.load(prog)
    for t in (0, 1234, 59999, 3600000):
        scale = seq.tick(t)
        assert 0 <= scale <= 1000
        assert limits.check_spec(ENV, seq.spec) is None


@SETTINGS
@given(valid_file())
def test_valid_files_load_completely(entries):
    progs, rejected = custom.load(dump(entries), ENV)
    assert rejected == []
    assert len(progs) == len(entries)
    for prog, e in zip(progs, entries, strict=True):
        assert_loaded_matches(prog, e)
        assert_safe(prog)
    assert [p.num for p in progs] == list(range(100, 100 + len(entries)))


# (field, how to break it) -> the value to put there, given the entry.
def _breakers(e):
    top = max_hz(e["kind"].upper())
    out = [
        ("freq_hz", st.one_of(st.integers(top + 1, 100000), st.integers(-1000, 0))),
        ("phase_us", st.one_of(st.integers(401, 10 ** 6), st.integers(-100, 49))),
        ("gap_us", st.one_of(st.integers(101, 10 ** 6), st.integers(-100, -1))),
        ("minutes", st.one_of(st.integers(61, 10 ** 6), st.integers(-100, 0))),
        ("burst_pulses", st.one_of(st.integers(21, 1000), st.integers(-100, 0))),
        ("name", st.one_of(st.just(""), st.text(min_size=17, max_size=40),
                           st.text(st.characters(min_codepoint=128), min_size=1, max_size=5))),
        ("kind", st.one_of(st.text(max_size=6), st.integers())),
        ("id", st.one_of(st.sampled_from(PRESET_IDS), st.text("ABC !.", min_size=1),
                         st.text(min_size=9), st.integers(10000, 10 ** 9),
                         st.integers(-1000, -1))),
    ]
    for field in NUMERIC:
        out.append((field, st.one_of(st.floats(), st.text(max_size=4), st.booleans(),
                                     st.none(), st.lists(st.integers(), max_size=2))))
    if "burst_pulses" in e:
        n = e["burst_pulses"]
        slowest = min(e["freq_hz"], e.get("alt_hz", 1000), e.get("sweep_hz", 1000))
        out.append(("burst_hz", st.integers(1, 1000).filter(
            lambda b: period(b) < n * period(slowest))))
    if "on_s" in e:
        out.append(("on_s", st.integers(-100, 0)))
        out.append(("off_s", st.integers(-100, 0)))
        if "ramp_s" in e:
            out.append(("ramp_s", st.one_of(st.integers(-5, 1), st.integers(61, 1000))))
        else:
            out.append(("ramp_up_s", st.one_of(st.integers(-5, 1), st.integers(61, 1000))))
            out.append(("ramp_down_s", st.one_of(st.integers(-100, -1),
                                                 st.integers(61, 1000))))
    if "alt_hz" in e:
        out.append(("alt_hz", st.integers(top + 1, 10000)))
        out.append(("alt_s", st.one_of(st.integers(-10, 0), st.integers(3601, 10 ** 6))))
    if "sweep_hz" in e:
        out.append(("sweep_s", st.one_of(st.integers(-10, 1), st.integers(121, 10 ** 6))))
    return out


@SETTINGS
@given(valid_file(min_size=2), st.data())
def test_one_broken_field_is_named_and_the_rest_load(entries, data):
    victim = data.draw(st.integers(0, len(entries) - 1))
    e = entries[victim]
    field, values = data.draw(st.sampled_from(_breakers(e)))
    value = data.draw(values)
    assume(not (field == "kind" and isinstance(value, str)
                and value.upper() in ("TENS", "EMS")))
    e[field] = value
    progs, rejected = custom.load(dump(entries), ENV)
    assert len(progs) == len(entries) - 1
    assert len(rejected) == 1
    r = rejected[0]
    assert r.field == field, str(r)
    assert str(r).startswith("program ")
    assert ("field %s" % field) in str(r)
    if field != "id":
        assert repr(e["id"]) in r.program
    assert ("#%d" % (victim + 1)) in r.program
    if r.refusal is not None:
        # The message carries the bound the entry broke.
        assert ("limit %d" % r.refusal.bound) in str(r)
    for prog in progs:
        assert prog.pid != e["id"] or field == "id"
        assert_safe(prog)


@SETTINGS
@given(valid_file(min_size=1), st.data())
def test_damaged_bytes_never_raise(entries, data):
    raw = bytearray(dump(entries))
    how = data.draw(st.sampled_from(["truncate", "flip", "insert", "random"]))
    if how == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    elif how == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    elif how == "insert":
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=20))
    else:
        raw = bytearray(data.draw(st.binary(max_size=300)))
    progs, rejected = custom.load(bytes(raw), ENV)
    assert isinstance(progs, list) and isinstance(rejected, list)
    for prog in progs:
        assert_safe(prog)
    for r in rejected:
        assert isinstance(str(r), str)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)
field_values = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.integers(), json_values)


@st.composite
def wild_entry(draw):
    keys = draw(st.lists(st.sampled_from(("id", "name", "kind") + NUMERIC), unique=True))
    return {k: draw(field_values) for k in keys}


@SETTINGS
@given(st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(wild_entry(), max_size=5).map(dump),
    st.lists(st.one_of(wild_entry(), json_values), max_size=5).map(dump)))
def test_wrong_shapes_and_types_never_raise(raw):
    progs, rejected = custom.load(raw, ENV)
    for prog in progs:
        assert_safe(prog)
    for r in rejected:
        assert isinstance(str(r), str)


def test_example_file_in_docs_loads():
    raw = (ROOT / "docs" / "programs.example.json").read_bytes()
    progs, rejected = custom.load(raw, ENV)
    assert rejected == []
    assert len(progs) == 5
    for prog in progs:
        assert_safe(prog)
    doc = (ROOT / "docs" / "programs.md").read_text()
    assert raw.decode().strip() in doc


def test_tighter_envelope_tightens_custom_bounds():
    env = limits.Envelope({"max_tens_hz": 120, "max_session_s": 1800})
    raw = dump([{"id": "a", "name": "a", "kind": "TENS", "freq_hz": 130, "phase_us": 100},
                {"id": "b", "name": "b", "kind": "TENS", "freq_hz": 100, "phase_us": 100,
                 "minutes": 40}])
    progs, rejected = custom.load(raw, env)
    assert progs == []
    assert [(r.field, r.refusal.bound) for r in rejected] == [("freq_hz", 120),
                                                              ("minutes", 1800)]


def test_not_bytes_and_oversized():
    assert custom.load(None, ENV)[0] == []
    assert "not bytes" in str(custom.load(None, ENV)[1][0])
    big = b" " * (custom.MAX_FILE_BYTES + 1)
    assert "16384" in str(custom.load(big, ENV)[1][0])
