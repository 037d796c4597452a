"""Contract ABIs, event decoding and call encoding for the keeper (eth_abi, no framework).

The ABIs are what the Vyper compiler emits for the interfaces the keeper talks to, stored
as package data by :mod:`ringfence.abis` (``ringfence/abi/*.json``) so the keeper needs no
compiler at run time. ``python -m keeper.abi`` (or ``python -m ringfence.abis``) regenerates
them with ``vyper -f abi contracts/interfaces/<name>.vyi``; a unit test fails when a stored
copy drifts from its interface. Event signatures and topic hashes are derived from the ABI,
never written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

from ringfence import abis

#: Interfaces whose ABI the keeper reads (stored by :mod:`ringfence.abis`): the clearing
#: house (vault events, ``liquidate_many`` / ``settle_many``, ``SCALE``), its view
#: (``health_many``), the registry (listing and risk-parameter events), the oracle reads
#: of a market snapshot and the pool's LP requests (``keeper.lp``).
INTERFACES = ("IClearingHouse", "IClearingHouseView", "IRegistry", "IOracle", "ILiquidityPool")
#: Interfaces that declare events; :func:`event` looks a bare name up in all of them.
EVENT_INTERFACES = ("IClearingHouse", "IRegistry", "ILiquidityPool")


def abi_type(param: Mapping[str, Any]) -> str:
    """Canonical ABI type string of one ABI parameter, tuples expanded: ``(uint256,int256)[]``."""
    kind: str = param["type"]
    if not kind.startswith("tuple"):
        return kind
    inner = ",".join(abi_type(c) for c in param["components"])
    return f"({inner}){kind[len('tuple') :]}"


def _to_python(param: Mapping[str, Any], value: Any) -> Any:
    """Decoded eth_abi value to plain Python: tuples to dicts by component name, bytes kept."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        components = param["components"]
        if kind.endswith("]"):
            element = dict(param, type=kind[: kind.rindex("[")])
            return [_to_python(element, v) for v in value]
        return {c["name"]: _to_python(c, v) for c, v in zip(components, value, strict=True)}
    if kind.endswith("]"):
        element = dict(param, type=kind[: kind.rindex("[")])
        return [_to_python(element, v) for v in value]
    return value


def load_abi(name: str) -> tuple[dict[str, Any], ...]:
    """The stored ABI of interface ``name`` (one of :data:`INTERFACES`)."""
    return abis.load_abi(name)


def regenerate(root: Path | None = None) -> list[Path]:
    """Rewrite every stored ABI (:func:`ringfence.abis.regenerate`); returns the files."""
    written = abis.regenerate(root)
    _events.cache_clear()
    return written


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventAbi:
    """One event of an ABI with its canonical signature and topic0."""

    name: str
    signature: str
    topic0: str  # 0x-prefixed hex
    indexed: tuple[dict[str, Any], ...]
    data: tuple[dict[str, Any], ...]

    @classmethod
    def from_abi(cls, item: Mapping[str, Any]) -> EventAbi:
        inputs = item["inputs"]
        signature = f"{item['name']}({','.join(abi_type(p) for p in inputs)})"
        return cls(
            name=item["name"],
            signature=signature,
            topic0="0x" + keccak(text=signature).hex(),
            indexed=tuple(p for p in inputs if p["indexed"]),
            data=tuple(p for p in inputs if not p["indexed"]),
        )

    def encode_log(self, args: Mapping[str, Any]) -> tuple[list[str], str]:
        """(topics, data) of a log emitting ``args`` — used to build test fixtures."""
        topics = [self.topic0]
        for p in self.indexed:
            topics.append("0x" + encode([abi_type(p)], [_from_python(p, args[p["name"]])]).hex())
        data = encode(
            [abi_type(p) for p in self.data], [_from_python(p, args[p["name"]]) for p in self.data]
        )
        return topics, "0x" + data.hex()


def _from_python(param: Mapping[str, Any], value: Any) -> Any:
    """Inverse of :func:`_to_python`: dicts back to tuples in component order."""
    kind: str = param["type"]
    if kind.endswith("]"):
        element = dict(param, type=kind[: kind.rindex("[")])
        return [_from_python(element, v) for v in value]
    if kind.startswith("tuple"):
        return tuple(_from_python(c, value[c["name"]]) for c in param["components"])
    return value


@cache
def _events(name: str) -> dict[str, EventAbi]:
    return {
        item["name"]: EventAbi.from_abi(item) for item in load_abi(name) if item["type"] == "event"
    }


def event(name: str, interface: str | None = None) -> EventAbi:
    """The event ``name`` of ``interface``; without one, of whichever of
    :data:`EVENT_INTERFACES` declares it (event names are unique across them)."""
    if interface is not None:
        return _events(interface)[name]
    return _events(interface_of(name))[name]


def interface_of(event_name: str) -> str:
    """The interface of :data:`EVENT_INTERFACES` that declares ``event_name``."""
    owners = [i for i in EVENT_INTERFACES if event_name in _events(i)]
    if len(owners) != 1:
        raise KeyError(f"event {event_name} is declared by {owners or 'no interface'}")
    return owners[0]


def events_by_topic(interface: str = "IClearingHouse") -> dict[str, EventAbi]:
    return {e.topic0: e for e in _events(interface).values()}


def _hex_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


@dataclass(frozen=True)
class DecodedLog:
    """A decoded log with its position in the chain."""

    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    log_index: int
    transaction_hash: str
    removed: bool


def _as_int(value: int | str) -> int:
    return value if isinstance(value, int) else int(value, 16)


def decode_log(log: Mapping[str, Any], interface: str = "IClearingHouse") -> DecodedLog | None:
    """Decode a JSON-RPC log object (hex strings, as ``eth_getLogs`` returns it).

    Returns None for a log whose topic0 is not an event of ``interface``: decode a log
    with the interface of the contract that emitted it (its ``address``), so that an event
    is only ever taken from the contract that owns it.
    """
    topics = [_hex_bytes(t) for t in log["topics"]]
    if not topics:
        return None
    abi = events_by_topic(interface).get("0x" + topics[0].hex())
    if abi is None:
        return None
    args: dict[str, Any] = {}
    for p, topic in zip(abi.indexed, topics[1:], strict=True):
        (value,) = decode([abi_type(p)], topic)
        args[p["name"]] = _to_python(p, value)
    values = decode([abi_type(p) for p in abi.data], _hex_bytes(log["data"]))
    for p, value in zip(abi.data, values, strict=True):
        args[p["name"]] = _to_python(p, value)
    return DecodedLog(
        name=abi.name,
        args=args,
        block_number=_as_int(log["blockNumber"]),
        block_hash=log["blockHash"],
        log_index=_as_int(log["logIndex"]),
        transaction_hash=log.get("transactionHash", ""),
        removed=bool(log.get("removed", False)),
    )


# ---------------------------------------------------------------------------- calls


def _function(interface: str, name: str) -> dict[str, Any]:
    for item in load_abi(interface):
        if item["type"] == "function" and item["name"] == name:
            return item
    raise KeyError(f"{interface} has no function {name}")


def encode_call(interface: str, name: str, args: Sequence[Any]) -> str:
    """0x-hex calldata of ``interface.name(*args)``."""
    fn = _function(interface, name)
    types = [abi_type(p) for p in fn["inputs"]]
    selector = keccak(text=f"{name}({','.join(types)})")[:4]
    values = [_from_python(p, a) for p, a in zip(fn["inputs"], args, strict=True)]
    return "0x" + (selector + encode(types, values)).hex()


def decode_result(interface: str, name: str, data: str | bytes) -> Any:
    """Decoded return value of ``interface.name``: one value, or a tuple for several."""
    fn = _function(interface, name)
    outputs = fn["outputs"]
    values = decode([abi_type(p) for p in outputs], _hex_bytes(data))
    py = [_to_python(p, v) for p, v in zip(outputs, values, strict=True)]
    return py[0] if len(py) == 1 else tuple(py)


if __name__ == "__main__":
    for written in regenerate():
        print(f"wrote {written}")
