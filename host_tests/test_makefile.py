"""The Makefile as a newcomer meets it: a plain `make` lists the targets and
runs nothing; `make test` sets up sigrok-cli itself (apt-get) or stops before
anything runs with one line saying what is missing."""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")


def _make(*args, path=None):
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = str(path)
    # -o: never let a test (re)install the venv.
    return subprocess.run([MAKE, "--no-print-directory", "-o", ".venv/.installed", *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_plain_make_and_make_help_list_every_target_one_line_each():
    plain, helped = _make(), _make("help")
    assert plain.returncode == 0 and plain.stdout == helped.stdout and plain.stderr == ""
    lines = plain.stdout.splitlines()
    assert lines[0] == "make TARGET, where TARGET is one of:"
    listed = {}
    for ln in lines[1:]:
        m = re.fullmatch(r"  (\S+) +(\S.*)", ln)
        assert m, ln
        listed[m.group(1)] = m.group(2)
    text = (ROOT / "Makefile").read_text()
    rules = set(re.findall(r"^([a-z][\w-]*):(?!=)", text, re.M)) - {"test-all"}
    assert set(listed) == rules
    assert {"test", "sim", "deploy", "bench", "help"} <= set(listed)


def _bin(tmp_path, **scripts):
    """A PATH of its own: `id` says root, plus the given scripts; no sigrok-cli."""
    d = tmp_path / "bin"
    d.mkdir()
    scripts.setdefault("id", "echo 0")
    for name, body in scripts.items():
        f = d / name
        f.write_text("#!/bin/sh\n" + body + "\n")
        f.chmod(0o755)
    return d


def test_without_sigrok_and_apt_make_test_stops_first_with_one_line(tmp_path):
    p = _make("test", path=_bin(tmp_path))
    assert p.returncode != 0
    assert p.stdout == ""                         # nothing ran: no lint, no build
    assert p.stderr.splitlines()[0] == (
        "make: sigrok-cli is needed and missing: install it (Debian/Ubuntu package sigrok-cli)")
    # Besides make's own "*** [Makefile:N: sigrok-cli] Error 1" (make[2] when nested).
    assert len([ln for ln in p.stderr.splitlines()
                if not re.match(r"make(\[\d+\])?: \*\*\*", ln)]) == 1


def test_make_installs_sigrok_with_apt_get_updating_first_when_needed(tmp_path):
    log = tmp_path / "apt.log"
    fake = tmp_path / "bin" / "sigrok-cli"
    # Its own PATH holds no touch or chmod: the fake names them in full.
    apt = ('echo "$@" >> %s\n'
           'case "$*" in *update*) %s %s/updated; exit 0;; esac\n'
           '[ -e %s/updated ] || exit 100\n'
           'printf "#!/bin/sh\\n" > %s; %s 755 %s' % (
               log, shutil.which("touch"), tmp_path, tmp_path, fake, shutil.which("chmod"), fake))
    p = _make("sigrok-cli", path=_bin(tmp_path, **{"apt-get": apt}))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "installing sigrok-cli with apt-get\n"
    assert log.read_text().splitlines() == ["-y -q install sigrok-cli", "-y -q update",
                                            "-y -q install sigrok-cli"]
    again = _make("sigrok-cli", path=tmp_path / "bin")
    assert again.returncode == 0 and again.stdout == ""   # present: nothing to do


def test_a_failing_apt_get_is_one_clear_line(tmp_path):
    p = _make("sigrok-cli", path=_bin(tmp_path, **{"apt-get": "exit 100"}))
    assert p.returncode != 0
    assert p.stderr.splitlines()[0] == ("make: sigrok-cli is needed and missing: "
                                        "apt-get install sigrok-cli failed (run it as root)")


def test_ci_runs_only_the_readme_command():
    body = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    assert body[-1] == "make test" and "make test" in (ROOT / "README.md").read_text()
    assert not any("apt-get" in ln or "sigrok" in ln for ln in body)
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
