"""The fuzz suite: make ringfence_machine importable from tests/fuzz/regressions too."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
