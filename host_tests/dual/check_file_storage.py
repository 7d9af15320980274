# ustim.hal.storage.FileStorage on both runtimes, read side only: the
# MicroPython runner mounts the repository read-only (writes are tested on
# CPython in host_tests/test_storage_files.py).
from dualcheck import eq, raises, true
from ustim.hal.storage import FileStorage

_HERE = __file__.rsplit("/", 1)[0]


def check_reads_an_existing_file_and_its_size():
    st = FileStorage(_HERE)
    data = st.read("dualcheck.py")
    true(data is not None and b"def eq(" in data, "file read")
    eq(st.size("dualcheck.py"), len(data), "size agrees with the bytes read")


def check_missing_file_is_none_not_an_error():
    st = FileStorage(_HERE)
    eq(st.read("no_such_file.bin"), None, "missing reads as None")
    eq(st.size("no_such_file.bin"), -1, "missing size")
    st.remove("no_such_file.bin")


def check_other_errors_raise_oserror():
    raises(OSError, FileStorage(_HERE + "/no_such_dir").write_atomic, "x", b"1")
