"""The open-position book, rebuilt from the logs of the clearing house and its registry.

- **Fetching.** One ``eth_getLogs`` per range with both addresses (clearing house and
  registry) and the topic0s of the book events, over ``[from, to]`` in chunks. A node that
  refuses a range ("query returned more than 10000 results", "block range too large", a
  timeout...) gets the same start again with half the range, down to ``min_chunk``; after
  ``grow_after`` successes in a row the range doubles again, up to ``max_chunk``.
- **Applying.** Each log changes one entry of the book: the registry's ``SeriesListed`` /
  ``SeriesCapSet`` / ``RiskParamsSet`` the series table and the risk parameters per
  underlying; the clearing house's ``PositionOpened`` + ``LegOpened`` create a vault (owner,
  underlying, legs with series id and entry price) and its ``VaultState``, logged after
  every change to a vault, sets the collateral and every leg's size to the contract's own
  result (all sizes zero: the vault is gone). The index computes nothing: no rounding rule
  of the contract is repeated here. A log is decoded with the interface of the address
  that emitted it. Before a change the previous entry is written to the undo journal of
  its block, so the last ``reorg_window`` blocks can be undone exactly.
- **Reorgs.** A log with ``removed: true`` undoes its block and everything after it; the
  range is fetched again. Before every sync the hash of the last processed block is
  compared with the chain's; when it differs the book rewinds to the newest remembered
  block whose hash still matches (at most ``reorg_window`` blocks back) and re-fetches.
- **Checkpoint.** The whole state — last block and its hash, the book, the undo journal
  and the remembered hashes — is written as JSON to a temporary file that then replaces
  the checkpoint (``os.replace``), so a crash leaves either the old or the new file, never
  half of one. A restart resumes from it (after the same hash check) instead of rescanning
  from the deployment block.

Units are the contracts': sizes, strikes, prices WAD; collateral in quote-token base units
exactly as ``VaultState`` reports it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from keeper import abi
from ringfence.chain_types import Leg, Position, RiskParams, Series
from ringfence.rpc import Chain, RpcError, to_int

log = logging.getLogger("keeper.index")

#: Version 3: the risk parameters of the scenario margin (``spot_sigmas`` ... ``horizon``,
#: no ``vol_shock``). Version 2 (the same book with the net-Greek parameters) and version 1
#: (one contract, collateral recomputed by the keeper) are refused.
CHECKPOINT_VERSION = 3

#: Events that change the book, by the interface of the contract that emits them;
#: everything else either contract logs is filtered out by topic.
BOOK_EVENTS: dict[str, tuple[str, ...]] = {
    "IRegistry": ("SeriesListed", "SeriesCapSet", "RiskParamsSet"),
    "IClearingHouse": ("PositionOpened", "LegOpened", "VaultState"),
}

#: Substrings of node errors that mean "this range is too big (or too slow) for me".
REFUSAL_MARKERS = (
    "more than",
    "too many",
    "too large",
    "block range",
    "range is too",
    "limit exceeded",
    "exceed",
    "response size",
    "timeout",
    "timed out",
    "query returned",
)


def is_range_refusal(exc: BaseException) -> bool:
    """True when a failed ``eth_getLogs`` should be retried over a smaller range."""
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, RpcError):
        text = exc.message.lower()
        return exc.code == -32005 or any(m in text for m in REFUSAL_MARKERS)
    # requests / aiohttp timeouts without importing them here
    return "timeout" in type(exc).__name__.lower()


# ---------------------------------------------------------------------------- book


def _series_from(d: Mapping[str, Any]) -> Series:
    return Series(**d)


def _position_from(d: Mapping[str, Any]) -> Position:
    legs = tuple(Leg(**leg) for leg in d["legs"])
    return Position(**{**d, "legs": legs})


_TABLES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "series": _series_from,
    "risk": lambda d: RiskParams(**d),
    "positions": _position_from,
}


def _bytes32_hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


@dataclass
class Book:
    """The indexed state: series table, risk parameters, open positions."""

    series: dict[int, Series] = field(default_factory=dict)
    risk: dict[str, RiskParams] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)

    def table(self, name: str) -> dict[Any, Any]:
        return getattr(self, name)


Op = tuple[str, Any, Any]  # (table, key, previous value or None when absent)


class Index:
    """Open positions of one ClearingHouse, from its and its registry's logs (see the
    module docstring).

    Args:
        chain: node access.
        clearing_house: ClearingHouse address (vault events).
        registry: its Registry address (series and risk-parameter events).
        start_block: deployment block of the older of the two; the first scan starts here.
        checkpoint: JSON checkpoint path, or None to keep state in memory only.
        initial_chunk / min_chunk / max_chunk: ``eth_getLogs`` range sizes, blocks.
        grow_after: successful requests in a row before the range doubles.
        reorg_window: blocks of undo journal kept; the deepest reorg handled exactly.
        confirmations: blocks behind the head the index stays (0 = follow the head).
    """

    def __init__(
        self,
        chain: Chain,
        clearing_house: str,
        registry: str,
        start_block: int,
        checkpoint: Path | str | None = None,
        initial_chunk: int = 2_000,
        min_chunk: int = 1,
        max_chunk: int = 10_000,
        grow_after: int = 3,
        reorg_window: int = 64,
        confirmations: int = 0,
    ):
        if not 1 <= min_chunk <= initial_chunk <= max_chunk:
            raise ValueError("index: need 1 <= min_chunk <= initial_chunk <= max_chunk")
        self.chain = chain
        self.clearing_house = clearing_house
        self.registry = registry
        # which interface decodes the logs of which address
        self._interfaces = {clearing_house.lower(): "IClearingHouse", registry.lower(): "IRegistry"}
        if len(self._interfaces) != 2:
            raise ValueError("index: the clearing house and the registry need two addresses")
        self.start_block = start_block
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.min_chunk = min_chunk
        self.max_chunk = max_chunk
        self.grow_after = grow_after
        self.reorg_window = reorg_window
        self.confirmations = confirmations
        self.chunk = initial_chunk
        self._streak = 0

        self.book = Book()
        self.block = start_block - 1  # last processed block
        self.block_hash: str | None = None
        self._journal: dict[int, list[Op]] = {}
        self._hashes: dict[int, str] = {}
        self._addresses = [clearing_house, registry]
        self._topics = [
            [abi.event(name, i).topic0 for i, names in BOOK_EVENTS.items() for name in names]
        ]

        # plain counters, read by keeper.metrics
        self.logs_applied = 0
        self.range_refusals = 0
        self.reorgs = 0
        self.deep_reorgs = 0
        self.removed_logs = 0
        self._saved_changes: tuple[int, int, int] | None = None
        self._saved_at = 0.0
        # hash of `start_block` (the clearing house's deployment block): identifies the chain
        self.anchor_hash: str | None = None
        self._loaded_anchor: str | None = None
        self.chain_resets = 0

        if self.checkpoint is not None and self.checkpoint.exists():
            self.load()

    # ------------------------------------------------------------------ sync

    def sync(self, head: int | None = None, save: bool = True) -> int:
        """Bring the book up to ``head`` (default: chain head - confirmations).

        Checks the last processed block for a reorg first. Returns the block reached and
        writes the checkpoint (``save=False``: the caller writes it later, e.g. after the
        latency-critical sends, with :meth:`save_if_due`).
        """
        self._verify_anchor()
        self.check_reorg()
        if head is None:
            head = self.chain.block_number() - self.confirmations
        if self.anchor_hash is None and head >= self.start_block:
            self.anchor_hash = self.chain.block_hash(self.start_block)
        while self.block < head:
            start = self.block + 1
            end = min(head, start + self.chunk - 1)
            try:
                end_hash, logs = self._fetch(start, end)
            except Exception as exc:
                if not is_range_refusal(exc):
                    raise
                self.range_refusals += 1
                if end - start + 1 <= self.min_chunk:
                    raise
                self.chunk = max(self.min_chunk, (end - start + 1) // 2)
                self._streak = 0
                log.info("getLogs refused %d-%d (%s); range now %d", start, end, exc, self.chunk)
                continue
            if end_hash is None:
                # the chain is shorter than `end` (a reorg in flight): try again next poll
                break
            self._grow()
            self._apply_range(end, end_hash, logs)
        if save:
            self.save()
        return self.block

    def save_if_due(self, max_interval_s: float = 30.0) -> bool:
        """Write the checkpoint when the book changed since the last write (or the reorg
        state did), or ``max_interval_s`` passed; True when written. Blocks processed but
        not yet written are simply read again after a restart (no logs were in them)."""
        changes = (self.logs_applied, self.reorgs, self.removed_logs)
        if changes == self._saved_changes and (time.monotonic() - self._saved_at < max_interval_s):
            return False
        self.save()
        return True

    def _grow(self) -> None:
        self._streak += 1
        if self._streak >= self.grow_after and self.chunk < self.max_chunk:
            self.chunk = min(self.max_chunk, self.chunk * 2)
            self._streak = 0

    def _fetch(self, start: int, end: int) -> tuple[str | None, list[dict[str, Any]]]:
        """Logs of ``[start, end]`` and the hash of ``end``, consistent with each other.

        The hash is read before and after the logs; when it changed in between (a reorg
        at the head), the range is read again.
        """
        for _ in range(3):
            before = self.chain.block_hash(end)
            logs = self.chain.get_logs(self._addresses, start, end, self._topics)
            after = self.chain.block_hash(end)
            if before == after:
                return after, logs
        return None, []

    def _apply_range(self, end: int, end_hash: str, logs: list[dict[str, Any]]) -> None:
        removed = [lg for lg in logs if lg.get("removed")]
        if removed:
            self.removed_logs += len(removed)
            first = min(to_int(lg["blockNumber"]) for lg in removed)
            self.rewind(min(first - 1, self.block))
            return
        decoded = [d for d in (self._decode(lg) for lg in logs) if d is not None]
        decoded.sort(key=lambda d: (d.block_number, d.log_index))
        for d in decoded:
            ops = self._journal.setdefault(d.block_number, [])
            self._apply(d, ops)
            self._hashes[d.block_number] = d.block_hash
            self.logs_applied += 1
        self.block = end
        self.block_hash = end_hash
        self._hashes[end] = end_hash
        self._prune()

    def _decode(self, lg: Mapping[str, Any]) -> abi.DecodedLog | None:
        """A log decoded with the interface of the contract that emitted it (None for a
        log of another address or an event that is not its contract's)."""
        interface = self._interfaces.get(str(lg.get("address", "")).lower())
        return None if interface is None else abi.decode_log(lg, interface)

    def _prune(self) -> None:
        floor = self.block - self.reorg_window
        for b in [b for b in self._journal if b <= floor]:
            del self._journal[b]
        for b in [b for b in self._hashes if b <= floor]:
            del self._hashes[b]

    # ----------------------------------------------------------------- reorgs

    def _verify_anchor(self) -> None:
        """After a restart, make sure the checkpoint was written on THIS chain.

        A checkpoint names the clearing house by address, but a fresh local chain (anvil
        restarted, a redeployed devnet) reuses the same addresses. When the deployment
        block's hash differs from the checkpoint's, nothing in it can be trusted: the book is
        rebuilt from ``start_block`` instead of rewinding a bounded reorg window.
        """
        anchor, self._loaded_anchor = self._loaded_anchor, None
        if anchor is None:
            return
        current = self.chain.block_hash(self.start_block)
        if current is None or current == anchor:
            return
        self.chain_resets += 1
        log.warning(
            "checkpoint was written on another chain (block %d hash %s, now %s): rebuilding",
            self.start_block,
            anchor,
            current,
        )
        self.book = Book()
        self.block = self.start_block - 1
        self.block_hash = None
        self._journal = {}
        self._hashes = {}
        self.anchor_hash = current

    def check_reorg(self) -> bool:
        """Rewind when the last processed block is no longer canonical; True if it was."""
        if self.block_hash is None or self.block < self.start_block:
            return False
        if self.chain.block_hash(self.block) == self.block_hash:
            return False
        self.reorgs += 1
        target = None
        for b in sorted((b for b in self._hashes if b < self.block), reverse=True):
            if self.chain.block_hash(b) == self._hashes[b]:
                target = b
                break
        if target is None:
            # deeper than the window: undo everything we can; older blocks are final
            self.deep_reorgs += 1
            target = max(self.start_block - 1, self.block - self.reorg_window)
            log.warning("reorg deeper than %d blocks at %d", self.reorg_window, self.block)
        log.warning("reorg: block %d changed; rewinding to %d", self.block, target)
        self.rewind(target)
        return True

    def rewind(self, target: int) -> None:
        """Undo every journaled block above ``target``; the next sync re-fetches them."""
        for b in sorted((b for b in self._journal if b > target), reverse=True):
            for table, key, old in reversed(self._journal.pop(b)):
                tbl = self.book.table(table)
                if old is None:
                    tbl.pop(key, None)
                else:
                    tbl[key] = old
        for b in [b for b in self._hashes if b > target]:
            del self._hashes[b]
        self.block = target
        self.block_hash = self._hashes.get(target)

    # ----------------------------------------------------------------- events

    def _set(self, ops: list[Op], table: str, key: Any, value: Any) -> None:
        tbl = self.book.table(table)
        ops.append((table, key, tbl.get(key)))
        if value is None:
            tbl.pop(key, None)
        else:
            tbl[key] = value

    def _apply(self, d: abi.DecodedLog, ops: list[Op]) -> None:
        a = d.args
        book = self.book
        if d.name == "SeriesListed":
            s = Series(
                series_id=a["series_id"],
                underlying=_bytes32_hex(a["underlying"]),
                strike=a["strike"],
                expiry=a["expiry"],
                is_call=a["is_call"],
                oi_cap=a["oi_cap"],
            )
            self._set(ops, "series", s.series_id, s)
        elif d.name == "SeriesCapSet":
            old = book.series.get(a["series_id"])
            if old is not None:
                self._set(ops, "series", old.series_id, replace(old, oi_cap=a["oi_cap"]))
        elif d.name == "RiskParamsSet":
            self._set(ops, "risk", _bytes32_hex(a["underlying"]), RiskParams(**a["params"]))
        elif d.name == "PositionOpened":
            # the legs follow as `n_legs` LegOpened logs of the same transaction
            p = Position(
                position_id=a["position_id"],
                owner=a["owner"],
                underlying=_bytes32_hex(a["underlying"]),
                collateral=a["collateral"],
                legs=(),
            )
            self._set(ops, "positions", p.position_id, p)
        elif d.name == "LegOpened":
            old = book.positions.get(a["position_id"])
            if old is not None:
                leg = Leg(series_id=a["series_id"], size=a["size"], entry_price=a["entry_price"])
                self._set(ops, "positions", old.position_id, replace(old, legs=(*old.legs, leg)))
        elif d.name == "VaultState":
            old = book.positions.get(a["position_id"])
            if old is None:
                return
            sizes = a["sizes"]  # one slot per leg, in leg order; zeros past the last leg
            if not any(sizes):
                # closed, liquidated whole or settled: the contract cleared the vault
                self._set(ops, "positions", old.position_id, None)
                return
            legs = tuple(
                replace(leg, size=size) for leg, size in zip(old.legs, sizes, strict=False)
            )
            new = replace(old, collateral=a["collateral"], legs=legs)
            self._set(ops, "positions", old.position_id, new)

    # ------------------------------------------------------------- checkpoint

    def state(self) -> dict[str, Any]:
        """The checkpoint document (JSON-ready)."""

        def enc(value: Any) -> Any:
            return None if value is None else asdict(value)

        return {
            "version": CHECKPOINT_VERSION,
            "clearing_house": self.clearing_house.lower(),
            "registry": self.registry.lower(),
            "start_block": self.start_block,
            "block": self.block,
            "hash": self.block_hash,
            "anchor": self.anchor_hash,
            "chunk": self.chunk,
            "series": [asdict(s) for s in self.book.series.values()],
            "risk": {u: asdict(r) for u, r in self.book.risk.items()},
            "positions": [asdict(p) for p in self.book.positions.values()],
            "journal": {
                str(b): [[t, k, enc(old)] for t, k, old in ops] for b, ops in self._journal.items()
            },
            "hashes": {str(b): h for b, h in self._hashes.items()},
        }

    def save(self) -> None:
        """Write the checkpoint atomically (temporary file in the same folder + rename)."""
        if self.checkpoint is None:
            return
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        self._saved_changes = (self.logs_applied, self.reorgs, self.removed_logs)
        self._saved_at = time.monotonic()
        fd, tmp = tempfile.mkstemp(prefix=self.checkpoint.name, dir=self.checkpoint.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(self.state(), f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.checkpoint)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self) -> None:
        """Resume from the checkpoint; refuses one of another version or other contracts."""
        assert self.checkpoint is not None
        doc = json.loads(self.checkpoint.read_text())
        if doc.get("version") != CHECKPOINT_VERSION:
            raise ValueError(
                f"index: checkpoint {self.checkpoint} has version {doc.get('version')}, this "
                f"keeper reads {CHECKPOINT_VERSION}: delete it to re-index from the deployment"
            )
        if (doc["clearing_house"], doc["registry"]) != (
            self.clearing_house.lower(),
            self.registry.lower(),
        ):
            raise ValueError("index: checkpoint belongs to another clearing house or registry")
        self.restore(doc)

    def restore(self, doc: Mapping[str, Any]) -> None:
        self.block = doc["block"]
        self.block_hash = doc["hash"]
        self.chunk = min(max(doc["chunk"], self.min_chunk), self.max_chunk)
        self.book = Book(
            series={s["series_id"]: _series_from(s) for s in doc["series"]},
            risk={u: RiskParams(**r) for u, r in doc["risk"].items()},
            positions={p["position_id"]: _position_from(p) for p in doc["positions"]},
        )
        self._journal = {
            int(b): [(t, _key(t, k), None if v is None else _TABLES[t](v)) for t, k, v in ops]
            for b, ops in doc["journal"].items()
        }
        self._hashes = {int(b): h for b, h in doc["hashes"].items()}
        self.anchor_hash = doc.get("anchor")
        self._loaded_anchor = self.anchor_hash

    # ------------------------------------------------------------------ views

    def open_positions(self) -> Iterable[Position]:
        return self.book.positions.values()


def _key(table: str, key: Any) -> Any:
    return key if table == "risk" else int(key)
