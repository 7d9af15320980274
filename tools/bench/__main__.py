"""python -m tools.bench: the bench testers' tool (README: Bench console and bench tool)."""

from tools.bench.cli import main
from tools.run_cli import run

run(main, "python -m tools.bench")
