# Settings file with one byte corrupted, at every offset, on both runtimes:
# always a notice, the values are the defaults, never an exception, never a
# different value.
# (Own module: the MicroPython runner keeps GC off.)
from dualcheck import eq, true
from ustim.core import settings


def _saved():
    s = settings.Settings()
    s.set("max_ma", 35)
    s.set("pad", "4x4")
    s.set("console", True)
    return s


def _corrupt_everywhere(flip):
    saved = _saved()
    data = settings.encode(saved)
    buf = bytearray(data)
    tried = 0
    for k in range(len(buf)):
        old = buf[k]
        if flip(old) == old:
            continue
        buf[k] = flip(old)
        s, notice = settings.decode(buf)
        buf[k] = old
        # Whatever byte is hit, the CRC key's included: the defaults (console
        # control off), with a notice. Nothing else may come out.
        true(notice is not None and s.same_as(settings.Settings()),
             "byte %d -> %r: %r %r", k, flip(old), s, notice)
        tried += 1
    return tried


def check_single_bit_flip_at_every_byte():
    eq(_corrupt_everywhere(lambda b: b ^ 0x01), len(settings.encode(_saved())), "all offsets")


def check_byte_set_to_other_digit_or_space_at_every_byte():
    # The nastiest corruption keeps the JSON valid: a digit changed to another
    # digit. Only the checksum catches it.
    tried = _corrupt_everywhere(
        lambda b: 0x30 + (b - 0x30 + 1) % 10 if 0x30 <= b <= 0x39 else 0x20)
    true(tried > 100, "most offsets changed (%d)", tried)
