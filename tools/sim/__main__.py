"""python -m tools.sim: the firmware on the simulated board (README: make sim)."""

import sys

from tools.sim.cli import main

sys.exit(main(sys.argv[1:]))
