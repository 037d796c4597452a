"""EIP-1559 fees and same-nonce replacement: the one policy of every Ringfence sender (the
oracle pusher and the keeper). Pure arithmetic, no I/O.

- First attempt: maxPriorityFeePerGas = ``priority_fee``; maxFeePerGas =
  ``base_fee_multiplier`` x the latest base fee + the priority fee; both capped at
  ``max_fee_ceiling``. When the ceiling is below the base fee the transaction could not be
  mined: ``initial`` returns None and the sender waits (it broadcasts nothing).
- Not mined within ``replace_after_blocks`` blocks (or ``replace_after_seconds``, when set,
  for chains whose blocks stall): the same nonce and calldata again, with BOTH fees at least
  x 1.125 rounded up (nodes demand >= +10 % on both to accept a replacement) and at least
  what the current base fee asks for.
- The ceiling is never crossed: once a full +12.5 % step would exceed it, ``replacement``
  returns None and the pending transaction is simply awaited.
"""

from __future__ import annotations

from dataclasses import dataclass

GWEI = 10**9
BUMP_NUMERATOR = 1_125  # +12.5 %
BUMP_DENOMINATOR = 1_000
MULTIPLIER_UNIT = 1_000  # the base-fee multiplier is applied in thousandths, exactly


def bumped(value: int) -> int:
    """``value`` x 1.125, rounded up, and at least value + 1."""
    return max(-(-value * BUMP_NUMERATOR // BUMP_DENOMINATOR), value + 1)


@dataclass(frozen=True)
class Fees:
    max_fee: int  # maxFeePerGas, wei
    priority_fee: int  # maxPriorityFeePerGas, wei

    def gwei(self) -> str:
        return f"{self.max_fee / GWEI:.3f}/{self.priority_fee / GWEI:.3f} gwei"


@dataclass(frozen=True)
class FeePolicy:
    max_fee_ceiling: int  # wei per gas; no transaction ever offers more
    priority_fee: int = GWEI  # wei per gas
    base_fee_multiplier: float = 2.0
    replace_after_blocks: int = 3
    replace_after_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.max_fee_ceiling <= 0:
            raise ValueError("max_fee_ceiling must be > 0")
        if self.priority_fee < 0:
            raise ValueError("priority_fee must be >= 0")
        if self.base_fee_multiplier < 1:
            raise ValueError("base_fee_multiplier must be >= 1")
        if self.replace_after_blocks < 1:
            raise ValueError("replace_after_blocks must be >= 1")

    def _target(self, base_fee: int, priority: int) -> int:
        milli = round(self.base_fee_multiplier * MULTIPLIER_UNIT)
        return base_fee * milli // MULTIPLIER_UNIT + priority

    def initial(self, base_fee: int, floor: Fees | None = None) -> Fees | None:
        """Fees of a first attempt, or None when the ceiling is below ``base_fee`` (nothing
        could be mined: wait). ``floor`` is a still-pending attempt at the same nonce (from an
        earlier cycle) that this one must out-bid to replace."""
        priority = min(self.priority_fee, self.max_fee_ceiling)
        max_fee = min(self.max_fee_ceiling, self._target(base_fee, priority))
        if max_fee < base_fee:
            return None
        fees = Fees(max_fee=max_fee, priority_fee=min(priority, max_fee))
        if floor is not None and (
            fees.max_fee < bumped(floor.max_fee) or fees.priority_fee < bumped(floor.priority_fee)
        ):
            return self.replacement(floor, base_fee) or floor
        return fees

    def replacement(self, old: Fees, base_fee: int) -> Fees | None:
        """Fees of a same-nonce replacement: both at least ``bumped(old)`` and what
        ``base_fee`` asks for, never above the ceiling; None when the ceiling leaves no room
        for a full bump (then wait)."""
        min_max = bumped(old.max_fee)
        min_priority = bumped(old.priority_fee)
        priority = max(min_priority, self.priority_fee)
        max_fee = min(self.max_fee_ceiling, max(min_max, self._target(base_fee, priority)))
        if max_fee < min_max:
            return None
        priority = min(priority, max_fee)
        if priority < min_priority:
            return None
        return Fees(max_fee=max_fee, priority_fee=priority)

    def should_replace(self, sent_block: int, block: int, sent_at: float, now: float) -> bool:
        """Whether a pending attempt has waited long enough to be replaced."""
        if block - sent_block >= self.replace_after_blocks:
            return True
        return (
            self.replace_after_seconds is not None and now - sent_at >= self.replace_after_seconds
        )
