# Settings: encode/validate/load on both runtimes, over in-memory storage.
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from dualcheck import eq, true
from tools.sim.models.flash import MemStorage, PowerCut
from ustim.core import limits, settings
from ustim.core.crc import crc32


def _custom():
    s = settings.Settings()
    s.set("max_ma", 35)
    s.set("pad", "5x9")
    s.set("contrast", 200)
    s.set("console", True)
    s.set("bench", True)
    s.set("session_min", 20)
    s.set("lease_s", 10)
    return s


def _is_defaults(s):
    return s.same_as(settings.Settings())


def _signed(body):
    # A file as encode() ends it: the CRC-32 of everything before its key.
    data = body.encode()
    return data + (', "crc": %d}' % crc32(data)).encode()


def check_round_trip_keeps_every_field():
    s = _custom()
    got, notice = settings.decode(settings.encode(s))
    eq(notice, None, "notice for a good file")
    true(got.same_as(s), "round trip %r", got)
    eq(got.area_mm2(), 4500, "5x9 cm pad")
    eq(got.session_s(), 1200, "session seconds")
    eq(got.lease_ms(), 10000, "lease milliseconds")


def check_defaults_and_pad_areas():
    s = settings.Settings()
    eq((s.max_ma, s.pad, s.contrast, s.console, s.bench, s.session_min, s.lease_s),
       (50, "5x5", 128, False, False, 60, 5),
       "defaults (60 min: programs run their own length; a 5 s console lease)")
    eq(s.area_mm2(), 2500, "5x5 cm")
    eq(settings.pad_area_mm2("10x10"), 10000, "10x10 cm")
    eq(settings.pad_area_mm2("3x3"), -1, "unlisted pad")


def check_no_stimulation_state_is_a_setting():
    # Nothing resumes after a reset: there is no field that could carry an
    # amplitude or a running program into the next boot.
    names = [f[0] for f in settings.FIELDS]
    for word in ("amp", "program", "level", "running"):
        for name in names:
            true(word not in name, "setting %s looks like output state", name)
    data = _signed('{"version": 1, "max_ma": 40, "pad": "5x5", "contrast": 1, "console": false,'
                   ' "bench": false, "session_min": 30, "lease_s": 5, "amplitude_ua": 20000')
    s, notice = settings.decode(data)
    true(notice is not None, "unknown field noticed")
    true(not hasattr(s, "amplitude_ua"), "unknown field not stored")
    eq(s.max_ma, 40, "valid fields kept")


def check_missing_file_gives_defaults_and_notice():
    s, notice = settings.load(MemStorage())
    true(_is_defaults(s), "defaults")
    true(notice is not None and "default" in notice, "notice %r", notice)


def check_truncation_at_every_byte():
    data = settings.encode(_custom())
    for k in range(len(data)):
        s, notice = settings.decode(data[:k])
        true(_is_defaults(s) and notice is not None, "truncated to %d bytes: %r %r", k, s,
             notice)


def check_field_validation_type_and_range():
    # A file with a good CRC is still checked field by field: a bad field falls
    # back to its default with a notice, good fields are kept.
    bad = (("max_ma", "0"), ("max_ma", "81"), ("max_ma", "true"), ("max_ma", '"50"'),
           ("max_ma", "50.0"), ("pad", '"3x3"'), ("pad", "5"), ("contrast", "256"),
           ("contrast", "-1"), ("console", "1"), ("bench", '"yes"'), ("session_min", "0"),
           ("session_min", "61"), ("session_min", "null"), ("lease_s", "0"), ("lease_s", "61"))
    for name, text in bad:
        s, notice = settings.decode(_signed('{"version": 1, "contrast": 7, "%s": %s' % (
            name, text)))
        true(notice is not None and name in notice, "%s=%s notice %r", name, text, notice)
        if name != "contrast":
            eq(s.contrast, 7, "good field kept beside bad %s", name)


def check_a_file_without_a_valid_crc_gives_defaults_with_console_off():
    # Copied onto the flash by hand (the REPL, mpremote cp): whatever it says,
    # console control stays off until someone at the device switches it on.
    good = settings.encode(_custom())
    at = good.rfind(b', "crc"')
    for data in (good[:at] + b"}", good[:at] + b', "crc": 1}',
                 good.replace(b'"console": true', b'"console": false')):
        s, notice = settings.decode(data)
        true(_is_defaults(s) and not s.console, "%r gives defaults", data[-30:])
        true(notice is not None and "default" in notice, "and says so: %r", notice)
    eq(settings.decode(settings.encode(_custom()))[0].console, True, "a saved file keeps it")


def check_set_refuses_and_keeps_old_value():
    s = settings.Settings()
    true(s.set("max_ma", 81) is not None, "81 mA refused")
    true(s.set("console", 1) is not None, "int for bool refused")
    true(s.set("nope", 1) is not None, "unknown refused")
    eq(s.max_ma, 50, "unchanged")
    eq(s.set("max_ma", 80), None, "80 mA accepted")


def check_wrong_shapes_give_defaults():
    for data in (b"[1, 2]", b"null", b"7", b'"x"', b"{", b"\xff\xfe{}", b"{}" + b" " * 600,
                 b'{"version": 2, "max_ma": 30}'):
        s, notice = settings.decode(data)
        true(_is_defaults(s) and notice is not None, "%r gives defaults", data)


def check_full_flash_keeps_old_file():
    store = MemStorage()
    eq(settings.save(store, _custom()), None, "first save")
    store.capacity = store.used() + 40   # room for part of a temp file only
    newer = _custom()
    newer.set("max_ma", 20)
    notice = settings.save(store, newer)
    true(notice is not None and "full" in notice, "full flash noticed: %r", notice)
    s, notice = settings.load(store)
    eq(notice, None, "old file still good")
    true(s.same_as(_custom()), "old values kept")
    eq(sorted(store.files), ["settings.json"], "no temp file left")


def check_power_cut_at_every_byte_of_a_save():
    store = MemStorage()
    settings.save(store, _custom())
    newer = _custom()
    newer.set("contrast", 9)
    size = len(settings.encode(newer))
    for k in range(0, size, 3):
        store.cut_after = k
        try:
            settings.save(store, newer)
            true(False, "power cut after %d bytes not raised", k)
        except PowerCut:
            pass
        s, notice = settings.load(store)
        true(notice is None and s.same_as(_custom()), "cut at %d: old settings", k)
    store.cut_after = -1
    eq(settings.save(store, newer), None, "save after the cuts")
    s, notice = settings.load(store)
    eq(s.contrast, 9, "new value after a whole save")


def check_user_cap_only_lowers_the_envelope():
    s = settings.Settings()
    s.set("max_ma", 30)
    env = s.apply_limits(limits.Envelope())
    eq(env.max_peak_ua, 30000, "user cap applied")
    s.set("max_ma", 80)
    board_env = limits.Envelope({"max_peak_ua": 60000})
    eq(s.apply_limits(board_env).max_peak_ua, 60000, "board cap not widened")
