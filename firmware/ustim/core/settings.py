# User settings, kept as one small JSON file on flash.
#
# Pure logic over the storage interface of ustim.hal.storage (read /
# write_atomic): no file or machine access here, so the same code is checked
# on CPython and MicroPython.
#
# What is NOT a setting: the last program and amplitude. After any reset the
# output starts OFF at amplitude 0 (docs/safety-limits.md, start-up); nothing here
# can bring a stimulation level back.
#
# The file is written by encode() in a fixed field order and ends with a CRC-32
# of everything before it, so a torn or bit-flipped file is detected even when
# it still parses as JSON with plausible numbers. A file without a valid CRC,
# edited by hand included, gives the defaults (console control off): only the
# device's own menu writes settings the firmware follows, so a file copied onto
# the flash cannot switch console control on. Anything else that is wrong gives
# the defaults too, with a notice for the screen; load() never raises.
import json

from micropython import const

from ustim.core.crc import crc32

FILE_NAME = "settings.json"
VERSION = const(1)
# Anything longer cannot be ours; refusing it bounds the RAM a corrupt file costs.
MAX_FILE_BYTES = const(512)
_CRC_MARK = b', "crc": '

# Electrode pads offered in the menu, "width x height" in cm. The area feeds
# the current density limits (docs/safety-limits.md), so only listed sizes count.
PAD_CHOICES = ("4x4", "5x5", "5x9", "5x10", "10x10")

# name, kind ("int" with min and max / "bool" / "pad"), default, min, max.
# Defaults and ranges are project choices; max_ma is further capped by the
# board's envelope (apply_limits never widens it).
FIELDS = (
    ("max_ma", "int", 50, 1, 80),        # user amplitude cap, mA (80 mA is the hard cap)
    ("pad", "pad", "5x5", 0, 0),
    ("contrast", "int", 128, 0, 255),    # SSD1306 contrast register
    ("console", "bool", False, 0, 0),    # bench console may control output
    ("bench", "bool", False, 0, 0),      # bench mode: extra diagnostics on screen
    # Longest session, for sessions started after it is set
    # (Controller.set_session_cap). 60 = the hard cap of docs/safety-limits.md, so by
    # default each program runs its own length.
    ("session_min", "int", 60, 1, 60),
    # Console lease: output the console started or raised stops when no console
    # line has come for this long (5 s: a host that is gone is noticed within
    # seconds, and a bench tool polling twice a second keeps it easily).
    ("lease_s", "int", 5, 1, 60),
    # Channel lock: with both channels running, UP/DOWN move both together.
    ("lock", "bool", False, 0, 0),
    # Pain diary: a pain score 0-10 asked before and after each session started
    # at the device (skippable); off by default.
    ("diary", "bool", False, 0, 0),
    # Skin care: after this many hours of stimulation on one channel's pads a
    # reminder suggests moving them a little (0: off). 4 h, two days of two
    # 30-minute sessions on the same spot: project choice (docs/device-app.md).
    ("skin_h", "int", 4, 0, 24),
)


def pad_area_mm2(pad):
    """Area in mm2 of a PAD_CHOICES entry, or -1 if it is not one."""
    if pad not in PAD_CHOICES:
        return -1
    w, h = pad.split("x")
    return int(w) * int(h) * 100


def check_field(name, value):
    """None when value is valid for the named field, else a short reason."""
    for fname, kind, _default, lo, hi in FIELDS:
        if fname != name:
            continue
        if kind == "bool":
            return None if isinstance(value, bool) else "not true/false"
        if kind == "pad":
            return None if (isinstance(value, str) and value in PAD_CHOICES) else "unknown pad"
        if not isinstance(value, int) or isinstance(value, bool):
            return "not an integer"
        if value < lo or value > hi:
            return "outside %d-%d" % (lo, hi)
        return None
    return "unknown setting"


class Settings:
    def __init__(self):
        for name, _kind, default, _lo, _hi in FIELDS:
            setattr(self, name, default)

    def set(self, name, value):
        """Change one field; returns None, or the reason it was refused (unchanged)."""
        reason = check_field(name, value)
        if reason is None:
            setattr(self, name, value)
        return reason

    def area_mm2(self):
        return pad_area_mm2(self.pad)

    def session_s(self):
        return self.session_min * 60

    def max_ua(self):
        return self.max_ma * 1000

    def lease_ms(self):
        return self.lease_s * 1000

    def same_as(self, other):
        for name, _kind, _default, _lo, _hi in FIELDS:
            if getattr(self, name) != getattr(other, name):
                return False
        return True

    def apply_limits(self, env):
        """Lower the envelope's peak current to the user's cap (never raises it)."""
        if self.max_ua() < env.max_peak_ua:
            env.tighten({"max_peak_ua": self.max_ua()})
        return env

    def __repr__(self):
        return "Settings(%s)" % ", ".join(
            "%s=%r" % (f[0], getattr(self, f[0])) for f in FIELDS)


def _json_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "%d" % value
    return '"%s"' % value   # only PAD_CHOICES strings reach here: nothing to escape


def encode(settings):
    body = '{"version": %d' % VERSION
    for name, _kind, _default, _lo, _hi in FIELDS:
        body += ', "%s": %s' % (name, _json_value(getattr(settings, name)))
    data = body.encode()
    return data + _CRC_MARK + ("%d}" % crc32(data)).encode()


def decode(data):
    """(Settings, notice): notice is None for a good file, else a short text for
    the screen saying what was wrong and that defaults stand in."""
    if data is None:
        return Settings(), "No settings saved: defaults"
    try:
        return _decode(data)
    except Exception:  # corrupt bytes may trip anything in the parser
        return Settings(), "Settings corrupt: defaults"


def _decode(data):
    corrupt = Settings(), "Settings corrupt: defaults"
    if len(data) > MAX_FILE_BYTES:
        return corrupt
    obj = json.loads(bytes(data).decode())
    if not isinstance(obj, dict):
        return corrupt
    if "crc" not in obj:
        return Settings(), "Settings: no CRC, defaults (console off)"
    at = data.rfind(_CRC_MARK)
    if at < 0 or obj["crc"] != crc32(data[:at]):
        return corrupt
    if obj.get("version", VERSION) != VERSION:
        return Settings(), "Settings version unknown: defaults"
    s = Settings()
    bad = None
    for name in obj:
        if name in ("crc", "version"):
            continue
        if s.set(name, obj[name]) is not None and bad is None:
            bad = "Setting %s bad: default used" % name
    missing = None
    for name, _kind, _default, _lo, _hi in FIELDS:
        if name not in obj and missing is None:
            missing = "Setting %s missing: default" % name
    # The most serious problem is the one the screen has room for.
    return s, bad or missing


def load(storage, name=FILE_NAME):
    """(Settings, notice). Never raises: a failing flash reads as missing."""
    try:
        data = storage.read(name)
    except Exception:
        return Settings(), "Settings unreadable: defaults"
    return decode(data)


def save(storage, settings, name=FILE_NAME):
    """Write atomically. None on success, else a notice; the old file is then
    still the one that loads."""
    try:
        storage.write_atomic(name, encode(settings))
    except OSError as e:
        if e.args and e.args[0] == 28:
            return "Settings not saved: flash full"
        return "Settings not saved: error %s" % (e.args[0] if e.args else "?")
    return None
