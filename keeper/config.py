"""The keeper's configuration: one typed dataclass, every field documented.

Load it from a mapping (YAML file, CLI options) with :meth:`KeeperConfig.from_mapping`,
which rejects unknown keys and wrong types. Each field's ``help`` metadata is the text the
CLI shows for its option.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GWEI = 10**9


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class KeeperConfig:
    """Every option of the keeper (units in the help text)."""

    clearing_house: str = _opt(
        "", "ClearingHouse address (0x...): vault events; liquidate_many / settle_many go to it."
    )
    registry: str = _opt(
        "", "Registry address (0x...) of the clearing house: series and risk-parameter events."
    )
    view: str = _opt(
        "", "ClearingHouseView address (0x...) over the clearing house: health_many is read there."
    )
    oracle: str = _opt("", "Oracle address the clearing house reads (0x...).")
    pool: str = _opt(
        "", "LiquidityPool address (0x...): its mature LP requests are executed (empty: none)."
    )
    start_block: int = _opt(
        0, "Block the first of those contracts was deployed at; the first index scan starts here."
    )
    checkpoint: str = _opt(
        ".keeper/checkpoint.json", "Index checkpoint file (JSON, written atomically)."
    )
    checkpoint_interval_s: float = _opt(
        30.0, "Longest time between checkpoint writes when the book does not change, seconds."
    )
    # --- index
    getlogs_initial_chunk: int = _opt(2_000, "First eth_getLogs range, blocks.")
    getlogs_min_chunk: int = _opt(1, "Smallest eth_getLogs range before giving up, blocks.")
    getlogs_max_chunk: int = _opt(10_000, "Largest eth_getLogs range, blocks.")
    getlogs_grow_after: int = _opt(3, "Successful eth_getLogs in a row before the range doubles.")
    reorg_window: int = _opt(64, "Blocks of undo journal kept: the deepest reorg undone exactly.")
    confirmations: int = _opt(0, "Blocks behind the head the index stays (0 = follow the head).")
    # --- planner
    prescreen_ratio: float = _opt(
        1.05, "Model equity/MM below which a vault is confirmed on-chain (> 1 leaves a margin)."
    )
    max_candidates: int = _opt(500, "Most candidates confirmed per scan, worst first.")
    shard: int = _opt(0, "This instance's shard k: it handles vault ids with id % shards == k.")
    shards: int = _opt(1, "Number of keeper instances sharing the book.")
    lp_requests_per_scan: int = _opt(
        20, "Most pending LP requests read per scan, oldest first (shard 0 only; 0 = none)."
    )
    lp_min_request: float = _opt(
        100.0,
        "Smallest LP request executed, quote tokens (a deposit's amount, a redemption's "
        "quote); smaller ones are left to their owners (0 = every one).",
    )
    # --- gas
    health_gas_per_vault: int = _opt(150_000, "Gas of one vault in health_many (measured).")
    liquidate_gas_per_vault: int = _opt(450_000, "Gas of one vault in liquidate_many (measured).")
    settle_gas_per_vault: int = _opt(200_000, "Gas of one vault in settle_many (measured).")
    tx_base_gas: int = _opt(60_000, "Fixed gas of a batch transaction (intrinsic + calldata).")
    call_gas_limit: int = _opt(50_000_000, "The node's eth_call gas cap (geth --rpc.gascap).")
    block_gas_limit: int = _opt(
        0, "Block gas limit batches are sized against (0 = the latest block's gasLimit)."
    )
    block_gas_headroom: float = _opt(0.25, "Fraction of the block gas limit left to others.")
    gas_estimate_multiplier: float = _opt(1.2, "Gas limit = eth_estimateGas x this.")
    # --- fees
    max_fee_ceiling_gwei: float = _opt(200.0, "No transaction ever offers more per gas, gwei.")
    priority_fee_gwei: float = _opt(1.0, "maxPriorityFeePerGas of a first attempt, gwei.")
    base_fee_multiplier: float = _opt(2.0, "maxFeePerGas = this x base fee + priority fee.")
    replace_after_blocks: int = _opt(3, "Blocks before a pending tx is replaced (+12.5 % fees).")
    # --- service
    poll_interval_s: float = _opt(2.0, "Seconds between polls of the head; scans need a new head.")
    metrics_port: int = _opt(9_101, "Port of the Prometheus /metrics endpoint (0 = off).")
    dry_run: bool = _opt(False, "Do everything (index, model, confirm, simulate) but send.")

    def __post_init__(self) -> None:
        if not 0 <= self.shard < self.shards:
            raise ValueError("config: need 0 <= shard < shards")
        if not 1 <= self.getlogs_min_chunk <= self.getlogs_initial_chunk <= self.getlogs_max_chunk:
            raise ValueError("config: need 1 <= getlogs_min_chunk <= initial <= max")
        if not 0.0 <= self.block_gas_headroom < 1.0:
            raise ValueError("config: block_gas_headroom must be in [0, 1)")
        if self.prescreen_ratio < 1.0:
            raise ValueError("config: prescreen_ratio below 1 would miss liquidatable vaults")
        if self.max_fee_ceiling_gwei <= 0 or self.priority_fee_gwei < 0:
            raise ValueError("config: fees must be positive")
        if not self.lp_min_request >= 0:
            raise ValueError("config: lp_min_request must be >= 0")
        if not 0 <= self.metrics_port <= 65_535:
            raise ValueError(f"config: metrics_port {self.metrics_port} is not a port (0-65535)")

    @property
    def max_fee_ceiling_wei(self) -> int:
        return int(round(self.max_fee_ceiling_gwei * GWEI))

    @property
    def priority_fee_wei(self) -> int:
        return int(round(self.priority_fee_gwei * GWEI))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> KeeperConfig:
        """Build from a mapping (keys = field names); unknown keys or bad types raise."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(values) - set(fields)
        if unknown:
            raise ValueError(f"config: unknown option(s) {sorted(unknown)}")
        out: dict[str, Any] = {}
        for name, value in values.items():
            kind = type(fields[name].default)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"config: {name} must be {kind.__name__}, got {value!r}")
            out[name] = value
        return cls(**out)

    @classmethod
    def from_yaml(cls, path: str | Path) -> KeeperConfig:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, Mapping):
            raise ValueError("config: the YAML file must be a mapping")
        return cls.from_mapping(data)

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> help text (for the CLI)."""
        return {f.name: f.metadata["help"] for f in dataclasses.fields(cls)}
