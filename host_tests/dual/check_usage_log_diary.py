# The usage log's diary fields and year-long ring on both runtimes: the pain
# scores, how the session ended and the pad time round-trip; a record is
# amended in place (pain after, pad time reset) and survives a reboot; records
# are read one at a time, newest first in pages; the default ring holds a year
# of two sessions a day on both channels; bad values are refused, unchanged.
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from dualcheck import eq, true
from tools.sim.models.flash import MemStorage
from ustim.core import usage_log as U


def _log(slots=16, store=None):
    store = store or MemStorage()
    log = U.UsageLog(store, slots=slots)
    eq(log.open(), None, "open")
    return store, log


def _add(log, i, ch=0, pain=(3, U.NO_PAIN), end=U.END_TIMER, pad10=0):
    eq(log.append(86400 * i, 1, ch, 1800, 20000, 19000, 3000000000, 0, end, pain[0], pain[1],
                  pad10), None, "append %d", i)


def check_year_of_daily_use_fits_the_default_ring():
    eq(U.DEFAULT_SLOTS >= 366 * 2 * 2, True, "a leap year of 2 sessions a day on 2 channels")
    eq(U.DEFAULT_SLOTS * U.RECORD_SIZE, 58560, "file bytes")
    true(U.DEFAULT_SLOTS * U.RECORD_SIZE < 1408 * 1024 // 20, "under 5 % of the Pico's 1.4 MB")
    store, log = _log(U.DEFAULT_SLOTS)
    eq(store.size(U.FILE_NAME), 58560, "the file is made full size at once")
    for i in range(3):
        _add(log, i, i % 2)
    again = U.UsageLog(store)
    eq(again.open(), None, "reopen")
    eq(again.next_seq, 3, "continues")
    eq([r.seq for r in again.newest(10)], [0, 1, 2], "records")


def check_diary_fields_round_trip_and_amend_survives_a_reboot():
    store, log = _log()
    _add(log, 0, 0, (7, U.NO_PAIN), U.END_STOP, 12)
    _add(log, 1, 1, (U.NO_PAIN, U.NO_PAIN), U.END_BATTERY, 40)
    r = log.newest(1)[0]
    eq((r.pain_before, r.pain_after, r.end, r.pad10), (U.NO_PAIN, U.NO_PAIN, U.END_BATTERY, 40),
       "fields")
    eq(log.amend(0, 2), None, "pain after")
    eq(log.amend(1, -1, 0), None, "pad time reset")
    again = U.UsageLog(store, slots=16)
    eq(again.open(), None, "reopen")
    recs = again.records()
    eq([(x.pain_before, x.pain_after, x.end, x.pad10) for x in recs],
       [(7, 2, U.END_STOP, 12), (U.NO_PAIN, U.NO_PAIN, U.END_BATTERY, 0)], "amended")
    eq(again.last_seq, [0, 1], "newest record per channel")
    eq(again.last_pad10, [12, 0], "pad time per channel")
    eq(U.END_NAMES[U.END_BATTERY], "battery", "end names")


def check_amend_refuses_what_it_cannot_do():
    store, log = _log(4)
    for i in range(6):
        _add(log, i)
    before = bytes(store.files[U.FILE_NAME])
    true(log.amend(1, 5) is not None, "overwritten record")
    true(log.amend(6, 5) is not None, "not written yet")
    true(log.amend(5, 11) is not None, "pain above 10")
    true(log.amend(5, -1, 256) is not None, "pad time too large")
    eq(bytes(store.files[U.FILE_NAME]), before, "nothing changed")


def check_bad_diary_values_are_refused():
    store, log = _log(4)
    for pain, end, pad in (((11, U.NO_PAIN), 0, 0), ((0, 12), 0, 0), ((0, 0), 6, 0),
                           ((0, 0), 0, 256), ((-1, 0), 0, 0)):
        true(log.append(0, 1, 0, 60, 1, 1, 1, 0, end, pain[0], pain[1], pad) is not None,
             "refused %r %r %r", pain, end, pad)
    eq(log.next_seq, 0, "nothing written")
    eq(log.records(), [], "no records")


def check_newest_pages_back_through_the_ring():
    store, log = _log(8)
    for i in range(11):
        _add(log, i)
    eq([r.seq for r in log.newest(3)], [8, 9, 10], "newest three")
    eq([r.seq for r in log.newest(3, 8)], [5, 6, 7], "the page before")
    eq([r.seq for r in log.newest(10, 5)], [3, 4], "back to the oldest kept")
    eq(log.newest(3, 3), [], "nothing older is kept")
    # A damaged slot is skipped, the rest still read.
    store.files[U.FILE_NAME][(9 % 8) * U.RECORD_SIZE + 6] ^= 0x40
    eq([r.seq for r in log.newest(3)], [7, 8, 10], "damaged record skipped")


def check_a_log_of_the_earlier_format_is_named_and_overwritten():
    store = MemStorage()
    # 64 records of 36 bytes, magic 0xC5: what the earlier firmware wrote.
    old = bytearray(64 * 36)
    for i in range(64):
        old[i * 36] = 0xC5
        old[i * 36 + 4] = i
    store.files[U.FILE_NAME] = old
    log = U.UsageLog(store, slots=16)
    eq(log.open(), "Usage log: old format, new log", "named, not counted as damage")
    eq((log.next_seq, log.records()), (0, []), "a new log")
    _add(log, 0)
    eq([r.seq for r in log.records()], [0], "written over it")
