"""Vectorised off-chain model of every open vault's equity and margin (the pre-screen).

The keeper does not call ``health`` for every vault on every block: it evaluates all of
them at once here, in float64 numpy, from the latest oracle values, and asks the chain
only about the few that look unhealthy (:mod:`keeper.planner`). The model follows
``MarginEngine.evaluate`` + ``ClearingHouse.health`` term by term:

- mark of a live leg = Black-Scholes price (``ringfence.black_scholes``, the float64 twin
  of ``contracts/lib/black_scholes.vy``) at the oracle spot, the oracle vol of the series
  and the underlying's rate; an expired leg is marked at its payoff at the settlement
  price (at spot until that is fixed) with a step delta and no gamma or vega;
- equity = collateral x scale + sum size x (mark - entry);
- maintenance margin from the vault's NET Greeks: :func:`margin_requirement`, the one
  function that mirrors ``contracts/lib/margin.vy::_requirement``.

Its figures agree with the contract's integers to float64 accuracy (tests: within 1e-9
relative); they only choose what to confirm on-chain, never what to liquidate.
Amounts here are float64 in real quote units (WAD / 1e18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from keeper import abi
from keeper.index import Book, Position, RiskParams, Series
from keeper.rpc import Chain, RpcError
from ringfence.black_scholes import price_and_greeks_wad

WAD = 10**18


@dataclass(frozen=True)
class Market:
    """Oracle values the pre-screen uses, all WAD integers as the oracle returns them.

    ``spot`` lacks an underlying whose feed is stale or unknown (its vaults cannot be
    liquidated then, SPEC 4.7); ``vol`` has the live series; ``settlement`` holds fixed
    settlement prices by (underlying, expiry) (absent: not fixed yet).
    """

    timestamp: int  # block timestamp the values were read at, unix seconds
    spot: Mapping[str, int] = field(default_factory=dict)
    vol: Mapping[int, int] = field(default_factory=dict)
    settlement: Mapping[tuple[str, int], int] = field(default_factory=dict)


def fetch_market(chain: Chain, oracle: str, book: Book, block: int | str = "latest") -> Market:
    """Read the spot of every underlying with open vaults, the vol of every live series
    they hold and the settlement price of every expired one, at ``block``.

    A read that reverts (stale feed, unknown surface) is left out of the snapshot.
    """
    header = chain.block(block)
    assert header is not None, "health: no such block"
    timestamp = int(header["timestamp"], 16)
    tag = int(header["number"], 16)
    spots: dict[str, int] = {}
    vols: dict[int, int] = {}
    settlement: dict[tuple[str, int], int] = {}

    def read(name: str, args: list) -> int | None:
        try:
            raw = chain.call(oracle, abi.encode_call("IOracle", name, args), block=tag)
        except RpcError:
            return None
        return abi.decode_result("IOracle", name, raw)

    underlyings = {p.underlying for p in book.positions.values()}
    series_ids = {leg.series_id for p in book.positions.values() for leg in p.legs}
    for u in sorted(underlyings):
        value = read("price", [bytes.fromhex(u[2:])])
        if value:
            spots[u] = value
    for sid in sorted(series_ids):
        s = book.series.get(sid)
        if s is None:
            continue
        u = bytes.fromhex(s.underlying[2:])
        if s.expiry > timestamp:
            value = read("vol", [u, s.strike, s.expiry])
            if value is not None:
                vols[sid] = value
        elif (s.underlying, s.expiry) not in settlement:
            value = read("settlement_price", [u, s.expiry])
            if value:
                settlement[(s.underlying, s.expiry)] = value
    return Market(timestamp=timestamp, spot=spots, vol=vols, settlement=settlement)


# ------------------------------------------------------------------------ margin


def margin_requirement(
    net_delta: NDArray[np.float64],
    net_gamma: NDArray[np.float64],
    net_vega: NDArray[np.float64],
    spot: NDArray[np.float64],
    short_units: NDArray[np.float64],
    long_value: NDArray[np.float64],
    all_long: NDArray[np.bool_],
    spot_shock: NDArray[np.float64],
    vol_shock: NDArray[np.float64],
    min_short_margin: NDArray[np.float64],
    im_factor: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(maintenance, initial) margin per vault, real quote units — ``margin._requirement``.

    MM = max over dS in {-hS, 0, +hS}, dv in {-v, +v} of -(D dS + G dS^2 / 2 + V dv)
       = max(-D hS - G (hS)^2 / 2, D hS - G (hS)^2 / 2, 0) + |V| v,
    floored at ``min_short_margin`` x spot per short unit; IM = ``im_factor`` x MM; when
    every leg is long, both are then capped at the vault's mark value (a long vault cannot
    lose more than it is worth). Inputs are real units: net Greeks summed over the legs
    (size x per-unit Greek), spot, short units, long mark value, and the risk parameters
    as fractions.
    """
    ds = spot * spot_shock
    first = net_delta * ds
    second = net_gamma * ds * ds / 2.0
    worst = np.maximum(np.maximum(-first - second, first - second), 0.0)
    mm = worst + np.abs(net_vega) * vol_shock
    mm = np.maximum(mm, min_short_margin * spot * short_units)
    im = mm * im_factor
    mm = np.where(all_long, np.minimum(mm, long_value), mm)
    im = np.where(all_long, np.minimum(im, long_value), im)
    return mm, im


# ------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Health:
    """Model health of a set of vaults; arrays aligned with ``ids``, real quote units.

    ``priced`` is False where an oracle input is missing (stale feed): those vaults have
    NaN figures and are never candidates. ``settleable`` marks vaults whose legs have all
    expired with every settlement price fixed.
    """

    ids: NDArray[np.int64]
    equity: NDArray[np.float64]
    maintenance: NDArray[np.float64]
    initial: NDArray[np.float64]
    priced: NDArray[np.bool_]
    settleable: NDArray[np.bool_]

    @property
    def ratio(self) -> NDArray[np.float64]:
        """equity / MM (the margin ratio); -inf/+inf when MM is 0, NaN when unpriced."""
        with np.errstate(divide="ignore", invalid="ignore"):
            r = self.equity / self.maintenance
        zero = self.maintenance == 0
        r = np.where(zero & (self.equity < 0), -np.inf, r)
        r = np.where(zero & (self.equity >= 0), np.inf, r)
        return np.where(self.priced, r, np.nan)


def model_health(
    positions: Iterable[Position],
    series: Mapping[int, Series],
    risk: Mapping[str, RiskParams],
    market: Market,
    scale: int,
) -> Health:
    """Equity, MM and IM of every position at ``market`` (see the module docstring)."""
    plist = list(positions)
    n = len(plist)
    rows = [(i, p, leg) for i, p in enumerate(plist) for leg in p.legs]
    m = len(rows)
    owner = np.fromiter((r[0] for r in rows), dtype=np.int64, count=m)
    size = np.fromiter((r[2].size / WAD for r in rows), dtype=np.float64, count=m)
    entry = np.fromiter((r[2].entry_price / WAD for r in rows), dtype=np.float64, count=m)
    is_call = np.zeros(m, dtype=bool)
    strike = np.zeros(m, dtype=object)
    expiry = np.zeros(m, dtype=np.int64)
    spot_w = np.zeros(m, dtype=object)
    vol_w = np.zeros(m, dtype=object)
    rate_w = np.zeros(m, dtype=object)
    settle_w = np.zeros(m, dtype=object)
    leg_ok = np.ones(m, dtype=bool)
    settled_fixed = np.zeros(m, dtype=bool)
    for j, (_, p, leg) in enumerate(rows):
        s = series.get(leg.series_id)
        params = risk.get(p.underlying)
        spot = market.spot.get(p.underlying)
        if s is None or params is None:
            leg_ok[j] = False
            continue
        is_call[j] = s.is_call
        strike[j] = s.strike
        expiry[j] = s.expiry
        rate_w[j] = params.rate
        fixed = market.settlement.get((p.underlying, s.expiry))
        settled_fixed[j] = fixed is not None and s.expiry <= market.timestamp
        spot_w[j] = spot or 0
        settle_w[j] = fixed or spot or 0
        if s.expiry > market.timestamp:
            v = market.vol.get(leg.series_id)
            leg_ok[j] = spot is not None and v is not None
            vol_w[j] = v or 0
        else:
            # the contract reads the spot first for any vault: no fresh spot, no health
            leg_ok[j] = spot is not None

    live = (expiry > market.timestamp) & leg_ok
    tau = np.where(live, expiry - market.timestamp, 0)
    strike_f = strike.astype(np.float64) / WAD
    safe_spot = np.where(live, spot_w, WAD)
    safe_strike = np.where(live, strike, WAD)
    g = price_and_greeks_wad(is_call, safe_spot, safe_strike, tau, vol_w, rate_w)

    # expired legs: payoff at the settlement price (spot until fixed), step delta
    s_f = settle_w.astype(np.float64) / WAD
    payoff = np.where(is_call, np.maximum(s_f - strike_f, 0.0), np.maximum(strike_f - s_f, 0.0))
    step = np.where(is_call, (s_f > strike_f) * 1.0, -((s_f < strike_f) * 1.0))
    mark = np.where(live, np.maximum(g.price, 0.0), payoff)
    delta = np.where(live, g.delta, step)
    gamma = np.where(live, g.gamma, 0.0)
    vega = np.where(live, np.maximum(g.vega, 0.0), 0.0)

    def per_vault(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(owner, weights=x, minlength=n)

    net_delta = per_vault(size * delta)
    net_gamma = per_vault(size * gamma)
    net_vega = per_vault(size * vega)
    short_units = per_vault(np.where(size < 0, -size, 0.0))
    long_value = per_vault(np.where(size < 0, 0.0, size * mark))
    all_long = per_vault((size < 0) * 1.0) == 0
    pnl = per_vault(size * (mark - entry))
    priced = per_vault((~leg_ok) * 1.0) == 0
    settleable = (per_vault((~settled_fixed) * 1.0) == 0) & (np.bincount(owner, minlength=n) > 0)

    ids = np.fromiter((p.position_id for p in plist), dtype=np.int64, count=n)
    collateral = np.fromiter((p.collateral * scale / WAD for p in plist), np.float64, count=n)
    vault_spot = np.zeros(n)
    h = np.zeros(n)
    v = np.zeros(n)
    msm = np.zeros(n)
    imf = np.zeros(n)
    for i, p in enumerate(plist):
        params = risk.get(p.underlying)
        vault_spot[i] = market.spot.get(p.underlying, 0) / WAD
        if params is not None:
            h[i] = params.spot_shock / WAD
            v[i] = params.vol_shock / WAD
            msm[i] = params.min_short_margin / WAD
            imf[i] = params.im_factor / WAD
    mm, im = margin_requirement(
        net_delta,
        net_gamma,
        net_vega,
        vault_spot,
        short_units,
        long_value,
        all_long,
        h,
        v,
        msm,
        imf,
    )
    equity = collateral + pnl
    nan = np.full(n, np.nan)
    return Health(
        ids=ids,
        equity=np.where(priced, equity, nan),
        maintenance=np.where(priced, mm, nan),
        initial=np.where(priced, im, nan),
        priced=priced,
        settleable=settleable,
    )


def model_book(index_book: Book, market: Market, scale: int) -> Health:
    """:func:`model_health` over every open position of an index book."""
    return model_health(
        index_book.positions.values(), index_book.series, index_book.risk, market, scale
    )
