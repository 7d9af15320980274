# ruff: noqa: F821  (metadata, require, package, module come from makemanifest)
# Freezes the firmware into a custom MicroPython build (docs/deploy.md): add
#   include("/path/to/this/repository/manifest.py")
# to the board's manifest. The board file is not frozen: copy it as board.py.
# opt=1 like tools/dev/build.py: asserts compiled out (no safety check relies on
# them), line numbers kept for the crash log. Frozen from the source, everything is
# bytecode: the functions tools/dev/native.py compiles to machine code in the .mpy
# build are marked only in the copies it writes to build/native-src/.
import os

metadata(description="Firmware for a two-channel TENS/EMS stimulator", version="0.1.0")
require("ssd1306")
package("ustim", base_path="firmware", opt=1)
if os.path.exists("firmware/main.py"):
    module("main.py", base_path="firmware", opt=1)
