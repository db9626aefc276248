#!/usr/bin/env python3
"""Run buffer-sim from a clone without installing it: ``python run.py run --seed 7``.

Same as the ``buffer-sim`` command (see ``python run.py --help``); the dependencies in
pyproject.toml must be installed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from buffer_sim.cli import main

# The guard matters: pool workers import this file as a module (multiprocessing).
if __name__ == "__main__":
    raise SystemExit(main())
