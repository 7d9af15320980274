"""python -m tools.sim: the firmware on the simulated board (README: make sim)."""

from tools.run_cli import run
from tools.sim.cli import main

run(main, "python -m tools.sim")
