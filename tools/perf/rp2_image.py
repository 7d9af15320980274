"""The pico deploy as a littlefs image for the emulated RP2040's flash.

    path = image_for("pico")   # build/rp2-bench/pico.img, rebuilt only when a file changed

The files are exactly what `make deploy BOARD=pico` copies (tools.dev.deploy.stage: the .mpy
files and board.py) plus micropython-lib's ssd1306 driver, which a user installs with
`mip install ssd1306`. main.py is left out: the benchmark drives the App over the raw REPL
the way ustim.boot does. Writing the image on the host with littlefs-python takes
milliseconds where copying 43 files over the emulated USB REPL takes about a minute.
"""

import hashlib
import io
import tarfile
import urllib.request

from tools.dev import deploy
from tools.dev.build import ROOT

OUT = ROOT / "build" / "rp2-bench"
# micropython-lib's SSD1306 driver as published on PyPI for MicroPython's upip; pinned by
# hash and fetched once into build/ (a registry download, like pip's).
SSD1306_URL = ("https://files.pythonhosted.org/packages/01/d0/"
               "0841d47772962c80af3ab178ef062ed2cd524cb99eb38463e669428402a8/"
               "micropython-ssd1306-0.3.tar.gz")
SSD1306_SHA256 = "d00cae1ff680e6ae504e258e700f002874b0d924b1a604253b6ea63144b58289"
SSD1306_MEMBER = "micropython-ssd1306-0.3/ssd1306.py"
# MicroPython's rp2 filesystem on a 2 MB Pico (rp2040py's layout for it): littlefs v2.0,
# 4 KB blocks, 352 of them from 640 KB into the flash.
BLOCK_SIZE = 4096
BLOCK_COUNT = 352
LFS_V2_0 = 0x00020000


def ssd1306_source():
    cached = OUT / "ssd1306.py"
    if cached.exists():
        return cached.read_bytes()
    OUT.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(SSD1306_URL, timeout=60) as r:
        blob = r.read()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SSD1306_SHA256:
        raise SystemExit("ssd1306 download: sha256 %s, expected %s" % (digest, SSD1306_SHA256))
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        src = tar.extractfile(SSD1306_MEMBER).read()
    cached.write_bytes(src)
    return src


def staged_files(board="pico", extra=None):
    """{device path: bytes} of a deploy, main.py left out, the ssd1306 driver added, and
    the extra {device path: bytes} (a programs.json, for one)."""
    staged = ROOT / deploy.stage(board)
    files = {}
    for p in sorted(staged.rglob("*")):
        rel = p.relative_to(staged).as_posix()
        if p.is_file() and rel != "main.py":
            files[rel] = p.read_bytes()
    files["lib/ssd1306.py"] = ssd1306_source()
    files.update(extra or {})
    return files


def image_for(board="pico", extra=None):
    """Path of the littlefs image holding the deploy (and the extra files); reused while its
    files are unchanged."""
    files = staged_files(board, extra)
    h = hashlib.sha256()
    for name, data in sorted(files.items()):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    key = h.hexdigest()[:16]
    path = OUT / ("%s-%s.img" % (board, key))
    if path.exists():
        return path, len(files)
    from littlefs import LittleFS, UserContext

    lfs = LittleFS(context=UserContext(buffsize=BLOCK_SIZE * BLOCK_COUNT), block_size=BLOCK_SIZE,
                   block_count=BLOCK_COUNT, prog_size=256, disk_version=LFS_V2_0)
    made = set()
    for name, data in sorted(files.items()):
        parts = name.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in made:
                lfs.mkdir(d)
                made.add(d)
        with lfs.open(name, "wb") as f:
            f.write(data)
    lfs.unmount()
    if extra is None:
        for old in OUT.glob(board + "-*.img"):
            old.unlink()
    path.write_bytes(bytes(lfs.context.buffer))
    return path, len(files)
