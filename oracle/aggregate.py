"""Combine several sources of one feed: median, after dropping outliers.

The rule (same for spot and for each expiry's smile; the smile is compared by ATM vol):

1. One value: use it.
2. Two values: if they are within ``max_spread`` of each other, use their median (the
   mean); otherwise nobody can tell which is wrong, so the feed is skipped this cycle.
3. Three or more: take the median of all; drop every value further than ``max_spread``
   from it; if the survivors are not a strict majority, skip the feed this cycle, otherwise
   use the median of the survivors.

``max_spread`` is relative for spot (bps of the median) and absolute for vols (vol points,
0.01 = 1 vol point). A smile cannot be averaged parameter-wise, so the chosen smile is the
surviving source's whose ATM vol is the (lower) median, with its own forward.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oracle.sources.base import Observation, SurfaceQuote


class AggregationError(Exception):
    """Sources disagree too much to publish anything for this feed this cycle."""


@dataclass(frozen=True)
class Picked:
    survivors: list[int]  # indices into the input kept after the outlier rule
    dropped: list[int]


def _survivors(
    values: Sequence[float], distance: Callable[[float, float], float], limit: float
) -> Picked:
    n = len(values)
    if n == 0:
        raise AggregationError("no source produced a value")
    if n == 1:
        return Picked([0], [])
    if n == 2:
        if distance(values[0], statistics.median(values)) * 2 > limit:
            raise AggregationError(
                f"two sources disagree ({values[0]:.6g} vs {values[1]:.6g}); "
                "cannot tell which is wrong"
            )
        return Picked([0, 1], [])
    mid = statistics.median(values)
    keep = [i for i, v in enumerate(values) if distance(v, mid) <= limit]
    if len(keep) * 2 <= n:
        raise AggregationError(f"only {len(keep)} of {n} sources agree within the spread limit")
    return Picked(keep, [i for i in range(n) if i not in keep])


def relative_bps(value: float, reference: float) -> float:
    return abs(value - reference) / reference * 10_000


def absolute(value: float, reference: float) -> float:
    return abs(value - reference)


def aggregate_spot(values: Sequence[float], max_spread_bps: float) -> tuple[float, Picked]:
    picked = _survivors(values, relative_bps, max_spread_bps)
    return statistics.median(values[i] for i in picked.survivors), picked


def aggregate_surface(
    quotes: Sequence[SurfaceQuote], observed_at: Sequence[int], max_vol_spread: float
) -> tuple[SurfaceQuote, Picked]:
    """Pick one smile among sources for one expiry (see module doc)."""
    atm = [q.atm_vol(t) for q, t in zip(quotes, observed_at, strict=True)]
    picked = _survivors(atm, absolute, max_vol_spread)
    ordered = sorted(picked.survivors, key=lambda i: atm[i])
    return quotes[ordered[(len(ordered) - 1) // 2]], picked


@dataclass(frozen=True)
class FeedValue:
    """The aggregated value of one feed for one cycle."""

    underlying: str
    observed_at: int
    spot: float
    surfaces: dict[int, SurfaceQuote]
    sources: list[str]
    dropped: list[str]
    problems: list[str]  # per-expiry disagreements (that expiry is not published)


def aggregate(
    observations: Sequence[Observation], max_spread_bps: float, max_vol_spread: float
) -> FeedValue:
    """One feed value from every source's observation of the same underlying.

    ``observed_at`` is the earliest of the sources' times: a report must never claim to be
    fresher than its oldest input.
    """
    if not observations:
        raise AggregationError("no source produced a value")
    spot, picked = aggregate_spot([o.spot for o in observations], max_spread_bps)
    dropped = [observations[i].source for i in picked.dropped]
    surfaces: dict[int, SurfaceQuote] = {}
    problems: list[str] = []
    expiries = sorted({e for o in observations for e in o.surfaces})
    for expiry in expiries:
        have = [o for o in observations if expiry in o.surfaces]
        try:
            quote, _ = aggregate_surface(
                [o.surfaces[expiry] for o in have], [o.observed_at for o in have], max_vol_spread
            )
        except AggregationError as exc:
            problems.append(f"expiry {expiry}: {exc}")
            continue
        surfaces[expiry] = quote
    return FeedValue(
        underlying=observations[0].underlying,
        observed_at=min(o.observed_at for o in observations),
        spot=spot,
        surfaces=surfaces,
        sources=[o.source for o in observations],
        dropped=dropped,
        problems=problems,
    )
