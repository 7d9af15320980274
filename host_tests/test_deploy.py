"""Deploy without a device: `make deploy-dry` for every board prints the exact
mpremote commands; package.json (mip) and manifest.py (freezing) cover exactly
the files in firmware/."""

import json
import os
import shlex
import shutil
import subprocess

import pytest

from tools.dev import deploy, package_json
from tools.dev.build import ROOT, sources

BOARDS = ["esp32_devkitc", "pico"]


def test_every_board_is_deployable():
    assert deploy.boards() == BOARDS


def _firmware_modules():
    return sorted(rel.as_posix() for _src, rel in sources() if rel.parts[0] == "ustim")


@pytest.mark.parametrize("board", BOARDS)
def test_make_deploy_dry_prints_the_exact_commands(board):
    # -o: never let this test (re)install the venv.
    proc = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "deploy-dry", "BOARD=" + board,
         "PORT=/dev/ttyACM0"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if not ln.startswith("#")]
    assert "# " + deploy.MAINTENANCE in proc.stdout.splitlines()
    staged = "build/deploy/" + board
    conn = "mpremote connect /dev/ttyACM0 "
    want = [
        conn + "mip install ssd1306",
        conn + "rm -r :ustim  # may fail: nothing to remove",
        conn + "cp -r %s/ustim :" % staged,
        conn + "cp %s/board.py :board.py" % staged,
    ]
    if (ROOT / "firmware" / "main.py").exists():
        want.append(conn + "cp %s/main.py :main.py" % staged)
    want.append(conn + "reset")
    assert lines == want
    for line in lines:
        shlex.split(line)   # every line is a valid shell command

    # What the cp -r sends: one .mpy per firmware module, nothing else.
    out = ROOT / staged
    mpys = sorted(p.relative_to(out).as_posix() for p in (out / "ustim").rglob("*")
                  if p.is_file())
    assert mpys == [m[:-3] + ".mpy" for m in _firmware_modules()]
    for m in mpys:
        assert (out / m).read_bytes()[:2] == b"M\x06", m   # .mpy format 6
    assert (out / "board.py").read_text() == (ROOT / "boards" / (board + ".py")).read_text()


def test_main_py_is_copied_as_source_when_present(tmp_path):
    (tmp_path / "ustim").mkdir()
    (tmp_path / "board.py").write_text("")
    argvs = [argv for argv, _ in deploy.commands(tmp_path, "auto")]
    assert not any(":main.py" in a for a in argvs)
    (tmp_path / "main.py").write_text("")
    argvs = [argv for argv, _ in deploy.commands(tmp_path, "auto")]
    assert argvs[-2][-2:] == [(tmp_path / "main.py").as_posix(), ":main.py"]
    assert argvs[-1][-1] == "reset"


def test_unknown_board_is_refused():
    with pytest.raises(SystemExit) as e:
        deploy.main(["--board", "nosuchboard", "--dry-run"])
    assert "pico" in str(e.value)


def test_package_json_lists_exactly_the_firmware_files():
    on_disk = json.loads((ROOT / "package.json").read_text())
    assert (ROOT / "package.json").read_text() == package_json.render(), (
        "package.json is stale: run make package-json")
    fw = sorted(p.relative_to(ROOT / "firmware").as_posix()
                for p in (ROOT / "firmware").rglob("*.py"))
    assert [u[0] for u in on_disk["urls"]] == fw
    for dest, url in on_disk["urls"]:
        assert url == "firmware/" + dest and (ROOT / url).is_file()
    assert ["ssd1306", "latest"] in on_disk["deps"]
    assert on_disk["version"] == package_json.version()


def test_manifest_freezes_the_package_and_requires_ssd1306():
    calls = []

    def record(kind):
        return lambda *a, **kw: calls.append((kind, a, kw))

    env = {k: record(k) for k in ("metadata", "require", "package", "module", "include")}
    cwd = os.getcwd()
    os.chdir(ROOT)   # makemanifest runs a manifest from its own directory
    try:
        exec((ROOT / "manifest.py").read_text(), env)
    finally:
        os.chdir(cwd)
    kinds = [c[0] for c in calls]
    assert ("require", ("ssd1306",), {}) in calls
    pkg = [c for c in calls if c[0] == "package"]
    assert pkg == [("package", ("ustim",), {"base_path": "firmware", "opt": 1})]
    assert (ROOT / "firmware" / "ustim" / "__init__.py").exists()
    meta = [c for c in calls if c[0] == "metadata"][0]
    assert meta[2]["version"] == package_json.version()
    main_frozen = [c for c in calls if c[0] == "module"]
    if (ROOT / "firmware" / "main.py").exists():
        assert main_frozen == [("module", ("main.py",), {"base_path": "firmware", "opt": 1})]
    else:
        assert main_frozen == []
    assert "include" not in kinds


def _bad_board(tmp_path):
    # Both B pins on GPIO 5: the firmware's board check finds three problems.
    good, bad = "PIN_B = " + "(3, 7)", "PIN_B = " + "(5, 5)"   # joined: no pin literal here
    text = (ROOT / "boards" / "pico.py").read_text().replace(good, bad)
    path = tmp_path / "badboard.py"
    path.write_text(text)
    return path


def test_a_board_with_problems_is_refused_and_nothing_copied(tmp_path, monkeypatch, capsys):
    path = _bad_board(tmp_path)
    ran = []
    monkeypatch.setattr(deploy.subprocess, "run", lambda *a, **kw: ran.append(a))
    assert deploy.main(["--board", str(path), "--port", "/dev/ttyACM0"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and ran == []
    assert not (ROOT / "build" / "deploy" / "badboard").exists()
    lines = out.err.splitlines()
    assert lines[0].startswith("deploy refused: board file %s has 3 problems" % path)
    assert lines[1:] == ["  PIN_B[1] = 5 is also PIN_B[0]",
                         "  PIN_B[0] = 5 must be PIN_A[0] + 1 = 3 on rp2",
                         "  PIN_B[1] = 5 must be PIN_A[1] + 1 = 7 on rp2"]


def test_make_deploy_refuses_a_bad_board(tmp_path):
    path = _bad_board(tmp_path)
    proc = subprocess.run(["make", "-s", "-o", ".venv/.installed", "deploy",
                           "BOARD=" + str(path), "PORT=/dev/ttyACM0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "mpremote" not in proc.stdout and "has 3 problems" in proc.stderr


def test_a_board_file_given_by_path_deploys_like_its_name(tmp_path, capsys):
    path = tmp_path / "mypico.py"
    path.write_text((ROOT / "boards" / "pico.py").read_text())
    assert deploy.main(["--board", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "cp build/deploy/mypico/board.py :board.py" in out
    assert (ROOT / "build" / "deploy" / "mypico" / "board.py").read_text() == path.read_text()
    shutil.rmtree(ROOT / "build" / "deploy" / "mypico")


def test_docs_deploy_shows_the_file_count_deploy_stages():
    staged = ROOT / deploy.stage("pico")
    count = sum(1 for p in staged.rglob("*") if p.is_file())
    doc = (ROOT / "docs" / "deploy.md").read_text()
    assert "# pico: %d files staged in build/deploy/pico" % count in doc
