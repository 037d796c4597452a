"""The demo's book of positions: who opens what, how big, with how much collateral.

Pure: it sees the listed series (id, strike, expiry, call/put) and returns orders; the chain
driver turns each order's ``leverage`` into collateral from the on-chain initial margin
(``collateral = IM x leverage + opening cost``), so the book never guesses the margin model.

The book (deterministic for a seed):

- **single legs**: first every listed series both long and short (all 3 expiries x 7
  strikes are covered), then random ones;
- **pods**: vertical spreads (credit and debit, put and call side), straddles (long and
  short) and iron condors (short and long);
- **the seed's straddle, twice**: each "seed" trader buys the same ATM straddle once as two
  isolated vaults (call vault + put vault) and once as one pod, with the same size and the
  same leverage, so the report can compare how the two fare in the crash;
- **leverage** from conservative to aggressive: collateral = IM x one of ``LEVERAGE_LADDER``
  (1.05 = 5 % above initial margin, 3.0 = three times it), chosen per trader profile.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

LEVERAGE_LADDER = (1.05, 1.15, 1.3, 1.6, 2.0, 3.0)
SIZES = (0.5, 1.0, 1.5, 2.0, 3.0)
POD_KINDS = (
    "put-credit-spread",
    "call-credit-spread",
    "put-debit-spread",
    "call-debit-spread",
    "long-straddle",
    "short-straddle",
    "short-iron-condor",
    "long-iron-condor",
)


@dataclass(frozen=True)
class SeriesInfo:
    series_id: int
    strike: float  # quote per unit
    expiry: int  # unix seconds
    is_call: bool


@dataclass(frozen=True)
class Order:
    trader: int  # index into the demo's traders
    kind: str  # "single-long-call", "short-straddle", "seed-straddle-call", ...
    legs: tuple[tuple[int, float], ...]  # (series id, signed size in units)
    leverage: float  # collateral as a multiple of the initial margin
    group: str  # "single", "pod", "seed-split" or "seed-pod"


class BookError(ValueError):
    """The listed series cannot carry the demo's book."""


class Chain:
    """Lookup of the listed series by expiry, strike and type."""

    def __init__(self, series: Sequence[SeriesInfo], spot: float):
        self.series = list(series)
        self.by_key = {(s.expiry, s.strike, s.is_call): s.series_id for s in series}
        self.expiries = sorted({s.expiry for s in series})
        self.spot = spot

    def strikes(self, expiry: int, is_call: bool) -> list[float]:
        return sorted(k for (e, k, c) in self.by_key if e == expiry and c == is_call)

    def atm(self, expiry: int) -> float | None:
        both = set(self.strikes(expiry, True)) & set(self.strikes(expiry, False))
        return min(both, key=lambda k: abs(k - self.spot)) if both else None

    def id(self, expiry: int, strike: float, is_call: bool) -> int:
        return self.by_key[(expiry, strike, is_call)]


def build_book(
    series: Sequence[SeriesInfo],
    spot: float,
    n_traders: int = 300,
    seed: int = 0,
    seed_traders: int = 24,
    positions_per_trader: int = 3,
) -> list[Order]:
    """The demo's orders for ``n_traders`` traders (see the module doc)."""
    if n_traders < seed_traders + 1:
        raise BookError(f"need more than {seed_traders} traders, got {n_traders}")
    chain = Chain(series, spot)
    rng = random.Random(seed)
    pod_expiries = [e for e in chain.expiries if chain.atm(e) is not None]
    if not pod_expiries:
        raise BookError("no expiry lists a call and a put at one strike: no straddles")
    orders: list[Order] = []

    # The seed's straddle, twice per seed trader: two isolated vaults, then one pod.
    for trader in range(seed_traders):
        expiry = pod_expiries[trader % len(pod_expiries)]
        strike = chain.atm(expiry)
        size = SIZES[trader % len(SIZES)]
        leverage = LEVERAGE_LADDER[trader % len(LEVERAGE_LADDER)]
        call = chain.id(expiry, strike, True)
        put = chain.id(expiry, strike, False)
        orders.append(Order(trader, "seed-straddle-call", ((call, size),), leverage, "seed-split"))
        orders.append(Order(trader, "seed-straddle-put", ((put, size),), leverage, "seed-split"))
        orders.append(
            Order(trader, "seed-straddle-pod", ((call, size), (put, size)), leverage, "seed-pod")
        )

    # Coverage first: every listed series long and short, spread over the other traders.
    others = list(range(seed_traders, n_traders))
    coverage = [(s, side) for s in chain.series for side in (1, -1)]
    per_trader: dict[int, list[Order]] = {t: [] for t in others}
    for i, (s, side) in enumerate(coverage):
        trader = others[i % len(others)]
        per_trader[trader].append(_single(chain, rng, trader, s, side))

    # Then every trader fills up with a mix of pods and singles.
    for trader in others:
        profile = rng.choice(LEVERAGE_LADDER)
        while len(per_trader[trader]) < positions_per_trader:
            if rng.random() < 0.55:
                kind = POD_KINDS[(trader + len(per_trader[trader])) % len(POD_KINDS)]
                order = _pod(chain, rng, trader, kind, rng.choice(pod_expiries), profile)
            else:
                s = rng.choice(chain.series)
                order = _single(chain, rng, trader, s, rng.choice((1, -1)), profile)
            per_trader[trader].append(order)
        orders.extend(per_trader[trader])
    return orders


def _single(
    chain: Chain, rng: random.Random, trader: int, s: SeriesInfo, side: int, leverage=None
) -> Order:
    kind = f"single-{'long' if side > 0 else 'short'}-{'call' if s.is_call else 'put'}"
    size = side * rng.choice(SIZES)
    return Order(
        trader,
        kind,
        ((s.series_id, size),),
        leverage if leverage is not None else rng.choice(LEVERAGE_LADDER),
        "single",
    )


def _pod(
    chain: Chain, rng: random.Random, trader: int, kind: str, expiry: int, leverage: float
) -> Order:
    size = rng.choice(SIZES)
    atm = chain.atm(expiry)
    puts = [k for k in chain.strikes(expiry, False) if k <= atm]
    calls = [k for k in chain.strikes(expiry, True) if k >= atm]
    if kind in ("long-straddle", "short-straddle"):
        side = 1 if kind == "long-straddle" else -1
        legs = (
            (chain.id(expiry, atm, True), side * size),
            (chain.id(expiry, atm, False), side * size),
        )
    elif kind in ("put-credit-spread", "put-debit-spread"):
        high, low = _adjacent(rng, puts)
        side = -1 if kind == "put-credit-spread" else 1  # side of the higher-strike put
        legs = (
            (chain.id(expiry, high, False), side * size),
            (chain.id(expiry, low, False), -side * size),
        )
    elif kind in ("call-credit-spread", "call-debit-spread"):
        low, high = _adjacent(rng, calls, ascending=True)
        side = -1 if kind == "call-credit-spread" else 1  # side of the lower-strike call
        legs = (
            (chain.id(expiry, low, True), side * size),
            (chain.id(expiry, high, True), -side * size),
        )
    elif kind in ("short-iron-condor", "long-iron-condor"):
        side = -1 if kind == "short-iron-condor" else 1  # side of the inner strikes
        put_in, put_out = _adjacent(rng, [k for k in puts if k < atm] or puts)
        call_in, call_out = _adjacent(rng, [k for k in calls if k > atm] or calls, ascending=True)
        legs = (
            (chain.id(expiry, put_in, False), side * size),
            (chain.id(expiry, put_out, False), -side * size),
            (chain.id(expiry, call_in, True), side * size),
            (chain.id(expiry, call_out, True), -side * size),
        )
    else:
        raise BookError(f"unknown pod kind {kind!r}")
    return Order(trader, kind, legs, leverage, "pod")


def _adjacent(
    rng: random.Random, strikes: list[float], ascending: bool = False
) -> tuple[float, float]:
    """Two neighbouring strikes: (inner, outer) — nearest the money first."""
    if len(strikes) < 2:
        raise BookError(f"a spread needs two strikes on one side, got {strikes}")
    ordered = sorted(strikes, reverse=not ascending)
    i = rng.randrange(len(ordered) - 1)
    return ordered[i], ordered[i + 1]
