"""Deployment records: ``deployments/<network>-<chain id>.json``, one per chain.

``ape run deploy contracts`` writes the record after every contract it deploys (marked
``"complete": false`` until the last step succeeds), so a failure or Ctrl-C mid-deploy
leaves a record of what exists. A record already at the path is archived first (renamed
``<network>-<chain id>.<UTC time>.json``), never overwritten. Every reader (the keeper, the
pusher, ``ape run deploy show``) refuses, in one line, a record of another chain id than
its node's (:func:`chain_mismatch`) and an incomplete one (:func:`incomplete`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ringfence.paths import ROOT

DEPLOYMENTS = ROOT / "deployments"


def record_path(network: str, chain_id: int, directory: Path = DEPLOYMENTS) -> Path:
    """``<directory>/<network>-<chain id>.json`` (``:`` in a network name becomes ``-``)."""
    return Path(directory) / f"{network.replace(':', '-')}-{chain_id}.json"


def archive(path: Path, now: float | None = None) -> Path | None:
    """Rename an existing record to ``<stem>.<YYYYmmddTHHMMSSZ>.json``; the new name, or
    None when there was nothing at ``path``."""
    path = Path(path)
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    target = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
        n += 1
    path.rename(target)
    return target


def write(doc: dict[str, Any], path: Path) -> Path:
    """Write ``doc`` as JSON atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def chain_mismatch(doc: Any, path: Path | str, chain_id: int, node: str) -> str | None:
    """The one-line refusal when the record names a chain id other than the node's."""
    recorded = doc.get("chain_id") if isinstance(doc, dict) else None
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded != chain_id:
        return (
            f"deployment {path} is for chain id {recorded}, "
            f"the node at {node} is chain id {chain_id}"
        )
    return None


def incomplete(doc: Any, path: Path | str) -> str | None:
    """The one-line refusal of a record whose deployment stopped before its end."""
    if isinstance(doc, dict) and doc.get("complete") is False:
        why = doc.get("error") or "stopped"
        return (
            f"deployment {path} is incomplete ({why} after {len(doc.get('contracts') or {})} "
            "contract(s)): deploy again"
        )
    return None
