"""FileStorage (ustim.hal.storage) on a real directory: atomic replace, a full
filesystem leaves the old file intact, and settings and usage log survive a
file cut short or corrupted at every byte."""

import errno

import pytest

from ustim.core import settings
from ustim.core.usage_log import RECORD_SIZE, UsageLog
from ustim.hal.storage import FileStorage


class _FullFile:
    """A file whose filesystem fills up after `room` more bytes."""

    def __init__(self, f, room):
        self.f = f
        self.room = room

    def write(self, data):
        if len(data) > self.room:
            self.f.write(bytes(data[:self.room]))
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _full_after(room):
    def opener(path, mode):
        f = open(path, mode)
        return _FullFile(f, room) if ("w" in mode or "+" in mode) else f
    return opener


def _custom():
    s = settings.Settings()
    s.set("max_ma", 42)
    s.set("pad", "10x10")
    s.set("bench", True)
    return s


def test_read_write_size_remove(tmp_path):
    st = FileStorage(str(tmp_path))
    assert st.read("a") is None
    assert st.size("a") == -1
    st.write_atomic("a", b"hello")
    assert st.read("a") == b"hello"
    assert st.size("a") == 5
    st.write_atomic("a", b"bye")
    assert st.read("a") == b"bye"
    st.write_at("b", 0, b"0123456789")
    st.write_at("b", 4, b"xy")
    assert st.read("b") == b"0123xy6789"
    st.remove("a")
    st.remove("a")
    assert st.read("a") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_other_errors_are_raised(tmp_path):
    st = FileStorage(str(tmp_path / "missing_dir"))
    with pytest.raises(OSError):
        st.write_atomic("a", b"x")
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        FileStorage(str(tmp_path)).read("d")


def test_full_filesystem_at_every_byte_keeps_old_file(tmp_path):
    FileStorage(str(tmp_path)).write_atomic("f", b"old contents")
    new = b"new contents, longer than the old"
    for room in range(len(new)):
        st = FileStorage(str(tmp_path), opener=_full_after(room))
        with pytest.raises(OSError) as e:
            st.write_atomic("f", new)
        assert e.value.errno == errno.ENOSPC
        assert (tmp_path / "f").read_bytes() == b"old contents"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["f"], "temp file removed"
    FileStorage(str(tmp_path), opener=_full_after(len(new))).write_atomic("f", new)
    assert (tmp_path / "f").read_bytes() == new


def test_failed_write_cleans_up_the_temp_file_under_root(tmp_path, monkeypatch):
    # The temp file is the one next to the target under root, not a file of
    # the same name in the working directory.
    root = tmp_path / "flash"
    root.mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.tmp").write_bytes(b"not ours")
    FileStorage(str(root)).write_atomic("f", b"old")
    with pytest.raises(OSError):
        FileStorage(str(root), opener=_full_after(1)).write_atomic("f", b"new contents")
    assert sorted(p.name for p in root.iterdir()) == ["f"]
    assert (root / "f").read_bytes() == b"old"
    assert (tmp_path / "f.tmp").read_bytes() == b"not ours"


def test_failed_rename_removes_the_temp_file_and_keeps_the_old(tmp_path, monkeypatch):
    import ustim.hal.storage as storage_mod

    def no_rename(src, dst):
        raise OSError(errno.EIO, "rename failed")

    FileStorage(str(tmp_path)).write_atomic("f", b"old")
    monkeypatch.setattr(storage_mod.os, "replace", no_rename)
    monkeypatch.setattr(storage_mod.os, "rename", no_rename)
    with pytest.raises(OSError) as e:
        FileStorage(str(tmp_path)).write_atomic("f", b"new")
    assert e.value.errno == errno.EIO
    assert (tmp_path / "f").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"], "temp file removed"


def test_settings_save_on_full_flash_keeps_old_settings(tmp_path):
    assert settings.save(FileStorage(str(tmp_path)), _custom()) is None
    newer = _custom()
    newer.set("max_ma", 10)
    notice = settings.save(FileStorage(str(tmp_path), opener=_full_after(30)), newer)
    assert notice == "Settings not saved: flash full"
    s, notice = settings.load(FileStorage(str(tmp_path)))
    assert notice is None and s.same_as(_custom())


def test_settings_file_cut_or_corrupted_at_every_byte(tmp_path):
    st = FileStorage(str(tmp_path))
    settings.save(st, _custom())
    path = tmp_path / settings.FILE_NAME
    good = path.read_bytes()
    for k in range(len(good)):
        path.write_bytes(good[:k])
        s, notice = settings.load(st)
        assert notice is not None and s.same_as(settings.Settings()), k
        damaged = bytearray(good)
        damaged[k] ^= 0x5A
        path.write_bytes(bytes(damaged))
        s, notice = settings.load(st)
        assert notice is not None, k
        assert s.same_as(settings.Settings()) or s.same_as(_custom()), k
    path.unlink()
    s, notice = settings.load(st)
    assert notice == "No settings saved: defaults"


def test_usage_log_file_cut_at_every_byte_then_continues(tmp_path):
    slots = 4
    st = FileStorage(str(tmp_path))
    log = UsageLog(st, slots=slots)
    assert log.open() is None
    for i in range(6):
        assert log.append(100 * i, 1, 0, 60, 20000, 15000, 1000 * i, 0) is None
    path = tmp_path / "usage.bin"
    good = path.read_bytes()
    assert len(good) == slots * RECORD_SIZE
    # Slot s holds seq 4, 5, 2, 3: what survives a cut is the whole slots.
    slot_seq = [4, 5, 2, 3]
    for k in range(len(good) + 1):
        path.write_bytes(good[:k])
        log = UsageLog(st, slots=slots)
        log.open()
        want = sorted(slot_seq[:k // RECORD_SIZE])
        assert [r.seq for r in log.records()] == want, k
        assert path.stat().st_size == slots * RECORD_SIZE, "grown back to full size"
        assert log.append(0, 2, 1, 1, 1, 1, 1, 0) is None
        assert log.records()[-1].seq == (want[-1] + 1 if want else 0)
