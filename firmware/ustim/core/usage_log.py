# Usage log: one fixed-size binary record per session, in a ring file of
# `slots` records on flash. Pure logic over the storage interface of
# ustim.hal.storage (read / read_into / write_at / size).
#
# Record (little endian, RECORD_SIZE bytes, format 2):
#   0  B  magic (format version)      16  I  peak amplitude, uA
#   1  B  program id                  20  I  mean amplitude, uA
#   2  B  channel (0 or 1)            24  Q  charge delivered, nC (one phase's
#   3  B  fault kind, 0 = none                worth per pulse, summed)
#   4  I  sequence number             32  B  how the session ended (END_*)
#   8  I  start time, s (wall clock   33  B  pain before, 0-10 (NO_PAIN: none)
#         once set, else since boot)  34  B  pain after, 0-10 (NO_PAIN: none)
#  12  I  duration, s                 35  B  stimulation on these pads after
#                                             it, in 10 min (255: 42.5 h or more)
#                                     36  I  CRC-32 of bytes 0-35
#
# Record n lives in slot n % slots, so writing one record touches one slot and
# never the others: a power cut at any byte damages at most the slot being
# written (which then fails its CRC or its slot check and is skipped) while
# every older record survives. The newest record is the highest sequence
# number; a new boot continues after it. Charge needs 64 bits: 50 mA rms for
# 60 min is over 2**32 nC.
#
# Sizing (docs/device-app.md): a year of daily use is 2 sessions a day on both
# channels, 4 records a day, 1464 for 366 days: DEFAULT_SLOTS. The file is
# 1464 * 40 = 58560 bytes, 4 % of the Pico's 1.4 MB filesystem. It is never read
# whole: the device reads SCAN_SLOTS records (640 bytes) at a time.
import struct

from micropython import const

from ustim.core.crc import crc32

FILE_NAME = "usage.bin"
MAGIC = const(0xC6)
_MAGIC_V1 = const(0xC5)       # the 36-byte records before the diary fields
RECORD_SIZE = const(40)
DEFAULT_SLOTS = const(1464)
SCAN_SLOTS = const(16)        # records per read while open() looks for the newest
NO_PAIN = const(255)
PAD_UNIT_S = const(600)       # the pad-time field counts 10-minute units
# How a session ended. A fault also has its kind in the fault field.
END_TIMER = const(0)          # the session timer ran out
END_STOP = const(1)           # stopped by the user (buttons or console)
END_FAULT = const(2)
END_BATTERY = const(3)        # the battery reached its stop level
END_ESTOP = const(4)          # POWER/STOP, power down, an internal error
END_LEASE = const(5)          # the console went silent
END_NAMES = ("timer", "stop", "fault", "battery", "estop", "lease")
_BODY = const(36)
_FORMAT = "<BBBBIIIIIQBBBB"
_U32 = const(0xFFFFFFFF)


class Record:
    def __init__(self, seq, start_s, program, channel, duration_s, peak_ua, mean_ua,
                 charge_nc, fault, end=END_TIMER, pain_before=NO_PAIN, pain_after=NO_PAIN,
                 pad10=0):
        self.seq = seq
        self.start_s = start_s
        self.program = program
        self.channel = channel
        self.duration_s = duration_s
        self.peak_ua = peak_ua
        self.mean_ua = mean_ua
        self.charge_nc = charge_nc
        self.fault = fault
        self.end = end
        self.pain_before = pain_before
        self.pain_after = pain_after
        self.pad10 = pad10

    def fields(self):
        return (self.seq, self.start_s, self.program, self.channel, self.duration_s,
                self.peak_ua, self.mean_ua, self.charge_nc, self.fault, self.end,
                self.pain_before, self.pain_after, self.pad10)

    def __repr__(self):
        return ("Record(seq=%d start=%d prog=%d ch=%d dur=%d peak=%d mean=%d nC=%d "
                "fault=%d end=%d pain=%d/%d pad10=%d)" % self.fields())


def _in_range(value, top):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def _pain_ok(v):
    return _in_range(v, 10) or v == NO_PAIN


def pack_into(buf, seq, start_s, program, channel, duration_s, peak_ua, mean_ua,
              charge_nc, fault, end=END_TIMER, pain_before=NO_PAIN, pain_after=NO_PAIN,
              pad10=0):
    """Fill buf (RECORD_SIZE bytes) with a record. False, buf untouched, when a
    value does not fit its field."""
    for value, top in ((program, 255), (channel, 255), (fault, 255), (seq, _U32),
                       (start_s, _U32), (duration_s, _U32), (peak_ua, _U32),
                       (mean_ua, _U32), (charge_nc, 0xFFFFFFFFFFFFFFFF),
                       (end, len(END_NAMES) - 1), (pad10, 255)):
        if not _in_range(value, top):
            return False
    if not (_pain_ok(pain_before) and _pain_ok(pain_after)):
        return False
    struct.pack_into(_FORMAT, buf, 0, MAGIC, program, channel, fault, seq, start_s,
                     duration_s, peak_ua, mean_ua, charge_nc, end, pain_before, pain_after,
                     pad10)
    seal(buf)
    return True


def seal(buf):
    struct.pack_into("<I", buf, _BODY, crc32(memoryview(buf)[:_BODY]))


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
    return Record(v[4], v[5], v[1], v[2], v[6], v[7], v[8], v[9], v[3], v[10], v[11], v[12],
                  v[13])


def parse(data, slots=DEFAULT_SLOTS):
    """(records oldest first, damaged slot count) from a whole log file's bytes
    (the bench tool's, for a file copied off the device). Slots that were never
    written (all zero, or past the end) are not damage."""
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
        self.old = False          # the file held the earlier format: overwritten as it goes
        self.opened = False
        # Newest record per channel: seq and pad time (-1, 0 before any).
        self.last_seq = [-1, -1]
        self.last_pad10 = [0, 0]
        self._buf = bytearray(RECORD_SIZE)

    def open(self):
        """Find where the ring continues and make the file full size. Returns
        None, or a notice for the screen. Never raises."""
        try:
            self._scan()
            size = self.storage.size(self.name)
            full = self.slots * RECORD_SIZE
            if size < full:
                # Zero-filled slots read as empty; filling now means appends
                # never extend the file, which is the slow, risky operation.
                # Written a chunk at a time: a year's ring is 57 KB.
                start = max(size, 0)
                zeros = bytes(SCAN_SLOTS * RECORD_SIZE)
                while start < full:
                    n = min(len(zeros), full - start)
                    self.storage.write_at(self.name, start, zeros if n == len(zeros)
                                          else zeros[:n])
                    start += n
        except OSError as e:
            return "Usage log unavailable (%s)" % (e.args[0] if e.args else "?")
        except Exception:
            return "Usage log unreadable"
        self.opened = True
        if self.old:
            return "Usage log: old format, new log"
        if self.damaged:
            return "Usage log: %d damaged record(s) skipped" % self.damaged
        return None

    def _scan(self):
        # Every slot once, SCAN_SLOTS at a time: the newest record overall and
        # per channel, and the damaged slots.
        chunk = bytearray(SCAN_SLOTS * RECORD_SIZE)
        newest = -1
        self.damaged = 0
        self.old = False
        self.last_seq = [-1, -1]
        self.last_pad10 = [0, 0]
        slot = 0
        while slot < self.slots:
            n = self.storage.read_into(self.name, slot * RECORD_SIZE, chunk)
            if n <= 0:
                break
            view = memoryview(chunk)[:n]
            if slot == 0 and chunk[0] == _MAGIC_V1:
                self.old = True
            for k in range(min(n // RECORD_SIZE + (1 if n % RECORD_SIZE else 0),
                               self.slots - slot)):
                off = k * RECORD_SIZE
                rec = unpack(view, off, slot + k, self.slots)
                if rec is None:
                    if not self.old and any(chunk[off:min(off + RECORD_SIZE, n)]):
                        self.damaged += 1
                    continue
                if rec.seq > newest:
                    newest = rec.seq
                ch = rec.channel
                if ch < 2 and rec.seq > self.last_seq[ch]:
                    self.last_seq[ch] = rec.seq
                    self.last_pad10[ch] = rec.pad10
            slot += SCAN_SLOTS
        self.next_seq = newest + 1

    def append(self, start_s, program, channel, duration_s, peak_ua, mean_ua, charge_nc,
               fault=0, end=END_TIMER, pain_before=NO_PAIN, pain_after=NO_PAIN, pad10=0):
        """Write one session record. None on success, else a notice (never raises)."""
        if not self.opened:
            notice = self.open()
            if not self.opened:
                return notice
        seq = self.next_seq & _U32
        if not pack_into(self._buf, seq, start_s, program, channel, duration_s, peak_ua,
                         mean_ua, charge_nc, fault, end, pain_before, pain_after, pad10):
            return "Usage log: value out of range"
        r = self._write(seq)
        if r is None:
            self.next_seq = seq + 1
            if channel < 2:
                self.last_seq[channel] = seq
                self.last_pad10[channel] = pad10
        return r

    def _write(self, seq):
        try:
            self.storage.write_at(self.name, (seq % self.slots) * RECORD_SIZE, self._buf)
        except OSError as e:
            # The slot may now be torn; the next append rewrites the same slot.
            return "Usage log not written (%s)" % (e.args[0] if e.args else "?")
        return None

    def amend(self, seq, pain_after=-1, pad10=-1):
        """Rewrite record seq with its pain after and/or pad time (-1: keep).
        None when written, else a notice; a record no longer in the ring, or
        damaged, is left alone."""
        rec = self._read(seq)
        if rec is None:
            return "Usage log: record %d gone" % seq
        if pain_after >= 0:
            if not _pain_ok(pain_after):
                return "Usage log: value out of range"
            self._buf[34] = pain_after
        if pad10 >= 0:
            if pad10 > 255:
                return "Usage log: value out of range"
            self._buf[35] = pad10
            if rec.channel < 2 and seq == self.last_seq[rec.channel]:
                self.last_pad10[rec.channel] = pad10
        seal(self._buf)
        return self._write(seq)

    def _read(self, seq):
        # Record seq into self._buf, or None.
        if seq < 0 or seq >= self.next_seq or self.next_seq - seq > self.slots:
            return None
        slot = seq % self.slots
        try:
            if self.storage.read_into(self.name, slot * RECORD_SIZE, self._buf) < RECORD_SIZE:
                return None
        except Exception:
            return None
        rec = unpack(self._buf, 0, slot, self.slots)
        return rec if rec is not None and rec.seq == seq else None

    def newest(self, n, before=-1):
        """Up to n intact records with seq < before (-1: the newest), oldest
        first ([] if the log cannot be read). Read backwards SCAN_SLOTS
        records at a time: `log 64` opens the file some 5 times, not 64."""
        out = []
        seq = self.next_seq - 1 if before < 0 else min(before, self.next_seq) - 1
        low = self.next_seq - self.slots
        chunk = None
        first = 0           # slot at the start of chunk
        held = 0            # whole records in chunk
        while seq >= 0 and seq >= low and len(out) < n:
            slot = seq % self.slots
            if chunk is None or not first <= slot < first + held:
                if chunk is None:
                    chunk = bytearray(SCAN_SLOTS * RECORD_SIZE)
                first = slot - SCAN_SLOTS + 1 if slot >= SCAN_SLOTS else 0
                try:
                    held = self.storage.read_into(self.name, first * RECORD_SIZE,
                                                  chunk) // RECORD_SIZE
                except Exception:
                    break
                if not first <= slot < first + held:
                    break
            rec = unpack(chunk, (slot - first) * RECORD_SIZE, slot, self.slots)
            if rec is not None and rec.seq == seq:
                out.append(rec)
            seq -= 1
        out.reverse()
        return out

    def records(self):
        """Every intact record, oldest first."""
        return self.newest(self.slots)
