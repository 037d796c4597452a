"""``python -m ringfence.tools.backtest`` (see ``cli.py``)."""

import sys

from ringfence.tools.backtest.cli import main

sys.exit(main())
