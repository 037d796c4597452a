"""From model health to transactions: rank, shard, confirm on-chain, batch by gas.

1. **Shard.** With ``shards`` = N instances, instance ``shard`` = k only handles vaults with
   ``id % N == k``; overlapping or restarted keepers are safe anyway (``liquidate_many``
   skips healthy or closed vaults), sharding just keeps them from racing.
2. **Rank.** Candidates are priced vaults whose model margin ratio is below
   ``prescreen_ratio`` (slightly above 1, so a small model or oracle drift cannot hide a
   liquidatable vault), worst first; the ratio is (equity - e) / (MM + e) with e the
   model's error bound of the vault (``Health.tolerance``). Vaults whose legs have all
   expired with every settlement price fixed go to settlement instead.
3. **Confirm.** Candidates are checked with ``health_many`` of the ``ClearingHouseView`` in
   batches sized to the node's ``eth_call`` gas cap; only vaults with on-chain equity < MM
   are liquidated.
4. **Batch.** ``liquidate_many`` / ``settle_many`` lists are sized so that their estimated
   gas (``base + n x per vault``) stays under the block gas limit less a headroom, and
   under the contract's ``MAX_BATCH`` (50).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from keeper import abi
from keeper.health import Health
from ringfence.rpc import Chain

#: ``ClearingHouse.MAX_BATCH``: the bound of the id lists of the ``*_many`` functions.
MAX_BATCH = 50


def in_shard(position_id: int, shard: int, shards: int) -> bool:
    """True when instance ``shard`` of ``shards`` owns ``position_id``."""
    return position_id % shards == shard


def batch_size(
    gas_limit: int,
    per_item_gas: int,
    base_gas: int = 0,
    headroom: float = 0.0,
    cap: int = MAX_BATCH,
) -> int:
    """Largest n with ``base_gas + n x per_item_gas <= gas_limit x (1 - headroom)``, in [1, cap].

    At least 1: a single vault is always tried (the sender's gas estimate is the final word).
    """
    if per_item_gas <= 0:
        raise ValueError("planner: per_item_gas must be > 0")
    usable = math.floor(gas_limit * (1.0 - headroom)) - base_gas
    return max(1, min(cap, usable // per_item_gas))


def chunked(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def rank(health: Health, prescreen_ratio: float) -> list[int]:
    """Ids of priced, not settleable vaults with ratio < ``prescreen_ratio``, worst first.

    The ratio is :attr:`~keeper.health.Health.screen_ratio`: equity and MM moved against
    the vault by the model's error bound, so a vault with on-chain equity < MM is always
    ranked (its screen ratio is below 1). Ties break by id so the order is deterministic.
    """
    ratio = health.screen_ratio
    mask = health.priced & ~health.settleable & (ratio < prescreen_ratio)
    idx = np.flatnonzero(mask)
    order = np.lexsort((health.ids[idx], ratio[idx]))
    return [int(i) for i in health.ids[idx][order]]


def settleable(health: Health) -> list[int]:
    """Ids of vaults that can be settled now, in id order."""
    return sorted(int(i) for i in health.ids[health.settleable])


@dataclass(frozen=True)
class OnChainHealth:
    """``ClearingHouse.health(id)`` as ``ClearingHouseView.health_many`` returns it, WAD
    quote; all zero for a vault that is not open. ``ok`` is False when the read reverted
    (a stale feed of the vault's underlying): such a vault is neither open nor a candidate
    until it can be priced again."""

    equity: int
    initial: int
    maintenance: int
    ok: bool = True

    @property
    def is_open(self) -> bool:
        return self.ok and (self.equity, self.initial, self.maintenance) != (0, 0, 0)

    @property
    def liquidatable(self) -> bool:
        return self.is_open and self.equity < self.maintenance


def health_many(
    chain: Chain, view: str, ids: Sequence[int], batch: int
) -> dict[int, OnChainHealth]:
    """On-chain health of ``ids`` via ``health_many`` of the ClearingHouseView at ``view``,
    ``batch`` ids per ``eth_call``."""
    out: dict[int, OnChainHealth] = {}
    for part in chunked(ids, batch):
        raw = chain.call(view, abi.encode_call("IClearingHouseView", "health_many", [part]))
        rows = abi.decode_result("IClearingHouseView", "health_many", raw)
        for pid, row in zip(part, rows, strict=True):
            out[pid] = OnChainHealth(
                row["equity"], row["initial"], row["maintenance"], bool(row["ok"])
            )
    return out


@dataclass(frozen=True)
class GasModel:
    """Gas figures the batches are sized with (measure them with ``make bench``).

    All in gas units. ``*_per_vault`` is the marginal cost of one more vault in a batch,
    ``*_base`` the fixed cost of the transaction (21_000 intrinsic + calldata + entry).
    """

    health_per_vault: int = 150_000
    liquidate_per_vault: int = 450_000
    settle_per_vault: int = 200_000
    tx_base: int = 60_000
    call_gas_limit: int = 50_000_000  # the node's eth_call cap (geth --rpc.gascap default)
    block_gas_limit: int = 30_000_000
    headroom: float = 0.25  # fraction of the block gas limit left for everyone else

    def health_batch(self) -> int:
        return batch_size(self.call_gas_limit, self.health_per_vault, 0, 0.1)

    def liquidate_batch(self) -> int:
        return batch_size(
            self.block_gas_limit, self.liquidate_per_vault, self.tx_base, self.headroom
        )

    def settle_batch(self) -> int:
        return batch_size(self.block_gas_limit, self.settle_per_vault, self.tx_base, self.headroom)


@dataclass
class Plan:
    """What one scan decided: ranked candidates, confirmed vaults, batches to send."""

    candidates: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    liquidate: list[list[int]] = field(default_factory=list)
    settle: list[list[int]] = field(default_factory=list)
    onchain: dict[int, OnChainHealth] = field(default_factory=dict)


class Planner:
    """Turns a :class:`~keeper.health.Health` pre-screen into batches (module docstring)."""

    def __init__(
        self,
        gas: GasModel | None = None,
        prescreen_ratio: float = 1.05,
        shard: int = 0,
        shards: int = 1,
        max_candidates: int = 500,
    ):
        if not 0 <= shard < shards:
            raise ValueError("planner: need 0 <= shard < shards")
        self.gas = gas or GasModel()
        self.prescreen_ratio = prescreen_ratio
        self.shard = shard
        self.shards = shards
        self.max_candidates = max_candidates

    def mine(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if in_shard(i, self.shard, self.shards)]

    def plan(
        self,
        health: Health,
        chain: Chain | None,
        view: str,
        exclude: Iterable[int] = (),
    ) -> Plan:
        """Rank, shard and (with a chain) confirm on the ClearingHouseView at ``view``;
        ``exclude`` = vaults already in flight."""
        skip = set(exclude)
        candidates = [i for i in self.mine(rank(health, self.prescreen_ratio)) if i not in skip]
        candidates = candidates[: self.max_candidates]
        settle_ids = [i for i in self.mine(settleable(health)) if i not in skip]
        plan = Plan(candidates=candidates)
        if chain is not None and candidates:
            plan.onchain = health_many(chain, view, candidates, self.gas.health_batch())
            plan.confirmed = [i for i in candidates if plan.onchain[i].liquidatable]
        plan.liquidate = chunked(plan.confirmed, self.gas.liquidate_batch())
        plan.settle = chunked(settle_ids, self.gas.settle_batch())
        return plan
