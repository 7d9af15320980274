"""Write package.json, the mip package description of the firmware.

    python -m tools.dev.package_json        # or: make package-json

`mpremote mip install github:OWNER/REPO` reads package.json at the top of the
repository: every file under firmware/ (urls are relative to package.json, so
the file names no owner) plus the ssd1306 driver from micropython-lib.
host_tests/test_deploy.py fails when package.json and firmware/ disagree.
"""

import json
import re
import sys

from tools.dev.build import ROOT

PATH = ROOT / "package.json"


def firmware_files():
    fw = ROOT / "firmware"
    return sorted(p.relative_to(fw).as_posix() for p in fw.rglob("*.py"))


def version():
    text = (ROOT / "firmware" / "ustim" / "__init__.py").read_text()
    return re.search(r'^VERSION = "([^"]+)"', text, re.M).group(1)


def build():
    return {
        "urls": [[rel, "firmware/" + rel] for rel in firmware_files()],
        "deps": [["ssd1306", "latest"]],
        "version": version(),
    }


def render():
    # One file per line, so a diff of package.json reads like a file list.
    pkg = build()
    urls = ",\n".join("    " + json.dumps(pair) for pair in pkg["urls"])
    return '{\n  "urls": [\n%s\n  ],\n  "deps": %s,\n  "version": %s\n}\n' % (
        urls, json.dumps(pkg["deps"]), json.dumps(pkg["version"]))


def main():
    PATH.write_text(render())
    print("wrote %s (%d files)" % (PATH.name, len(build()["urls"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
