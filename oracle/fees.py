"""EIP-1559 fee and same-nonce replacement policy (pure arithmetic, no I/O).

- First attempt: maxPriorityFeePerGas = ``priority_fee``; maxFeePerGas =
  ``base_fee_multiplier`` x the latest base fee + the priority fee, both capped at
  ``max_fee_ceiling``.
- Not mined within ``replace_after_blocks`` blocks (or ``replace_after_seconds``, when set,
  for chains whose blocks stall): resend the same nonce and calldata with BOTH fees x 1.125,
  rounded up (nodes demand >= +10 % on both to accept a replacement).
- The ceiling is never crossed: once a full +12.5 % step would exceed it, the policy stops
  bumping and the pending transaction is simply awaited.
"""

from __future__ import annotations

from dataclasses import dataclass

GWEI = 10**9
BUMP_NUMERATOR = 1_125  # +12.5 %
BUMP_DENOMINATOR = 1_000


@dataclass(frozen=True)
class Fees:
    max_fee: int  # maxFeePerGas, wei
    priority_fee: int  # maxPriorityFeePerGas, wei

    def gwei(self) -> str:
        return f"{self.max_fee / GWEI:.3f}/{self.priority_fee / GWEI:.3f} gwei"


def bumped(value: int) -> int:
    """``value`` x 1.125, rounded up, and at least value + 1."""
    return max(-(-value * BUMP_NUMERATOR // BUMP_DENOMINATOR), value + 1)


@dataclass(frozen=True)
class FeePolicy:
    priority_fee: int  # wei
    max_fee_ceiling: int  # wei; no transaction ever offers more per gas
    base_fee_multiplier: float = 2.0
    replace_after_blocks: int = 3
    replace_after_seconds: float | None = None

    def initial(self, base_fee: int, floor: Fees | None = None) -> Fees:
        """Fees for a first attempt; ``floor`` is a still-pending attempt at the same nonce
        (from an earlier cycle) that this one must out-bid to replace."""
        priority = min(self.priority_fee, self.max_fee_ceiling)
        max_fee = min(int(base_fee * self.base_fee_multiplier) + priority, self.max_fee_ceiling)
        fees = Fees(max_fee=max_fee, priority_fee=priority)
        if floor is not None and (
            fees.max_fee < bumped(floor.max_fee) or fees.priority_fee < bumped(floor.priority_fee)
        ):
            return self.bump(floor) or floor
        return fees

    def bump(self, fees: Fees) -> Fees | None:
        """The replacement's fees, or None when +12.5 % would cross the ceiling."""
        new = Fees(max_fee=bumped(fees.max_fee), priority_fee=bumped(fees.priority_fee))
        if new.max_fee > self.max_fee_ceiling:
            return None
        return new

    def should_replace(self, sent_block: int, block: int, sent_at: float, now: float) -> bool:
        if block - sent_block >= self.replace_after_blocks:
            return True
        return (
            self.replace_after_seconds is not None and now - sent_at >= self.replace_after_seconds
        )
