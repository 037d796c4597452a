"""The second round's shared set-up is the first round's
(reviews/attack-lp-2026-12-04/common.py), loaded from there."""

import importlib.util
import pathlib

_FIRST = pathlib.Path(__file__).resolve().parents[1] / "attack-lp-2026-12-04" / "common.py"
_spec = importlib.util.spec_from_file_location("_attack_lp_common", _FIRST)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
