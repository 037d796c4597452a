"""WAD fixed point (1e18 = 1.0) and time conventions shared with the contracts (SPEC §2)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

WAD = 10**18
YEAR_SECONDS = 31_536_000  # 365 days, as on-chain


def to_wad(value: float | Decimal | str) -> int:
    """Round a real number to the nearest WAD integer (half-even, through Decimal)."""
    return int((Decimal(str(value)) * WAD).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_wad(value: int) -> float:
    return value / WAD


def years(seconds: float) -> float:
    """Seconds to years of 365 days."""
    return seconds / YEAR_SECONDS
