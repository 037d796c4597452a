"""The clearing house's per-unit half-spread, exactly as ``ClearingHouse._spread``.

A leg opens at mark + spread (long) or mark - spread (short) and closes the other way;
the spread prices a move of ``spread_vol`` in vol and of ``spread_vol`` of the spot, to
first order: ``spread_vol * (vega + |delta| * spot)``, every product rounded down as the
contract rounds it (docs/oracle.md, "Stale-oracle trading").
"""

from __future__ import annotations

WAD = 10**18


def spread_per_unit(spread_vol: int, vega: int, delta: int, spot: int) -> int:
    """Half-spread per unit, WAD, from WAD ``spread_vol``, vega, signed delta and spot."""
    return spread_vol * (vega + abs(delta) * spot // WAD) // WAD


def opening_cost(spread_vol: int, sizes, vegas, deltas, spot: int) -> int:
    """The spread of opening legs of ``sizes`` (WAD), WAD quote, before the mark cap a
    short's spread has (a short never enters below 0): sum |size| * spread // WAD."""
    return sum(
        abs(size) * spread_per_unit(spread_vol, vega, delta, spot) // WAD
        for size, vega, delta in zip(sizes, vegas, deltas, strict=False)
    )
