# Storage adapter: files in one directory of the MicroPython filesystem
# (littlefs on rp2 and esp32). Only open() and os are used, so the same class
# runs on CPython against a host directory (host tests) unchanged.
#
# The interface core code relies on (tools/sim/models/flash.MemStorage is the other
# implementation):
#   read(name) -> bytes, or None when the file does not exist
#   read_into(name, offset, buf) -> bytes read into buf (0: past the end, no file)
#   write_atomic(name, data)      whole file replaced, or (on error) left as it was
#   write_at(name, offset, data)  bytes overwritten in place; creates the file
#   size(name) -> int, -1 when the file does not exist
#   remove(name)                  no error when it does not exist
# Errors other than "does not exist" are raised as OSError (errno 28 = full;
# MicroPython's errno module has no ENOSPC name, the number is MP_ENOSPC).
import errno
import os

# From the runtime: 2 on the boards and Linux, 44 under WASI.
_ENOENT = errno.ENOENT
_TMP = ".tmp"


class FileStorage:
    def __init__(self, root="", opener=open):
        # opener stands in for open() so tests can make the flash fill up.
        self.root = root
        self._open = opener
        self._rename = getattr(os, "replace", os.rename)
        self._fsync = getattr(os, "fsync", None)

    def path(self, name):
        if not self.root:
            return name
        return self.root + "/" + name

    def read(self, name):
        try:
            with self._open(self.path(name), "rb") as f:
                return f.read()
        except OSError as e:
            if e.args and e.args[0] == _ENOENT:
                return None
            raise

    def read_into(self, name, offset, buf):
        """Bytes of the file from offset into buf: how many (0 past the end or
        when there is no file)."""
        try:
            f = self._open(self.path(name), "rb")
        except OSError as e:
            if e.args and e.args[0] == _ENOENT:
                return 0
            raise
        with f:
            f.seek(offset)
            return f.readinto(buf) or 0

    def size(self, name):
        try:
            return os.stat(self.path(name))[6]
        except OSError as e:
            if e.args and e.args[0] == _ENOENT:
                return -1
            raise

    def remove(self, name):
        try:
            os.remove(self.path(name))
        except OSError as e:
            if not (e.args and e.args[0] == _ENOENT):
                raise

    def write_atomic(self, name, data):
        # The old file stays whole until the rename, which littlefs and FAT
        # (MicroPython's vfs_fat removes the target first) both do in one step.
        path = self.path(name)
        tmp = path + _TMP
        try:
            with self._open(tmp, "wb") as f:
                if f.write(data) != len(data):
                    raise OSError(28)
                self._sync(f)
            self._rename(tmp, path)
        except OSError as e:
            # A failed write or rename leaves no temp file behind to take up
            # the flash: the one removed is the path opened above.
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise e

    def write_at(self, name, offset, data):
        path = self.path(name)
        try:
            f = self._open(path, "r+b")
        except OSError as e:
            if not (e.args and e.args[0] == _ENOENT):
                raise
            f = self._open(path, "wb")
        with f:
            f.seek(offset)
            if f.write(data) != len(data):
                raise OSError(28)
            self._sync(f)

    def _sync(self, f):
        f.flush()
        if self._fsync is not None:
            self._fsync(f.fileno())
