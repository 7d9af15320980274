"""Scenario files for the simulated board: loading and validation.

A scenario is a JSON object (schema in docs/scenarios.md):

    {"name": "...", "board": "pico", "duration_s": 240,
     "electrodes": {"1": {"rs_ohm": 300, "rp_ohm": 3000, "cp_nf": 100}, "2": {...}},
     "battery_mv": 3900, "console_control": true, "programs": "my-programs.json",
     "events": [{"t": 1.0, "console": "select 1 tens"},
                {"t": 2.0, "press": "up"}, {"t": 3.0, "hold": "power", "s": 2.0},
                {"t": 30, "electrode": 1, "change": "peel", "over_s": 5},
                {"t": 60, "battery_mv": 3300},
                {"t": 70, "inject": 2, "fault": "overcurrent"},
                {"t": 80, "reset": "brownout"}]}

Every problem is reported as ScenarioError naming the field, e.g.
`events[3].change: 'melt' is not one of liftoff, peel, dry, short, reattach`.
"""

import json
from pathlib import Path

BOARDS = ("pico", "esp32_devkitc")
BUTTONS = ("power", "mode", "up", "down")
CHANGES = ("liftoff", "peel", "dry", "short", "reattach")
FAULTS = ("open", "short", "overcurrent", "sense")
RESETS = ("brownout", "watchdog", "power")
ELECTRODE_FIELDS = {"rs_ohm": (10, 100000), "rp_ohm": (10, 1000000), "cp_nf": (1, 100000),
                    "load_ohm": (10, 1000000)}
MAX_MA = (1, 80)     # the device's Max amp setting (ustim.core.settings)
MAX_DURATION_S = 8 * 3600


class ScenarioError(ValueError):
    pass


def _num(where, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError("%s: must be a number, got %r" % (where, value))
    if not lo <= value <= hi:
        raise ScenarioError("%s: %r outside %r..%r" % (where, value, lo, hi))
    return value


def _one_of(where, value, choices):
    if value not in choices:
        raise ScenarioError("%s: %r is not one of %s" % (where, value, ", ".join(choices)))
    return value


def _channel(where, value):
    if isinstance(value, bool) or value not in (1, 2):
        raise ScenarioError("%s: channel must be 1 or 2, got %r" % (where, value))
    return value


# event key -> the other keys it allows (with a checker each)
def _check_event(i, ev, duration):
    where = "events[%d]" % i
    if not isinstance(ev, dict):
        raise ScenarioError("%s: must be an object" % where)
    if "t" not in ev:
        raise ScenarioError("%s.t: missing (seconds from the start)" % where)
    _num(where + ".t", ev["t"], 0, duration)
    kinds = [k for k in ("console", "press", "hold", "electrode", "battery_mv", "inject", "reset")
             if k in ev]
    if len(kinds) != 1:
        raise ScenarioError("%s: needs exactly one of console, press, hold, electrode, "
                            "battery_mv, inject, reset (has %s)" % (where, kinds or "none"))
    kind = kinds[0]
    allowed = {"t", kind}
    if kind == "console":
        if not isinstance(ev["console"], str):
            raise ScenarioError("%s.console: must be a string" % where)
    elif kind == "press":
        _one_of(where + ".press", ev["press"], BUTTONS)
    elif kind == "hold":
        _one_of(where + ".hold", ev["hold"], BUTTONS)
        allowed.add("s")
        _num(where + ".s", ev.get("s", 2.0), 0.05, 60)
    elif kind == "electrode":
        _channel(where + ".electrode", ev["electrode"])
        allowed |= {"change", "over_s"}
        if "change" not in ev:
            raise ScenarioError("%s.change: missing" % where)
        _one_of(where + ".change", ev["change"], CHANGES)
        _num(where + ".over_s", ev.get("over_s", 0), 0, 3600)
    elif kind == "battery_mv":
        _num(where + ".battery_mv", ev["battery_mv"], 0, 20000)
    elif kind == "inject":
        _channel(where + ".inject", ev["inject"])
        allowed.add("fault")
        _one_of(where + ".fault", ev.get("fault"), FAULTS)
    elif kind == "reset":
        _one_of(where + ".reset", ev["reset"], RESETS)
    extra = sorted(set(ev) - allowed)
    if extra:
        raise ScenarioError("%s.%s: unknown field for a %s event" % (where, extra[0], kind))
    return ev


def validate(data):
    if not isinstance(data, dict):
        raise ScenarioError("scenario: must be a JSON object")
    known = {"name", "description", "board", "duration_s", "electrodes", "battery_mv",
             "console_control", "bench_mode", "max_ma", "programs", "events"}
    extra = sorted(set(data) - known)
    if extra:
        raise ScenarioError("%s: unknown field" % extra[0])
    if "duration_s" not in data:
        raise ScenarioError("duration_s: missing")
    duration = _num("duration_s", data["duration_s"], 1, MAX_DURATION_S)
    _one_of("board", data.get("board", "pico"), BOARDS)
    for flag in ("console_control", "bench_mode"):
        if not isinstance(data.get(flag, True), bool):
            raise ScenarioError("%s: must be true or false" % flag)
    _num("battery_mv", data.get("battery_mv", 4000), 0, 20000)
    if "max_ma" in data:
        if not isinstance(data["max_ma"], int) or isinstance(data["max_ma"], bool):
            raise ScenarioError("max_ma: must be a whole number of mA, got %r" % data["max_ma"])
        _num("max_ma", data["max_ma"], *MAX_MA)
    if "programs" in data and not (isinstance(data["programs"], str) and data["programs"]):
        raise ScenarioError("programs: must be the path of a programs.json file")
    electrodes = data.get("electrodes", {})
    if not isinstance(electrodes, dict):
        raise ScenarioError("electrodes: must be an object keyed by channel")
    for key, model in electrodes.items():
        if key not in ("1", "2"):
            raise ScenarioError("electrodes.%s: channel must be \"1\" or \"2\"" % key)
        if not isinstance(model, dict):
            raise ScenarioError("electrodes.%s: must be an object" % key)
        for field, value in model.items():
            if field not in ELECTRODE_FIELDS:
                raise ScenarioError("electrodes.%s.%s: unknown field" % (key, field))
            _num("electrodes.%s.%s" % (key, field), value, *ELECTRODE_FIELDS[field])
        if "load_ohm" in model and len(model) > 1:
            raise ScenarioError("electrodes.%s.load_ohm: a plain resistor has no %s" % (
                key, ", ".join(sorted(set(model) - {"load_ohm"}))))
    events = data.get("events", [])
    if not isinstance(events, list):
        raise ScenarioError("events: must be a list")
    for i, ev in enumerate(events):
        _check_event(i, ev, duration)
    return data


def load(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ScenarioError("%s: cannot read (%s)" % (path, e.strerror)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError("%s: not UTF-8 text (byte 0x%02x at offset %d); save it as UTF-8"
                            % (path, data[e.start], e.start)) from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ScenarioError("%s: not valid JSON (%s)" % (path, e)) from None
    validate(data)
    data.setdefault("name", path.stem)
    if "programs" in data:
        data["programs"] = str(programs_file(path.parent / data["programs"]))
    return data


def programs_file(path):
    """The programs.json a scenario names, checked as far as the simulator's
    part goes: readable, JSON, an object with a "programs" list. Its entries
    are the firmware's to check (each refusal is a notice on the device), so
    a file the envelope refuses in part still runs. Returns the absolute path."""
    path = Path(path).resolve()
    where = "programs: %s" % path
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ScenarioError("%s: cannot read (%s)" % (where, e.strerror)) from None
    except UnicodeError:
        raise ScenarioError("%s: not UTF-8" % where) from None
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ScenarioError("%s: not valid JSON (%s)" % (where, e)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("programs"), list):
        raise ScenarioError('%s: needs an object {"programs": [...]} (docs/programs.md)' % where)
    return path
