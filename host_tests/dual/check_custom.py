# programs.json on both runtimes (MicroPython's json differs from CPython's in
# what it accepts): the documented example loads, the documented messages are
# what the loader says, and malformed files never raise.
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from dualcheck import eq, true

from tools.sim.models.flash import MemStorage
from ustim.core import custom, limits

ENV = limits.Envelope()
DOCS = __file__.rsplit("/", 3)[0] + "/docs/"


def _load(text):
    return custom.load(text.encode() if isinstance(text, str) else text, ENV)


def _entry(extra=""):
    return '{"id": "a", "name": "A", "kind": "TENS", "freq_hz": 100, "phase_us": 200%s}' % extra


def check_documented_example_loads():
    with open(DOCS + "programs.example.json", "rb") as f:
        raw = f.read()
    progs, rejected = custom.load(raw, ENV)
    eq(len(rejected), 0, "no refusals: %r", rejected)
    eq([p.pid for p in progs], ["tens80", "burst5", "quad", 42, "sweep"], "ids")
    quad = progs[2]
    eq((quad.ems, quad.hz, quad.on_ms, quad.off_ms, quad.ramp_up_ms, quad.ramp_down_ms,
        quad.session_s), (True, 35, 8000, 24000, 2000, 1000, 900), "quad fields")
    eq(progs[0].session_s, 2400, "minutes")
    eq(progs[1].gap_us, 20, "gap")
    eq([p.num for p in progs], [100, 101, 102, 103, 104], "log numbers")


def check_documented_messages():
    raw = ('{"programs": [' + _entry() + ','
           '{"id": "burst5", "name": "B", "kind": "TENS", "freq_hz": 80, "phase_us": 200,'
           ' "burst_pulses": 5, "burst_hz": 20},'
           '{"id": "quad", "name": "Q", "kind": "EMS", "freq_hz": 120, "phase_us": 300},'
           '{"id": "x", "name": "\\u00e9t\\u00e9", "kind": "TENS", "freq_hz": 10,'
           ' "phase_us": 200},'
           '{"id": "tet", "name": "T", "kind": "EMS", "freq_hz": 100, "phase_us": 400}]}')
    progs, rejected = _load(raw)
    eq(len(progs), 1, "the good entry still loads")
    eq([str(r) for r in rejected], [
        "program 'burst5' (#2): field burst_hz: burst rate 20 Hz outside limit 16 Hz",
        "program 'quad' (#3): field freq_hz: frequency 120 Hz outside limit 100 Hz",
        "program 'x' (#4): field name: must be 1-16 printable ASCII characters",
        "program 'tet' (#5): field on_s: contraction on time 0 ms outside limit 1000 ms",
    ], "messages")
    r = rejected[1].refusal
    eq((r.limit, r.value, r.bound, r.unit), ("frequency", 120, 100, "Hz"), "refusal")


def check_fields_named():
    cases = (
        (', "gap_us": 101', "gap_us"),
        (', "phase_us2": 1', "phase_us2"),
        (', "minutes": 61', "minutes"),
        (', "minutes": 1.5', "minutes"),
        (', "gap_us": true', "gap_us"),
        (', "gap_us": "5"', "gap_us"),
        (', "gap_us": 1e400', "gap_us"),
        (', "burst_pulses": 21', "burst_pulses"),
        (', "burst_hz": 2', "burst_hz"),
        (', "on_s": 10', "off_s"),
        (', "off_s": 10', "on_s"),
        (', "on_s": 10, "off_s": 10, "ramp_s": 1', "ramp_s"),
        (', "on_s": 10, "off_s": 10, "ramp_up_s": 8, "ramp_down_s": 3', "ramp_down_s"),
        (', "on_s": 3, "off_s": 10, "ramp_up_s": 4, "ramp_down_s": 0', "ramp_up_s"),
        (', "on_s": 10, "off_s": 10, "ramp_s": 2, "ramp_up_s": 2', "ramp_s"),
        (', "ramp_up_s": 2', "ramp_up_s"),
        (', "alt_hz": 50', "alt_s"),
        (', "alt_s": 3', "alt_hz"),
        (', "sweep_hz": 120, "sweep_s": 1', "sweep_s"),
        (', "alt_hz": 50, "alt_s": 3, "sweep_hz": 120, "sweep_s": 6', "sweep_hz"),
    )
    for extra, field in cases:
        progs, rejected = _load('{"programs": [%s]}' % _entry(extra))
        eq(len(progs), 0, "refused: %s", extra)
        eq(rejected[0].field, field, "%s -> %s", extra, rejected[0])
    big = '{"programs": [%s]}' % _entry().replace("100", "99999999999999999999")
    progs, rejected = _load(big)
    eq((len(progs), rejected[0].field), (0, "freq_hz"), "huge number")
    missing = '{"programs": [{"id": "a", "name": "A", "kind": "TENS", "freq_hz": 10}]}'
    eq(_load(missing)[1][0].field, "phase_us", "missing field named")


def check_ids():
    raw = '{"programs": [%s, %s, %s, %s]}' % (
        _entry(), _entry(), _entry().replace('"a"', '"tens"'), _entry().replace('"a"', '"A!"'))
    progs, rejected = _load(raw)
    eq(len(progs), 1, "first 'a' loads")
    eq([(r.field, r.program) for r in rejected],
       [("id", "'a' (#2)"), ("id", "'tens' (#3)"), ("id", "#4")], "duplicates and bad ids")


def check_malformed_never_raises():
    for raw in (b"", b"\xff\xfe\x00", b"{", b"[]", b"null", b'{"programs": 5}',
                b'{"programs": [1, "x", null, [], {}]}', b"[" * 2000, b'{"programs": [' * 500,
                b'{"programs": [{"id": "a", "name": "A", "kind": "TENS", "freq_hz": NaN}]}',
                "\u00e9".encode(), bytearray(b"{}"), 12, None):
        progs, rejected = custom.load(raw, ENV)
        eq(progs, [], "nothing loads from %r", raw)
        true(len(rejected) >= 1, "a reason for %r", raw)
        true(len(str(rejected[0])) > 0, "printable reason")
    entries = ",".join(_entry().replace('"a"', '"p%d"' % i) for i in range(33))
    progs, rejected = _load('{"programs": [%s]}' % entries)
    eq((len(progs), len(rejected)), (32, 1), "at most 32 programs")


def check_continuous_ems_is_refused():
    ems = '{"id": "e", "name": "E", "kind": "EMS", "freq_hz": 100, "phase_us": 400%s}'
    for extra in ("", ', "on_s": 0, "off_s": 0'):
        progs, rejected = _load('{"programs": [%s, %s]}' % (ems % extra, _entry()))
        eq([p.pid for p in progs], ["a"], "the TENS entry still loads (%s)", extra)
        eq([str(r) for r in rejected],
           ["program 'e' (#1): field on_s: contraction on time 0 ms outside limit 1000 ms"],
           "refused naming the field and bound (%s)", extra)
        r = rejected[0].refusal
        eq((r.limit, r.value, r.bound, r.unit), ("contraction on time", 0, 1000, "ms"), "refusal")
    cycling = ems % ', "on_s": 1, "off_s": 1, "ramp_up_s": 0'
    progs, rejected = _load('{"programs": [%s]}' % cycling)
    eq((len(progs), rejected[0].field), (0, "ramp_up_s"), "1 s on still needs its 2 s ramp")
    progs, rejected = _load('{"programs": [%s]}' % (
        ems % ', "on_s": 2, "off_s": 1, "ramp_up_s": 2, "ramp_down_s": 0'))
    eq((len(progs), rejected), (1, []), "on 2 s / off 1 s cycles: accepted")


def check_programs_past_the_limit_are_one_refusal():
    entries = ",".join(_entry().replace('"a"', '"p%d"' % i) for i in range(40))
    progs, rejected = _load('{"programs": [%s]}' % entries)
    eq(len(progs), 32, "the first 32 load")
    eq([str(r) for r in rejected],
       ["program 'p32' (#33): more than 32 programs: 8 not loaded"], "one refusal for the rest")


class _Unreadable(MemStorage):
    def read(self, name):
        raise OSError(5)


def check_load_file_gives_a_notice_per_refusal():
    st = MemStorage()
    eq(custom.load_file(st, ENV, "programs.json"), ([], []), "no file: nothing, silently")
    st.write_atomic("programs.json", ('{"programs": [%s, %s, %s]}' % (
        _entry(), _entry(', "gap_us": 101').replace('"a"', '"wide"'),
        _entry().replace('"a"', '"x!"'))).encode())
    progs, notices = custom.load_file(st, ENV, "programs.json")
    eq([p.pid for p in progs], ["a"], "the good entry loads")
    eq(notices, [
        ("program 'wide' (#2): field gap_us: interphase gap 101 us outside limit 100 us",
         "wide: gap_us"),
        ("program #3: field id: must be 1-8 of a-z 0-9 _ - or an integer 0-9999", "#3: id"),
    ], "text for the console, a short line for the OLED")
    for text, short in notices:
        true(isinstance(text, str) and isinstance(short, str), "plain strings")
    st.write_atomic("programs.json", b"{")
    eq(custom.load_file(st, ENV, "programs.json"),
       ([], [("programs.json: not valid JSON", "Bad program file")]), "malformed")
    st.write_atomic("programs.json", b" " * (custom.MAX_FILE_BYTES + 1))
    eq(custom.load_file(st, ENV, "programs.json")[1],
       [("programs.json: file over 16384 bytes", "Bad program file")], "too big")
    bad = _Unreadable()
    bad.write_atomic("programs.json", b"{}")
    eq(custom.load_file(bad, ENV, "programs.json")[1],
       [("programs.json: unreadable (OSError)", "Bad program file")], "flash error")
