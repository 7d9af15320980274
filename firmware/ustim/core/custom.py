# Custom programs from programs.json (format: docs/programs.md).
#
# load() never raises on bad input: a malformed file, a wrong type or an
# entry outside the envelope becomes a Rejected message naming the program,
# the field and the bound, and every good entry still loads. Each entry passes
# programs.check_program, the same check the presets pass.
import json

from micropython import const

from ustim.core.programs import PRESETS, Program, check_program

MAX_FILE_BYTES = const(16384)   # project choice: parsing must fit a small heap
MAX_PROGRAMS = const(32)        # project choice
ID_MAX = const(8)
ID_INT_MAX = const(9999)
DEFAULT_RAMP_DOWN_MS = const(1000)   # project choice, as in the presets
FIRST_NUM = const(100)    # Program.num of the file's first entry (log id)

# JSON field -> Program attribute, and the factor from the file's unit.
_NUMBERS = (
    ("freq_hz", "hz", 1),
    ("phase_us", "phase_us", 1),
    ("gap_us", "gap_us", 1),
    ("burst_pulses", "burst_n", 1),
    ("burst_hz", "burst_hz", 1),
    ("alt_hz", "alt_hz", 1),
    ("alt_s", "alt_ms", 1000),
    ("sweep_hz", "sweep_hz", 1),
    ("sweep_s", "sweep_ms", 1000),
    ("on_s", "on_ms", 1000),
    ("off_s", "off_ms", 1000),
    ("ramp_s", None, 1000),
    ("ramp_up_s", "ramp_up_ms", 1000),
    ("ramp_down_s", "ramp_down_ms", 1000),
    ("minutes", "session_s", 60),
)
_REQUIRED = ("id", "name", "kind", "freq_hz", "phase_us")
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


class Rejected:
    """Why an entry (or the whole file, program None) was not loaded.
    refusal is the envelope's limits.Refusal when a limit was the reason."""

    def __init__(self, program, field, text, refusal=None):
        self.program = program
        self.field = field
        self.text = text
        self.refusal = refusal
        self.tag = None    # the entry's id, or "#n" when it has no valid one

    def short(self):
        """The refusal for the OLED's notice: program and field (a field name
        from the file cut to a screen line)."""
        if self.tag is None:
            return "Bad program file"
        return "%s: %s" % (self.tag, self.field[:16] if self.field else "refused")

    def __str__(self):
        where = "programs.json" if self.program is None else "program %s" % self.program
        if self.field is not None:
            where += ": field %s" % self.field
        return "%s: %s" % (where, self.text)

    __repr__ = __str__


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_id(v):
    if _is_int(v):
        return 0 <= v <= ID_INT_MAX
    if not isinstance(v, str) or not 0 < len(v) <= ID_MAX:
        return False
    for c in v:
        if c not in _ID_CHARS:
            return False
    return True


def _valid_name(v):
    if not isinstance(v, str) or not 0 < len(v) <= 16:
        return False
    for c in v:
        if not 32 <= ord(c) < 127:   # the OLED font is printable ASCII
            return False
    return True


def _label(entry, index):
    pid = entry.get("id") if isinstance(entry, dict) else None
    if _valid_id(pid):
        return "%r (#%d)" % (pid, index + 1)
    return "#%d" % (index + 1)


def _tag(entry, index):
    pid = entry.get("id") if isinstance(entry, dict) else None
    return str(pid) if _valid_id(pid) else "#%d" % (index + 1)


def _build(env, entry, label, taken, num):
    """A checked Program, or a Rejected."""
    if not isinstance(entry, dict):
        return Rejected(label, None, "entry must be a JSON object")
    known = [n[0] for n in _NUMBERS] + ["id", "name", "kind"]
    for key in entry:
        if key not in known:
            return Rejected(label, str(key), "unknown field")
    for key in _REQUIRED:
        if key not in entry:
            return Rejected(label, key, "missing")
    pid = entry["id"]
    if not _valid_id(pid):
        return Rejected(label, "id", "must be 1-%d of a-z 0-9 _ - or an integer 0-%d" % (
            ID_MAX, ID_INT_MAX))
    if pid in taken:
        return Rejected(label, "id", "already used by another program")
    if not _valid_name(entry["name"]):
        return Rejected(label, "name", "must be 1-16 printable ASCII characters")
    kind = entry["kind"]
    if not isinstance(kind, str) or kind.upper() not in ("TENS", "EMS"):
        return Rejected(label, "kind", 'must be "TENS" or "EMS"')
    ems = kind.upper() == "EMS"
    for key, _, _ in _NUMBERS:
        if key in entry and not _is_int(entry[key]):
            return Rejected(label, key, "must be a whole number")
    if "ramp_s" in entry and ("ramp_up_s" in entry or "ramp_down_s" in entry):
        return Rejected(label, "ramp_s", "give ramp_s or ramp_up_s/ramp_down_s, not both")
    cycles = entry.get("on_s", 0) != 0 or entry.get("off_s", 0) != 0
    for key in ("ramp_s", "ramp_up_s", "ramp_down_s"):
        if key in entry and not cycles:
            return Rejected(label, key, "ramps need on_s and off_s")
    if entry.get("burst_pulses", 1) == 1 and "burst_hz" in entry:
        return Rejected(label, "burst_hz", "needs burst_pulses above 1")

    prog = Program(pid, entry["name"], ems, 0, 0, (20 if ems else 30) * 60, num=num)
    if cycles:
        prog.ramp_up_ms = env.min_ramp_ms
        prog.ramp_down_ms = DEFAULT_RAMP_DOWN_MS
    for key, attr, scale in _NUMBERS:
        if key not in entry:
            continue
        value = entry[key] * scale
        if attr is None:
            prog.ramp_up_ms = value
            prog.ramp_down_ms = value
        else:
            setattr(prog, attr, value)
    bad = check_program(env, prog)
    if bad is not None:
        field, refusal = bad
        if field.startswith("ramp_") and "ramp_s" in entry:
            field = "ramp_s"
        return Rejected(label, field, str(refusal), refusal)
    return prog


def load(data, env, taken=None):
    """Parse programs.json bytes. Returns (programs, rejected): the entries that
    passed every check, in file order, and a Rejected for each that did not.
    taken: ids already in use (default: the presets')."""
    programs = []
    rejected = []
    try:
        if taken is None:
            taken = [p.pid for p in PRESETS]
        else:
            taken = list(taken)
        if not isinstance(data, (bytes, bytearray, str)):
            return programs, [Rejected(None, None, "not bytes")]
        if len(data) > MAX_FILE_BYTES:
            return programs, [Rejected(None, None, "file over %d bytes" % MAX_FILE_BYTES)]
        try:
            text = data if isinstance(data, str) else bytes(data).decode("utf-8")
            doc = json.loads(text)
        except Exception:
            return programs, [Rejected(None, None, "not valid JSON")]
        if not isinstance(doc, dict) or not isinstance(doc.get("programs"), list):
            return programs, [Rejected(None, "programs", 'needs {"programs": [...]}')]
        entries = doc["programs"]
        for i in range(len(entries)):
            label = _label(entries[i], i)
            if i >= MAX_PROGRAMS:
                # One refusal for the whole rest: a file of a thousand tiny
                # entries must not become a thousand messages in RAM.
                got = Rejected(label, None, "more than %d programs: %d not loaded" % (
                    MAX_PROGRAMS, len(entries) - i))
            else:
                got = _build(env, entries[i], label, taken, FIRST_NUM + i)
            if isinstance(got, Rejected):
                got.tag = _tag(entries[i], i)
                rejected.append(got)
                if i >= MAX_PROGRAMS:
                    break
            else:
                taken.append(got.pid)
                programs.append(got)
    except Exception as e:   # a file must never stop the firmware
        rejected.append(Rejected(None, None, "unreadable (%s)" % type(e).__name__))
    return programs, rejected


def load_file(storage, env, name):
    """Load the programs file `name` from storage (read(name), size(name): the
    interface of ustim.hal.storage). Returns (programs, notices): notices hold
    a (text, short) pair of plain strings per refusal, the text as above and a
    short form for the OLED, so nothing of this module outlives the call. A
    missing file gives ([], []). Never raises."""
    try:
        size = storage.size(name)
        if size < 0:
            return [], []
        if size > MAX_FILE_BYTES:
            # Refused before it is read: its bytes would not fit the heap.
            programs, rejected = [], [Rejected(None, None, "file over %d bytes" % MAX_FILE_BYTES)]
        else:
            programs, rejected = load(storage.read(name), env)
    except Exception as e:   # a flash error must not stop the boot
        programs, rejected = [], [Rejected(None, None, "unreadable (%s)" % type(e).__name__)]
    return programs, [(str(r), r.short()) for r in rejected]
