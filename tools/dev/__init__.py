# Build, deploy and maintenance scripts: mpy-cross build, mpremote deploy,
# package.json, the framebuf font, the state diagram, screen renders, and the
# runner of the dual-runtime checks on MicroPython.
