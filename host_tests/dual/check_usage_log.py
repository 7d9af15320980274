# Usage log ring on both runtimes, over in-memory storage: records round-trip,
# the ring stays bounded, a power cut or a full flash never loses older records.
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from dualcheck import eq, true
from tools.sim.models.flash import MemStorage
from ustim.core import crc, usage_log
from ustim.core.usage_log import NO_PAIN, RECORD_SIZE, UsageLog


def _session(i):
    # start_s, program, channel, duration_s, peak_ua, mean_ua, charge_nc, fault,
    # end, pain before, pain after, pad time (10 min)
    return (1000 + 60 * i, i % 8, i % 2, 1200 + i, 40000 + i, 30000 + i,
            5000000000 + i, i % 3, i % 6, i % 11, NO_PAIN if i % 4 == 0 else (i + 3) % 11,
            i % 256)


def _filled(slots, count):
    store = MemStorage()
    log = UsageLog(store, slots=slots)
    eq(log.open(), None, "open on an empty store")
    for i in range(count):
        eq(log.append(*_session(i)), None, "append %d", i)
    return store, log


def _fields(i):
    s = _session(i)
    return (i,) + s


def check_crc32_matches_binascii_and_known_value():
    eq(crc.crc32_py(b"123456789"), 0xCBF43926, "CRC-32 check value")
    eq(crc.crc32(b"123456789"), 0xCBF43926, "runtime crc32 check value")
    # crc32_py works in big ints on 32-bit MicroPython: keep these short.
    data = bytearray(range(100))
    for n in (0, 1, 7, 36, 100):
        eq(crc.crc32_py(data[:n]), crc.crc32(data[:n]), "crc of %d bytes", n)


def check_records_round_trip_oldest_first():
    store, log = _filled(8, 5)
    recs = log.records()
    eq(len(recs), 5, "count")
    for i in range(5):
        eq(recs[i].fields(), _fields(i), "record %d", i)
    eq(store.size("usage.bin"), 8 * RECORD_SIZE, "file is full size from the start")


def check_ring_is_bounded_and_keeps_newest():
    store, log = _filled(8, 21)
    recs = log.records()
    eq([r.seq for r in recs], list(range(13, 21)), "newest 8 kept")
    eq(recs[-1].fields(), _fields(20), "newest record")
    eq(store.size("usage.bin"), 8 * RECORD_SIZE, "size bounded")
    again = UsageLog(store, slots=8)
    eq(again.open(), None, "reopen")
    eq(again.next_seq, 21, "continues after the newest")


def check_truncation_at_every_byte():
    slots = 6
    store, _log = _filled(slots, 6)
    data = store.read("usage.bin")
    for k in range(len(data) + 1):
        recs, damaged = usage_log.parse(data[:k], slots)
        whole = k // RECORD_SIZE
        eq(len(recs), whole, "truncated to %d bytes", k)
        eq(damaged, 1 if k % RECORD_SIZE else 0, "damaged slots at %d", k)
    store.files["usage.bin"] = bytearray(data[:100])
    log = UsageLog(store, slots=slots)
    true(log.open() is not None, "damage is reported")
    eq(log.next_seq, 2, "continues after the last whole record")
    eq(store.size("usage.bin"), slots * RECORD_SIZE, "file grown back to full size")
    eq(log.append(*_session(2)), None, "append after truncation")
    eq([r.seq for r in log.records()], [0, 1, 2], "records after repair")


def check_full_flash_is_a_notice_and_keeps_records():
    store = MemStorage(capacity=2 * RECORD_SIZE)
    log = UsageLog(store, slots=4)
    notice = log.open()
    true(notice is not None and "28" in notice, "cannot size the file: %r", notice)
    store.capacity = -1
    eq(log.open(), None, "opens once there is room")
    eq(log.append(*_session(0)), None, "first record")
    store.capacity = store.used()
    eq(log.append(*_session(1)), None, "in-place write needs no new space")
    store.capacity = 0
    store.files["usage.bin"] = store.files["usage.bin"][:RECORD_SIZE * 2]

    def failing_write(name, offset, data):
        raise OSError(28)
    store.write_at = failing_write
    notice = log.append(*_session(2))
    true(notice is not None and "28" in notice, "write failure noticed: %r", notice)
    eq([r.seq for r in log.records()], [0, 1], "older records intact")
    eq(log.next_seq, 2, "the failed record is retried in the same slot")


def check_out_of_range_values_are_refused():
    store, log = _filled(4, 1)
    for bad in ((-1, 0, 0, 1, 1, 1, 1, 0), (0, 256, 0, 1, 1, 1, 1, 0),
                (0, 0, 0, 1, 1 << 32, 1, 1, 0), (0, 0, 0, 1, 1, 1, -5, 0),
                (0, 0, 0, True, 1, 1, 1, 0)):
        true(log.append(*bad) is not None, "refused %r", bad)
    eq(len(log.records()), 1, "nothing written")
    eq(log.next_seq, 1, "sequence unchanged")


def check_garbage_file_never_raises():
    store = MemStorage()
    store.files["usage.bin"] = bytearray(b"\xc5" * 50 + b"junk" * 30)
    log = UsageLog(store, slots=4)
    true(log.open() is not None, "damage noticed")
    eq(log.records(), [], "no records from junk")
    eq(log.append(*_session(0)), None, "append over junk")
    eq(len(log.records()), 1, "one record")
