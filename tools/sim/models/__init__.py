# The simulated board's models: what stands behind the shims (electrode, OLED
# panel, flash). Plain Python; flash.py also runs inside MicroPython.
