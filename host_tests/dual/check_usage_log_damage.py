# Usage log damage on both runtimes: a byte corrupted anywhere loses at most
# the record it is in (the power cut at any byte of an append:
# check_usage_log_cut.py). Own modules: the MicroPython runner keeps GC off.
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from check_usage_log import _filled
from dualcheck import eq, true
from ustim.core import usage_log
from ustim.core.usage_log import RECORD_SIZE


def check_corruption_at_every_byte_loses_only_that_record():
    slots = 5
    store, _log = _filled(slots, 5)
    buf = bytearray(store.read("usage.bin"))
    for k in range(len(buf)):
        old = buf[k]
        buf[k] = old ^ 0x10
        recs, damaged = usage_log.parse(buf, slots)
        buf[k] = old
        lost = k // RECORD_SIZE
        eq(damaged, 1, "byte %d damage counted", k)
        eq(len(recs), slots - 1, "byte %d: one record lost", k)
        for r in recs:
            true(r.seq != lost, "byte %d: damaged record %d not returned", k, lost)
