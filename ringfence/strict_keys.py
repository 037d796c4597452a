"""Unknown keys in a configuration mapping, named in one line with a "did you mean".

Shared by the parameter files that reject typos (``deploy/*.yaml``, the backtest config):
``risk.ETH.spot_shok: unknown key (did you mean 'spot_shock'?)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


def unknown_key_message(key: object, allowed: Iterable[object], where: str = "") -> str:
    """``<where>.<key>: unknown key`` plus the closest allowed key when one is close."""
    close = difflib.get_close_matches(str(key), [str(k) for k in allowed], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    name = f"{where}.{key}" if where else str(key)
    return f"{name}: unknown key{hint}"


def check_keys(raw: Mapping, allowed: Iterable[object], where: str, error: type[Exception]) -> None:
    """Raise ``error`` naming the first key of ``raw`` that is not in ``allowed``."""
    allowed = list(allowed)
    for key in raw:
        if key not in allowed:
            raise error(unknown_key_message(key, allowed, where))
