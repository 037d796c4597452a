"""The Oracle contract as the pusher sees it: ABI, reads, calldata and receipt decoding.

The ABI comes from (in this order): ``oracle.abi_file`` in the config (a JSON ABI list, or
any JSON object with an ``"abi"`` key), else the deployment file's entry when it carries an
``abi``, else the stored ``IRingfenceOracle`` ABI shipped with the package
(:mod:`ringfence.abis`, generated from the interface ``Oracle.vy`` implements, and checked
against it by a unit test): an installed pusher needs neither a checkout nor a compiler.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.logs import DISCARD

from oracle.errors import ConfigError
from ringfence import records
from ringfence.oracle_types import Report
from ringfence.paths import CONTRACTS
from ringfence.rpc import FailoverRpc

ORACLE_SOURCE = CONTRACTS / "Oracle.vy"


def load_abi(abi_file: str | Path | None) -> list[dict[str, Any]]:
    if abi_file is None:
        from ringfence.abis import load_abi as stored_abi

        return list(stored_abi("IRingfenceOracle"))
    try:
        data = json.loads(Path(abi_file).read_text())
    except OSError as exc:
        raise ConfigError(f"ABI file {abi_file}: {exc.strerror or exc}") from None
    except ValueError:
        raise ConfigError(f"ABI file {abi_file}: not JSON") from None
    abi = data["abi"] if isinstance(data, dict) and "abi" in data else data
    if not isinstance(abi, list):
        raise ConfigError(f"ABI file {abi_file}: expected a JSON list or an object with 'abi'")
    return abi


def read_deployment(
    path: str | Path, name: str = "Oracle", chain_id: int | None = None, node: str = "the RPC"
) -> tuple[str, list | None]:
    """(address, abi or None) of contract ``name`` in a deployments JSON.

    Accepted shapes: ``{"Oracle": "0x.."}``, ``{"Oracle": {"address": "0x..", "abi": [..]}}``
    or the same under a top-level ``"contracts"`` key (keys compared case-insensitively).
    With ``chain_id`` (the node's), a record naming another ``chain_id`` is refused, and so
    is a record of a deployment that stopped before its end (``"complete": false``).
    """
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"deployment file {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise ConfigError(f"deployment file {path}: not JSON") from None
    refusal = records.incomplete(data, path)
    if chain_id is not None:
        refusal = records.chain_mismatch(data, path, chain_id, node) or refusal
    if refusal:
        raise ConfigError(refusal)
    for scope in (data.get("contracts", {}), data) if isinstance(data, dict) else ():
        if not isinstance(scope, dict):
            continue
        for key, value in scope.items():
            if key.lower() != name.lower():
                continue
            if isinstance(value, str):
                return value, None
            if isinstance(value, dict) and "address" in value:
                return value["address"], value.get("abi")
    raise ConfigError(f"deployment file {path} has no address for {name!r}")


@dataclass(frozen=True)
class Verdict:
    """What the chain said about one report of a mined batch."""

    underlying: bytes
    expiry: int
    accepted: bool
    reason: str = ""


class OracleChain:
    """Reads and calldata for one Oracle deployment, over a FailoverRpc."""

    def __init__(self, rpc: FailoverRpc, address: str, abi: list[dict[str, Any]]) -> None:
        self.rpc = rpc
        try:
            self.address = to_checksum_address(address)
        except ValueError:
            raise ConfigError(f"oracle address {address!r} is not an address") from None
        self.abi = abi
        self._offline = Web3().eth.contract(address=self.address, abi=abi)
        self._bound: dict[int, Any] = {}

    def _contract(self, w3: Web3) -> Any:
        key = id(w3)
        if key not in self._bound:
            self._bound[key] = w3.eth.contract(address=self.address, abi=self.abi)
        return self._bound[key]

    def view(self, name: str, *args: Any) -> Any:
        return self.rpc.call(
            lambda w3: getattr(self._contract(w3).functions, name)(*args).call(), name
        )

    def has_code(self) -> bool:
        code = self.rpc.call(lambda w3: w3.eth.get_code(self.address), "eth_getCode")
        return len(code) > 0

    def submit_calldata(self, reports: Sequence[Report], signatures: Sequence[bytes]) -> str:
        return self._offline.encode_abi(
            "submit", args=[[r.as_tuple() for r in reports], list(signatures)]
        )

    def accepts(self, report: Report, signature: bytes, sender: str) -> bool:
        """Would ``submit([report])`` accept the report now: every check of the contract
        (signature, freshness, SVI bounds, spot and vol bands), simulated with ``eth_call``
        at the pending block. Not the aggregation after it (quorum, calendar)."""
        tx = {
            "from": sender,
            "to": self.address,
            "data": self.submit_calldata([report], [signature]),
        }
        raw = self.rpc.call(lambda w3: w3.eth.call(tx, "pending"), "eth_call")
        return int.from_bytes(bytes(raw)[-32:], "big") == 1

    def verdicts(self, receipt: Any) -> list[Verdict]:
        """Accepted and rejected reports from a mined `submit` receipt, in log order."""
        out: list[Verdict] = []
        logs = sorted(
            [
                (ev, True)
                for ev in self._offline.events.ReportAccepted().process_receipt(
                    receipt, errors=DISCARD
                )
            ]
            + [
                (ev, False)
                for ev in self._offline.events.ReportRejected().process_receipt(
                    receipt, errors=DISCARD
                )
            ],
            key=lambda pair: pair[0]["logIndex"],
        )
        for ev, accepted in logs:
            args = ev["args"]
            out.append(
                Verdict(
                    underlying=bytes(args["underlying"]),
                    expiry=int(args["expiry"]),
                    accepted=accepted,
                    reason="" if accepted else str(args["reason"]),
                )
            )
        return out
