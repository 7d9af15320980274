# Usage log on both runtimes: the power cut at any byte of an append loses at
# most the record being written. (Own module: the MicroPython runner keeps GC
# off, and the 40 appends and reboots need their own heap.)
import hostpaths  # noqa: F401  (tools.* on MicroPython)
from check_usage_log import _filled, _session
from dualcheck import eq, true
from tools.sim.models.flash import PowerCut
from ustim.core.usage_log import RECORD_SIZE, UsageLog


def check_power_cut_at_every_byte_of_an_append():
    slots = 4
    for k in range(RECORD_SIZE):
        store, _log = _filled(slots, 6)      # slots hold seq 2..5; next goes in slot 2
        store.cut_after = k
        log = UsageLog(store, slots=slots)
        log.open()
        try:
            log.append(*_session(6))
            true(False, "cut after %d bytes not raised", k)
        except PowerCut:
            pass
        # Reboot: the torn slot (which held the oldest record, seq 2) is
        # skipped - or, while the bytes written so far equal the old ones, still
        # reads as seq 2 - everything else is intact and the ring carries on.
        log = UsageLog(store, slots=slots)
        log.open()
        seqs = [r.seq for r in log.records()]
        true(seqs == [3, 4, 5] or seqs == [2, 3, 4, 5], "cut at %d: %r", k, seqs)
        eq(log.next_seq, 6, "cut at %d: next sequence", k)
        eq(log.append(*_session(6)), None, "append after the cut")
        eq([r.seq for r in log.records()], [3, 4, 5, 6], "cut at %d: after append", k)
