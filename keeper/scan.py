"""One keeper scan, composed from the core pieces; what the bot calls on every block.

``Keeper.scan()``: sync the index, read the oracle, model every vault, rank + confirm +
batch (planner), follow pending transactions, send new batches (sender), update metrics.

Four addresses: the clearing house (vault logs, ``SCALE``, the ``*_many`` transactions),
its registry (series and risk-parameter logs), its view (``health_many``) and the oracle;
a fifth, the liquidity pool, when given: its mature LP requests are executed
(``keeper.lp``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from keeper import abi
from keeper.config import KeeperConfig
from keeper.health import fetch_market, model_book
from keeper.index import Index
from keeper.lp import LpQueue
from keeper.metrics import KeeperMetrics
from keeper.planner import GasModel, Plan, Planner
from keeper.sender import LIQUIDATE, SETTLE, FeePolicy, Sender, Signer
from ringfence.rpc import Chain, to_int

log = logging.getLogger("keeper.scan")


def read_scale(chain: Chain, clearing_house: str) -> int:
    """``SCALE()`` of the clearing house: 10**(18 - quote decimals)."""
    raw = chain.call(clearing_house, abi.encode_call("IClearingHouse", "SCALE", []))
    return abi.decode_result("IClearingHouse", "SCALE", raw)


def min_request_units(tokens: float, scale: int) -> int:
    """``tokens`` whole quote tokens in base units (``scale`` = 10**(18 - decimals)),
    rounded up: a request exactly at the threshold is executed."""
    from decimal import ROUND_CEILING, Decimal

    wad = Decimal(repr(tokens)) * 10**18
    return int((wad / scale).to_integral_value(rounding=ROUND_CEILING))


@dataclass
class ScanResult:
    block: int
    plan: Plan
    seconds: float


class Keeper:
    """The keeper's core loop body, built from a :class:`KeeperConfig`.

    ``scale`` (``ClearingHouse.SCALE()``, base units to WAD, for the health model) is read
    from the chain unless given.
    """

    def __init__(
        self, config: KeeperConfig, chain: Chain, signer: Signer, scale: int | None = None
    ):
        missing = [
            name
            for name in ("clearing_house", "registry", "view", "oracle")
            if not getattr(config, name)
        ]
        if missing:
            raise ValueError(f"keeper: address(es) required: {', '.join(missing)}")
        self.config = config
        self.chain = chain
        self.scale = scale if scale is not None else read_scale(chain, config.clearing_house)
        self.index = Index(
            chain,
            config.clearing_house,
            config.registry,
            config.start_block,
            checkpoint=config.checkpoint or None,
            initial_chunk=config.getlogs_initial_chunk,
            min_chunk=config.getlogs_min_chunk,
            max_chunk=config.getlogs_max_chunk,
            grow_after=config.getlogs_grow_after,
            reorg_window=config.reorg_window,
            confirmations=config.confirmations,
        )
        header = chain.block("latest") or {}
        block_gas_limit = config.block_gas_limit or to_int(header.get("gasLimit")) or 30_000_000
        gas = GasModel(
            health_per_vault=config.health_gas_per_vault,
            liquidate_per_vault=config.liquidate_gas_per_vault,
            settle_per_vault=config.settle_gas_per_vault,
            tx_base=config.tx_base_gas,
            call_gas_limit=config.call_gas_limit,
            block_gas_limit=block_gas_limit,
            headroom=config.block_gas_headroom,
        )
        self.planner = Planner(
            gas,
            prescreen_ratio=config.prescreen_ratio,
            shard=config.shard,
            shards=config.shards,
            max_candidates=config.max_candidates,
        )
        self.sender = Sender(
            chain,
            signer,
            config.clearing_house,
            config.view,
            FeePolicy(
                max_fee_ceiling=config.max_fee_ceiling_wei,
                priority_fee=config.priority_fee_wei,
                base_fee_multiplier=config.base_fee_multiplier,
                replace_after_blocks=config.replace_after_blocks,
            ),
            replace_after_blocks=config.replace_after_blocks,
            gas_multiplier=config.gas_estimate_multiplier,
            block_gas_limit=block_gas_limit,
            health_batch=gas.health_batch(),
            dry_run=config.dry_run,
        )
        self.metrics = KeeperMetrics()
        # one executor of LP requests among the shards: shard 0
        self.lp = (
            LpQueue(
                chain,
                config.pool,
                config.lp_requests_per_scan,
                min_assets=min_request_units(config.lp_min_request, self.scale),
            )
            if config.pool and config.shard == 0
            else None
        )

    def scan(self) -> ScanResult:
        started = time.perf_counter()
        block = self.index.sync(save=False)  # the checkpoint is written after the sends
        head = self.chain.block_number()
        self.sender.poll(head)
        market = fetch_market(self.chain, self.config.oracle, self.index.book)
        health = model_book(self.index.book, market, self.scale)
        exclude = self.sender.blocked(block)
        plan = self.planner.plan(health, self.chain, self.config.view, exclude)
        for batch in plan.liquidate:
            self.sender.submit(LIQUIDATE, batch, head, block)
        for batch in plan.settle:
            self.sender.submit(SETTLE, batch, head, block)
        if self.lp is not None:
            now = to_int((self.chain.block("latest") or {}).get("timestamp"))
            for request_id in self.lp.due(now):
                self.sender.submit_execute(self.config.pool, request_id, head)
        seconds = time.perf_counter() - started
        self.index.save_if_due(self.config.checkpoint_interval_s)
        m = self.metrics
        m.snapshot(self.index, self.sender)
        m.candidates = len(plan.candidates)
        m.confirmed = len(plan.confirmed)
        m.settleable = sum(len(b) for b in plan.settle)
        m.scan_seconds = seconds
        m.signer_balance_wei = self.sender.balance()
        log.debug(
            "block %d: %d open, %d candidates, %d confirmed, %d to settle (%.3f s)",
            block,
            m.positions_indexed,
            m.candidates,
            m.confirmed,
            m.settleable,
            seconds,
        )
        return ScanResult(block=block, plan=plan, seconds=seconds)
