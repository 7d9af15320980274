# Pure logic: imports nothing from machine, rp2, esp32 or time. Time and samples
# arrive as arguments, so the same code runs on CPython and on MicroPython.
