"""Full revaluation: every leg repriced with Black-Scholes on the path's own surface.

At a path state (``market.PathState``, t seconds after the start) each series is priced at
the path's spot, its time to expiry advanced by t (so time decay over the horizon is in the
loss), and the vol its expiry's raw-SVI smile gives at its strike on that path. A strategy's
value is the sum of its legs' ``size x price``; its loss over the horizon is
``value(0) - value(t)`` (futures-style margining: equity moves by exactly the change in
marks, SPEC §2).

The pricer is ``ringfence.black_scholes`` -- the exact Black-Scholes formula in float64, not
the contract's fixed-point approximation. That is the right yardstick for the true loss: the
question is whether the posted margin covers what the vault's legs are really worth to the
pool that takes them over, and the exact formula is that value (the contract's marks agree
with it to about 1e-12 relative, far below any margin figure; ``contract_margin`` checks the
start marks against it on every run). It also makes the revaluation a few vector operations
per series over all paths.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from numpy.typing import NDArray

from ringfence.black_scholes import price_and_greeks
from ringfence.tools.backtest import surface
from ringfence.tools.backtest.book import Strategy, series_of
from ringfence.tools.backtest.config import ModelParams
from ringfence.tools.backtest.market import PathState, StartState, smile

Series = tuple[int, float, bool]


def series_values(
    start: StartState, model: ModelParams, state: PathState, series: list[Series]
) -> dict[Series, NDArray[np.float64]]:
    """Per-unit price of every series on every path at `state`."""
    by_expiry: dict[int, list[Series]] = defaultdict(list)
    for s in series:
        by_expiry[s[0]].append(s)
    out: dict[Series, NDArray[np.float64]] = {}
    for i, group in by_expiry.items():
        tau, atm, rho, wing = smile(start, model, state, i)
        svi = surface.raw_svi(atm, rho, wing, start.width, tau)
        forward = state.spot * np.exp(start.rate * tau)
        for s in group:
            _, strike, is_call = s
            vol = surface.implied_vol(strike, forward, tau, svi)
            g = price_and_greeks(is_call, state.spot, strike, tau, vol, start.rate)
            out[s] = g.price
    return out


def strategy_value(strategy: Strategy, values: dict[Series, NDArray]) -> NDArray[np.float64]:
    return sum(leg.size * values[leg.series] for leg in strategy.legs)


def book_values(
    book: list[Strategy], start: StartState, model: ModelParams, state: PathState
) -> dict[str, NDArray[np.float64]]:
    """Every strategy's value (quote per strategy unit) on every path at `state`."""
    values = series_values(start, model, state, series_of(book))
    return {s.key: strategy_value(s, values) for s in book}


def start_values(book: list[Strategy], start: StartState, model: ModelParams) -> dict[str, float]:
    """Every strategy's value on the start surface (t = 0)."""
    at_start = book_values(book, start, model, PathState.initial(start))
    return {key: float(v[0]) for key, v in at_start.items()}
