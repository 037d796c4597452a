"""pytest plugin: deploy the patched pool (fixcheck/contracts/LiquidityPool.vy) in every
fixture that uses ringfence.risk_table. Run (no ape plugin, no cache, no bytecode files):
  cd /work/attack3 && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/work/attack3:reviews/attack-lp-2026-12-04/fixcheck \
    /work/main/.venv/bin/python -m pytest -p no:ape_test -p no:cacheprovider -p patched_plugin \
    tests/unit/liquidity_pool -q
"""
import pathlib

import boa

import ringfence.risk_table as rt

PATCHED = pathlib.Path(__file__).resolve().parent / "contracts" / "LiquidityPool.vy"
rt.pool_deployer = lambda: boa.load_partial(str(PATCHED))
