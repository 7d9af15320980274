# Usage log: one fixed-size binary record per session, in a ring file of
# `slots` records on flash. Pure logic over the storage interface of
# ustim.hal.storage (read / write_at / size).
#
# Record (little endian, RECORD_SIZE bytes):
#   0  B  magic (format version)      16  I  peak amplitude, uA
#   1  B  program id                  20  I  mean amplitude, uA
#   2  B  channel (0 or 1)            24  Q  charge delivered, nC (one phase's
#   3  B  fault kind, 0 = none                worth per pulse, summed)
#   4  I  sequence number             32  I  CRC-32 of bytes 0-31
#   8  I  start time, s (RTC seconds if set, else seconds since boot)
#  12  I  duration, s
#
# Record n lives in slot n % slots, so writing one record touches one slot and
# never the others: a power cut at any byte damages at most the slot being
# written (which then fails its CRC or its slot check and is skipped) while
# every older record survives. The newest record is the highest sequence
# number; a new boot continues after it. Charge needs 64 bits: 50 mA rms for
# 60 min is over 2**32 nC.
import struct

from micropython import const

from ustim.core.crc import crc32

FILE_NAME = "usage.bin"
MAGIC = const(0xC5)
RECORD_SIZE = const(36)
DEFAULT_SLOTS = const(64)
_BODY = const(32)
_FORMAT = "<BBBBIIIIIQ"
_U32 = const(0xFFFFFFFF)


class Record:
    def __init__(self, seq, start_s, program, channel, duration_s, peak_ua, mean_ua,
                 charge_nc, fault):
        self.seq = seq
        self.start_s = start_s
        self.program = program
        self.channel = channel
        self.duration_s = duration_s
        self.peak_ua = peak_ua
        self.mean_ua = mean_ua
        self.charge_nc = charge_nc
        self.fault = fault

    def fields(self):
        return (self.seq, self.start_s, self.program, self.channel, self.duration_s,
                self.peak_ua, self.mean_ua, self.charge_nc, self.fault)

    def __repr__(self):
        return ("Record(seq=%d start=%d prog=%d ch=%d dur=%d peak=%d mean=%d nC=%d "
                "fault=%d)" % self.fields())


def _in_range(value, top):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def pack_into(buf, seq, start_s, program, channel, duration_s, peak_ua, mean_ua,
              charge_nc, fault):
    """Fill buf (RECORD_SIZE bytes) with a record. False, buf untouched, when a
    value does not fit its field."""
    for value, top in ((program, 255), (channel, 255), (fault, 255), (seq, _U32),
                       (start_s, _U32), (duration_s, _U32), (peak_ua, _U32),
                       (mean_ua, _U32), (charge_nc, 0xFFFFFFFFFFFFFFFF)):
        if not _in_range(value, top):
            return False
    struct.pack_into(_FORMAT, buf, 0, MAGIC, program, channel, fault, seq, start_s,
                     duration_s, peak_ua, mean_ua, charge_nc)
    struct.pack_into("<I", buf, _BODY, crc32(memoryview(buf)[:_BODY]))
    return True


def unpack(data, offset, slot, slots):
    """The Record in data at offset, or None if that slot is empty, torn or not
    the record that belongs in slot."""
    if len(data) - offset < RECORD_SIZE or data[offset] != MAGIC:
        return None
    body = memoryview(data)[offset:offset + _BODY]
    if struct.unpack_from("<I", data, offset + _BODY)[0] != crc32(body):
        return None
    v = struct.unpack_from(_FORMAT, data, offset)
    if v[4] % slots != slot:
        return None
    return Record(v[4], v[5], v[1], v[2], v[6], v[7], v[8], v[9], v[3])


def parse(data, slots=DEFAULT_SLOTS):
    """(records oldest first, damaged slot count) from a whole log file's bytes.
    Slots that were never written (all zero, or past the end) are not damage."""
    records = []
    damaged = 0
    if not data:
        return records, damaged
    for slot in range(slots):
        offset = slot * RECORD_SIZE
        if offset >= len(data):
            break
        rec = unpack(data, offset, slot, slots)
        if rec is not None:
            records.append(rec)
        elif any(data[offset:offset + RECORD_SIZE]):
            damaged += 1
    records.sort(key=lambda r: r.seq)
    return records, damaged


class UsageLog:
    def __init__(self, storage, name=FILE_NAME, slots=DEFAULT_SLOTS):
        self.storage = storage
        self.name = name
        self.slots = slots
        self.next_seq = 0
        self.damaged = 0
        self.opened = False
        self._buf = bytearray(RECORD_SIZE)

    def open(self):
        """Find where the ring continues and make the file full size. Returns
        None, or a notice for the screen. Never raises."""
        try:
            records, self.damaged = parse(self.storage.read(self.name), self.slots)
            self.next_seq = records[-1].seq + 1 if records else 0
            size = self.storage.size(self.name)
            full = self.slots * RECORD_SIZE
            if size < full:
                # Zero-filled slots read as empty; filling now means appends
                # never extend the file, which is the slow, risky operation.
                start = max(size, 0)
                self.storage.write_at(self.name, start, bytes(full - start))
        except OSError as e:
            return "Usage log unavailable (%s)" % (e.args[0] if e.args else "?")
        except Exception:
            return "Usage log unreadable"
        self.opened = True
        if self.damaged:
            return "Usage log: %d damaged record(s) skipped" % self.damaged
        return None

    def append(self, start_s, program, channel, duration_s, peak_ua, mean_ua, charge_nc,
               fault=0):
        """Write one session record. None on success, else a notice (never raises)."""
        if not self.opened:
            notice = self.open()
            if not self.opened:
                return notice
        seq = self.next_seq & _U32
        if not pack_into(self._buf, seq, start_s, program, channel, duration_s, peak_ua,
                         mean_ua, charge_nc, fault):
            return "Usage log: value out of range"
        try:
            self.storage.write_at(self.name, (seq % self.slots) * RECORD_SIZE, self._buf)
        except OSError as e:
            # The slot may now be torn; the next append rewrites the same slot.
            return "Usage log not written (%s)" % (e.args[0] if e.args else "?")
        self.next_seq = seq + 1
        return None

    def records(self):
        """Every intact record, oldest first ([] if the log cannot be read)."""
        try:
            return parse(self.storage.read(self.name), self.slots)[0]
        except Exception:
            return []
