"""The contracts' ABIs as the Python side ships them: ``ringfence/abi/<interface>.json``,
package data generated from ``contracts/interfaces/*.vyi`` with ``vyper -f abi``
(``python -m ringfence.abis`` rewrites them; a unit test fails when one drifts from its
interface). The keeper and the oracle pusher read them from here, so an installed package
needs neither a checkout nor a compiler at run time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

ABI_DIR = Path(__file__).with_name("abi")
#: Every stored interface: the keeper's five (the clearing house, its view, the registry,
#: the oracle reads, the pool's LP requests) and the oracle's whole surface
#: (IRingfenceOracle: what the pusher calls and decodes) with its configurator
#: (IOracleGovernor: what `ringfence signer` uses).
INTERFACES = (
    "IClearingHouse",
    "IClearingHouseView",
    "IRegistry",
    "IOracle",
    "ILiquidityPool",
    "IRingfenceOracle",
    "IOracleGovernor",
)


@cache
def load_abi(name: str) -> tuple[dict[str, Any], ...]:
    """The stored ABI of interface ``name`` (one of :data:`INTERFACES`)."""
    if name not in INTERFACES:
        raise KeyError(f"no stored ABI {name!r} (stored: {', '.join(INTERFACES)})")
    return tuple(json.loads((ABI_DIR / f"{name}.json").read_text()))


def compile_abi(name: str, root: Path | None = None) -> list[dict[str, Any]]:
    """The ABI the Vyper compiler emits for ``contracts/interfaces/<name>.vyi`` now."""
    root = root or Path(__file__).resolve().parents[1]
    source = root / "contracts" / "interfaces" / f"{name}.vyi"
    vyper = Path(sys.executable).with_name("vyper")
    out = subprocess.run(
        [str(vyper) if vyper.exists() else "vyper", "-f", "abi", str(source)],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    return json.loads(out.stdout)


def regenerate(root: Path | None = None) -> list[Path]:
    """Rewrite every stored ABI from its interface; returns the files written."""
    written = []
    for name in INTERFACES:
        path = ABI_DIR / f"{name}.json"
        path.write_text(json.dumps(compile_abi(name, root), indent=1) + "\n")
        written.append(path)
    load_abi.cache_clear()
    return written


if __name__ == "__main__":
    for written_path in regenerate():
        print(written_path)
