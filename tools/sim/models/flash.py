# In-memory storage with the interface of ustim.hal.storage.FileStorage, for
# the simulator and the dual-runtime checks (runs on CPython and MicroPython).
# It can fail the way flash does:
#   capacity   total bytes all files may hold; a write past it stores what fits,
#              then raises OSError(28), as a full filesystem does
#   cut_after  bytes the device may still write before the power goes: the write
#              that crosses it stores only its first bytes, then raises PowerCut
# A temp file (".tmp") is a file like any other until the rename, so a failed
# atomic write leaves a partial temp file and the old file untouched.

_ENOSPC = 28
_TMP = ".tmp"


class PowerCut(Exception):
    # Not an OSError: the firmware must not be able to handle it, as it cannot
    # handle its own power going away.
    pass


class MemStorage:
    def __init__(self, capacity=-1):
        self.files = {}
        self.capacity = capacity
        self.cut_after = -1
        self.writes = 0

    def used(self):
        total = 0
        for name in self.files:
            total += len(self.files[name])
        return total

    def read(self, name):
        data = self.files.get(name)
        return None if data is None else bytes(data)

    def read_into(self, name, offset, buf):
        data = self.files.get(name)
        if data is None or offset >= len(data):
            return 0
        n = min(len(buf), len(data) - offset)
        buf[:n] = data[offset:offset + n]
        return n

    def size(self, name):
        data = self.files.get(name)
        return -1 if data is None else len(data)

    def remove(self, name):
        if name in self.files:
            del self.files[name]

    def write_atomic(self, name, data):
        tmp = name + _TMP
        self.files[tmp] = bytearray()
        try:
            self._write(tmp, 0, data)
        except OSError as e:
            self.remove(tmp)
            raise e
        self.files[name] = self.files.pop(tmp)

    def write_at(self, name, offset, data):
        if name not in self.files:
            self.files[name] = bytearray()
        self._write(name, offset, data)

    def _write(self, name, offset, data):
        self.writes += 1
        buf = self.files[name]
        n = len(data)
        grow = max(0, offset + n - len(buf))
        room = n
        full = False
        if self.capacity >= 0 and self.used() + grow > self.capacity:
            # Bytes that fit: those over existing content plus the free space.
            room = max(0, len(buf) - offset) + max(0, self.capacity - self.used())
            room = min(room, n)
            full = True
        cut = False
        if 0 <= self.cut_after < room:
            room = self.cut_after
            cut = True
        if offset > len(buf):
            buf.extend(bytes(offset - len(buf)))
        end = offset + room
        if end > len(buf):
            buf.extend(bytes(end - len(buf)))
        buf[offset:end] = data[:room]
        if self.cut_after >= 0:
            self.cut_after -= room
        if cut:
            self.cut_after = -1
            raise PowerCut()
        if full:
            raise OSError(_ENOSPC)
