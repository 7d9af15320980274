# The simulated board's flash filesystem, and an in-memory storage for the
# dual-runtime checks. Runs on CPython and inside MicroPython.
#
# FlashFs is a filesystem with MicroPython's user-VFS methods (open, stat,
# remove, rename, ilistdir, mkdir, chdir, getcwd, statvfs, mount, umount):
# the simulated board mounts it where the firmware's FileStorage looks
# (os.mount on MicroPython; on CPython, bound into ustim.hal.storage by
# tools/sim/board.py), so the firmware's own storage adapter runs over it.
# It fails the way flash does:
#   capacity   total bytes all files may hold; a write past it stores what fits,
#              then raises OSError(28), as a full filesystem does
#   cut_after  bytes the device may still write before the power goes: the write
#              that crosses it stores only its first bytes, then raises PowerCut
# A rename replaces its target in one step (littlefs does); a temp file is a
# file like any other until then, so a cut atomic write leaves a partial temp
# file and the old file untouched.
#
# MemStorage gives the storage interface of ustim.hal.storage.FileStorage
# straight over a FlashFs (core checks that need no filesystem calls).
import errno

_ENOSPC = 28
_TMP = ".tmp"


class PowerCut(BaseException):
    # Not an Exception: the firmware cannot handle its own power going away.
    pass


def _name(path):
    while path.startswith("/"):
        path = path[1:]
    if path.startswith("./"):
        path = path[2:]
    return path


class FlashFs:
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

    def write(self, name, offset, data):
        """Bytes into a file at offset, within the capacity and the power."""
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
        return room

    # -- the VFS methods ----------------------------------------------------

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def open(self, path, mode="r"):
        name = _name(path)
        if "w" in mode:
            self.files[name] = bytearray()
        elif name not in self.files:
            if "a" in mode:
                self.files[name] = bytearray()
            else:
                raise OSError(errno.ENOENT)
        return FlashFile(self, name, mode)

    def stat(self, path):
        name = _name(path)
        if name not in self.files:
            raise OSError(errno.ENOENT)
        return (0x8000, 0, 0, 0, 0, 0, len(self.files[name]), 0, 0, 0)

    def remove(self, path):
        name = _name(path)
        if name not in self.files:
            raise OSError(errno.ENOENT)
        del self.files[name]

    def rename(self, old, new):
        a, b = _name(old), _name(new)
        if a not in self.files:
            raise OSError(errno.ENOENT)
        self.files[b] = self.files.pop(a)

    def ilistdir(self, path="/"):
        for name in sorted(self.files):
            yield (name, 0x8000, 0, len(self.files[name]))

    def mkdir(self, path):
        raise OSError(errno.EEXIST)

    def rmdir(self, path):
        raise OSError(errno.ENOENT)

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""

    def statvfs(self, path):
        total = self.capacity if self.capacity >= 0 else 1 << 20
        return (4096, 4096, total // 4096, (total - self.used()) // 4096, 0, 0, 0, 0, 0, 255)


class FlashFile:
    def __init__(self, fs, name, mode):
        self.fs = fs
        self.name = name
        self.pos = len(fs.files[name]) if "a" in mode else 0
        self.binary = "b" in mode

    def read(self, n=-1):
        buf = self.fs.files[self.name]
        end = len(buf) if n is None or n < 0 else min(len(buf), self.pos + n)
        data = bytes(buf[self.pos:end])
        self.pos = end
        return data if self.binary else data.decode()

    def readinto(self, buf):
        data = self.fs.files[self.name]
        n = max(0, min(len(buf), len(data) - self.pos))
        buf[:n] = data[self.pos:self.pos + n]
        self.pos += n
        return n

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        n = self.fs.write(self.name, self.pos, data)
        self.pos += n
        return n

    def seek(self, offset, whence=0):
        if whence == 1:
            offset += self.pos
        elif whence == 2:
            offset += len(self.fs.files[self.name])
        self.pos = offset
        return offset

    def tell(self):
        return self.pos

    def flush(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class OsView:
    """What MicroPython's `os` offers a module over this filesystem (no
    replace, no fsync: FileStorage then takes rename and skips the sync, as
    on the device)."""

    def __init__(self, fs):
        self.stat = fs.stat
        self.remove = fs.remove
        self.rename = fs.rename
        self.ilistdir = fs.ilistdir
        self.statvfs = fs.statvfs


class MemStorage:
    def __init__(self, capacity=-1, fs=None):
        self.fs = FlashFs(capacity) if fs is None else fs

    @property
    def files(self):
        return self.fs.files

    @files.setter
    def files(self, files):
        self.fs.files = files

    @property
    def capacity(self):
        return self.fs.capacity

    @capacity.setter
    def capacity(self, v):
        self.fs.capacity = v

    @property
    def cut_after(self):
        return self.fs.cut_after

    @cut_after.setter
    def cut_after(self, v):
        self.fs.cut_after = v

    @property
    def writes(self):
        return self.fs.writes

    def used(self):
        return self.fs.used()

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
            self.fs.write(tmp, 0, data)
        except OSError as e:
            self.remove(tmp)
            raise e
        self.files[name] = self.files.pop(tmp)

    def write_at(self, name, offset, data):
        if name not in self.files:
            self.files[name] = bytearray()
        self.fs.write(name, offset, data)
