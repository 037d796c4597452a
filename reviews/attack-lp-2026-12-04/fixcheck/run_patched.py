"""Re-run attack scripts against the patched pool (fixcheck/contracts/LiquidityPool.vy).

  cd /work/attack3 && PYTHONPATH=/work/attack3 /work/main/.venv/bin/python \
      reviews/attack-lp-2026-12-04/fixcheck/run_patched.py a1_cash_hostage.py a4_supply0_insolvent.py ...
"""
import pathlib
import runpy
import sys

import boa

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import ringfence.risk_table as rt  # noqa: E402

PATCHED = HERE / "contracts" / "LiquidityPool.vy"
rt.pool_deployer = lambda: boa.load_partial(str(PATCHED))

for name in sys.argv[1:]:
    script = HERE.parent / name.split()[0]
    print(f"\n######## {name} against the PATCHED pool ########")
    sys.argv = [str(script)] + name.split()[1:]
    runpy.run_path(str(script), run_name="__main__")
