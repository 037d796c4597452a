"""Vectorised off-chain model of every open vault's equity and margin (the pre-screen).

The keeper does not call ``health`` for every vault on every block: it evaluates all of
them at once here, in float64 numpy, from the latest oracle values, and asks the chain
only about the few that look unhealthy (:mod:`keeper.planner`). The model follows
``MarginEngine.evaluate`` + ``lib/margin.vy::_requirement`` + ``ClearingHouse.health``
step by step, on dense (vault, leg) arrays:

- **marks.** A live leg is marked at the Black-Scholes price (``ringfence.black_scholes``,
  the float64 twin of ``contracts/lib/black_scholes.vy``) at the oracle spot, the series'
  oracle vol and the underlying's rate. An expired leg is marked at its payoff at the
  settlement price, at spot until that is fixed; it stays in the margin (``live``) until
  the settlement price is fixed, revalued at tau = 0.
- **scenarios** (:func:`spot_shock`, :func:`vol_shocks`). The spot moves up by h =
  clamp(spot_sigmas x highest unexpired leg vol x sqrt(horizon / year), spot_shock, 50 %)
  and down by min(crash_factor x h, 90 %); every leg's vol by its own tenor-scaled up and
  down shocks. Each live leg is revalued on the 3 spots x 2 vols (``scenario_grid``),
  longs ``horizon`` closer to expiry, shorts at today's time to expiry.
- **margin** (:func:`margin_requirement`, the one function mirroring ``_requirement``):
  per vol state, the vault's loss bound — tangents for longs, chords for shorts — at the
  grid spots and where consecutive tangents of each long leg meet, its maximum (at least
  0) plus the numerical and rate allowances, floored at ``min_short_margin`` x spot per
  short unit; IM = ``im_factor`` x MM; an all-long vault caps both at its mark value.
- **equity** = collateral x SCALE + sum size x (mark - entry).

Accuracy (tests/unit/keeper/test_health*.py): the figures agree with the contract's to
1e-12 relative wherever they are above ~3e-5 of the vault's gross amounts; a smaller
figure is a near-cancellation of values of the order of the notional and its error is
absolute, below ~2e-16 of the gross (the contract's normal CDF is Hart's rational, the
twin's the exact one; in the tails the contract's own price is 1.5e-12 relative off).
:attr:`Health.tolerance` bounds the error per vault (1e-14 of its gross amounts), and the
planner widens its pre-screen by it, so no vault with on-chain equity < MM is missed.
The model only chooses what to confirm on-chain, never what to liquidate. Amounts here
are float64 in real quote units (WAD / 1e18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from keeper import abi
from keeper.index import Book, Position, RiskParams, Series
from ringfence.black_scholes import price_and_greeks, scenario_grid
from ringfence.rpc import Chain, RpcError

WAD = 10**18
YEAR = 31_536_000

# MarginEngine's constants.
TENOR_REFERENCE = 30 * 86_400  # seconds: the tenor the vol shocks are quoted at
MIN_TENOR_SCALE = 0.5  # long-dated vols move at least half as much as 30-day vols
MAX_VOL_DROP = 0.95  # a vol scenario never takes more than 95 % of a leg's vol
# risk_params' hard limits the engine clamps with.
MAX_SPOT_SHOCK = 0.5
MAX_SPOT_DOWN = 0.9
# lib/margin.vy's allowances: 1e-15 of max(S_up, K) + 10 wei per unit, and 3 |r| K per
# year of horizon.
NUMERIC_FRACTION = 1e-15
NUMERIC_WEI = 10e-18
RATE_ALLOWANCE = 3.0

#: Bound of the model's absolute error on equity and MM, as a fraction of the vault's
#: gross amounts (|collateral| + sum |size| x (max(S_up, K) + entry + mark)). The twin and
#: the contract differ by up to ~1e-16 of max(S, K) per value (the contract's normal CDF is
#: Hart's rational, within 4.1e-17 of the exact one; float64 rounding the rest) and a loss
#: bound sums a few of them: over 3,600 random vault evaluations on titanoboa the largest
#: error was 5.6e-16 of the gross (an IM), 1/54 of this bound.
ERROR_FRACTION = 1e-14
#: ... plus this much per leg for the contract's roundings to the wei (a few per term).
ERROR_WEI_PER_LEG = 64e-18


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


# --------------------------------------------------------------------- scenarios


def spot_shock(
    vol_ref: NDArray[np.float64],
    spot_shock: NDArray[np.float64],
    spot_sigmas: NDArray[np.float64],
    horizon: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``MarginEngine._spot_shock``: h = spot_sigmas x vol_ref x sqrt(horizon / year),
    floored at ``spot_shock``, capped at 50 %. ``vol_ref`` is the highest vol among the
    vault's unexpired legs (0 without one); ``horizon`` in seconds, the rest fractions."""
    h = spot_sigmas * vol_ref * np.sqrt(horizon / YEAR)
    return np.minimum(np.maximum(h, spot_shock), MAX_SPOT_SHOCK)


def vol_shocks(
    vol: NDArray[np.float64],
    tau: NDArray[np.float64],
    vol_up: NDArray[np.float64],
    vol_down: NDArray[np.float64],
    tenor_cap: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``MarginEngine._vol_shocks``: (vol x (1 + vol_up g), vol x (1 - min(vol_down g,
    0.95))) with g = sqrt(30 days / tau) clamped to [0.5, tenor_cap]; tau in seconds (> 0).
    """
    with np.errstate(divide="ignore"):
        g = np.sqrt(TENOR_REFERENCE / tau)
    g = np.minimum(np.maximum(g, MIN_TENOR_SCALE), tenor_cap)
    return vol * (1.0 + vol_up * g), vol * (1.0 - np.minimum(vol_down * g, MAX_VOL_DROP))


# ------------------------------------------------------------------------ margin


def margin_requirement(
    size: NDArray[np.float64],
    mark: NDArray[np.float64],
    strike: NDArray[np.float64],
    live: NDArray[np.bool_],
    values: NDArray[np.float64],
    deltas: NDArray[np.float64],
    spots: NDArray[np.float64],
    rate: NDArray[np.float64],
    horizon: NDArray[np.float64],
    min_short_margin: NDArray[np.float64],
    im_factor: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(maintenance, initial) margin per vault, real quote units — ``margin._requirement``.

    Leg arrays are (vaults, legs): signed ``size`` (0 for padding), today's ``mark`` per
    unit, ``strike``, ``live`` (False for padding and for expired legs whose settlement
    price is fixed); ``values`` / ``deltas`` are (vaults, legs, 6), index vol_state x 3 +
    spot_index as ``black_scholes._scenario_grid`` returns them (longs valued ``horizon``
    closer to expiry, shorts at today's tau); ``spots`` (vaults, 3) is S (1 - down), S,
    S (1 + h). Per vault: ``rate``, ``horizon`` (seconds), ``min_short_margin`` and
    ``im_factor`` (fractions).

    Per vol state the loss bound at spot x sums, over live legs, size x (mark - highest
    tangent of the leg at x) for a long and |size| x (chord of its half at x - mark) for a
    short; it is evaluated at the three grid spots and where consecutive tangents of each
    long leg meet (clamped into their interval), which is where its maximum lies. MM =
    max(that maximum, 0) + the numerical allowance (|size| (max(S_up, K) / 1e15 + 10 wei))
    + the rate allowance (|size| 3 |r| K horizon / year), floored at min_short_margin x S
    per short unit; IM = im_factor x MM; an all-long vault caps both at its mark value.
    """
    n, width = size.shape
    spot = spots[:, 1]
    units = np.abs(size)
    short = size < 0
    long_ = live & (size > 0)
    chorded = live & ~long_  # bounded by chords: shorts (and zero sizes)
    short_units = np.where(short, units, 0.0).sum(axis=1)
    long_value = np.where(short, 0.0, units * mark).sum(axis=1)
    all_long = ~short.any(axis=1)
    per_unit = (
        np.maximum(spots[:, 2:3], strike) * NUMERIC_FRACTION
        + NUMERIC_WEI
        + RATE_ALLOWANCE * np.abs(rate)[:, None] * strike * (horizon[:, None] / YEAR)
    )
    allowance = np.where(live, units * per_unit, 0.0).sum(axis=1)

    # (vault, vol state, leg, spot index)
    v = values.reshape(n, width, 2, 3).transpose(0, 2, 1, 3)
    d = deltas.reshape(n, width, 2, 3).transpose(0, 2, 1, 3)

    # Shorts: on each half k of the box the chord is linear, so their part of the loss
    # bound is one line per (vault, vol state, half): sum |size| (chord(x) - mark) =
    # A_k - B_k (x - s_k) with A_k = sum size (mark - v_k), B_k = sum size x chord slope.
    sz = np.where(chorded, size, 0.0)[:, None, :, None]
    gap = (spots[:, 1:] - spots[:, :2])[:, None, None, :]
    flat = gap == 0  # a zero-width half: the chord is max(v_k, v_k+1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(flat, 0.0, (v[..., 1:] - v[..., :2]) / gap)
    level = np.where(flat, np.maximum(v[..., 1:], v[..., :2]), v[..., :2])
    A = (sz * (mark[:, None, :, None] - level)).sum(axis=2)  # (vault, vol state, half)
    B = (sz * slope).sum(axis=2)

    # Longs, grouped by how many live long legs a vault has (0-4): each group's candidates
    # are the grid and the 2 meeting points of consecutive tangents per long leg.
    worst = np.zeros(n)
    n_long = long_.sum(axis=1)
    for k in np.unique(n_long):
        idx = np.flatnonzero(n_long == k)
        sp = spots[idx]
        xs = np.broadcast_to(sp[:, None, :], (idx.size, 2, 3))
        if k:
            # the vault's long legs first (stable), the first k of them
            slots = np.argsort(~long_[idx], axis=1, kind="stable")[:, :k]
            lv = np.take_along_axis(v[idx], slots[:, None, :, None], axis=2)
            ld = np.take_along_axis(d[idx], slots[:, None, :, None], axis=2)
            lsz = np.take_along_axis(size[idx], slots, axis=1)[:, None, None, :]
            lmk = np.take_along_axis(mark[idx], slots, axis=1)[:, None, None, :]
            # where the tangents at grid points j and j + 1 meet, clamped into [s_j,
            # s_j+1]; parallel ones give none (`_tangent_meet` returns 0): the middle spot
            lo, hi = sp[:, None, None, :2], sp[:, None, None, 1:]
            d0, d1 = ld[..., :2], ld[..., 1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                x = (lv[..., 1:] - lv[..., :2] + d0 * lo - d1 * hi) / (d0 - d1)
            x = np.where(d0 != d1, np.minimum(np.maximum(x, lo), hi), sp[:, None, None, 1:2])
            xs = np.concatenate([xs, x.reshape(idx.size, 2, 2 * k)], axis=2)
        xc = xs[..., None]  # (vault, vol state, candidate, 1)
        # the shorts' line of the half each candidate lies in: (s1, s2] or [s0, s1]
        upper = xs > sp[:, None, 1:2]
        loss = np.where(
            upper,
            A[idx, :, 1:2] - B[idx, :, 1:2] * (xs - sp[:, None, 1:2]),
            A[idx, :, 0:1] - B[idx, :, 0:1] * (xs - sp[:, None, 0:1]),
        )
        if k:
            # size x (mark - highest of the three tangents at x), summed over the longs
            high = None
            for j in range(3):
                t = lv[:, :, None, :, j] + ld[:, :, None, :, j] * (
                    xc - sp[:, None, None, j : j + 1]
                )
                high = t if high is None else np.maximum(high, t)
            loss = loss + (lsz * (lmk - high)).sum(axis=3)
        worst[idx] = np.maximum(loss.max(axis=(1, 2)), 0.0)

    mm = np.maximum(worst + allowance, min_short_margin * spot * short_units)
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
    expired with every settlement price fixed. ``tolerance`` bounds the model's absolute
    error on equity and MM per vault (None: exact figures, e.g. hand-made in a test).
    """

    ids: NDArray[np.int64]
    equity: NDArray[np.float64]
    maintenance: NDArray[np.float64]
    initial: NDArray[np.float64]
    priced: NDArray[np.bool_]
    settleable: NDArray[np.bool_]
    tolerance: NDArray[np.float64] | None = None

    @property
    def ratio(self) -> NDArray[np.float64]:
        """equity / MM (the margin ratio); -inf/+inf when MM is 0, NaN when unpriced."""
        return self._ratio(self.equity, self.maintenance)

    @property
    def screen_ratio(self) -> NDArray[np.float64]:
        """The ratio with the model's error against the vault: (equity - tolerance) /
        (MM + tolerance). Where the chain has equity < MM it is below 1, so any
        ``prescreen_ratio`` >= 1 selects the vault."""
        if self.tolerance is None:
            return self.ratio
        return self._ratio(self.equity - self.tolerance, self.maintenance + self.tolerance)

    def _ratio(self, equity: NDArray[np.float64], mm: NDArray[np.float64]) -> NDArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = equity / mm
        zero = mm == 0
        r = np.where(zero & (equity < 0), -np.inf, r)
        r = np.where(zero & (equity >= 0), np.inf, r)
        return np.where(self.priced, r, np.nan)


def _column(values: Iterable, count: int, dtype: type = np.float64) -> NDArray:
    return np.fromiter(values, dtype=dtype, count=count)


def _unique_rows(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(first index of each distinct key, index of every element's key among them)."""
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse


def model_health(
    positions: Iterable[Position],
    series: Mapping[int, Series],
    risk: Mapping[str, RiskParams],
    market: Market,
    scale: int,
) -> Health:
    """Equity, MM and IM of every position at ``market`` (see the module docstring).

    Black-Scholes runs once per distinct input, not once per leg: a mark depends only on
    the series, a leg's grid only on its series, its side (a long is valued ``horizon``
    later) and its vault's spot shock h, so a book of 10,000 vaults over a few dozen series
    needs a few hundred evaluations.
    """
    plist = list(positions)
    n = len(plist)
    now = market.timestamp
    counts = _column(map(len, map(attrgetter("legs"), plist)), n, np.int64)
    width = max(int(counts.max()) if n else 0, 1)
    flat = [leg for p in plist for leg in p.legs]
    m = len(flat)
    row = np.repeat(np.arange(n), counts)
    col = np.arange(m) - np.repeat(np.cumsum(counts) - counts, counts)

    # Per underlying: spot and risk parameters (real units), one row each.
    unders = sorted({p.underlying for p in plist} | {t.underlying for t in series.values()})
    u_of = {u: i for i, u in enumerate(unders)}
    table = np.zeros((len(unders) + 1, 11))  # the last row: an unknown underlying
    known = np.zeros(len(unders) + 1, dtype=bool)
    for u, i in u_of.items():
        r = risk.get(u)
        spot = market.spot.get(u)
        if r is None or not spot:
            continue
        known[i] = True
        table[i] = (
            spot / WAD, r.spot_shock / WAD, r.spot_sigmas / WAD, r.crash_factor / WAD,
            r.vol_up / WAD, r.vol_down / WAD, r.vol_tenor_cap / WAD, r.horizon,
            r.im_factor / WAD, r.min_short_margin / WAD, r.rate / WAD,
        )  # fmt: skip
    uix = _column((u_of[p.underlying] for p in plist), n, np.int64)
    S, h_floor, sigmas, crash, vup, vdown, tcap, horizon, imf, msm, rate = table[uix].T
    vault_ok = known[uix]

    # Per series held: terms and oracle inputs, one row each (`six` indexes them).
    sids = _column(map(attrgetter("series_id"), flat), m, np.int64)
    uniq, six = np.unique(sids, return_inverse=True)
    terms = [series.get(int(sid)) for sid in uniq]
    q = len(terms)
    known_q = np.array([t is not None for t in terms], dtype=bool)
    terms = [t or Series(0, "", WAD, 0, False, 0) for t in terms]
    strike_q = np.array([t.strike / WAD for t in terms])
    call_q = np.array([t.is_call for t in terms], dtype=bool)
    expiry_q = np.array([t.expiry for t in terms], dtype=np.int64)
    under_q = np.array([u_of.get(t.underlying, len(unders)) for t in terms], dtype=np.int64)
    vols_q = [market.vol.get(int(sid)) for sid in uniq]
    has_vol_q = np.array([v is not None for v in vols_q], dtype=bool)
    vol_q = np.array([v / WAD if v is not None else 0.0 for v in vols_q])
    fixed_q = [market.settlement.get((t.underlying, t.expiry)) for t in terms]
    settle_q = np.array([f / WAD if f else 0.0 for f in fixed_q])
    # fixed: expired with its settlement price set (out of the margin, marked at it)
    fixed_ok_q = (expiry_q <= now) & (settle_q > 0)
    unexpired_q = expiry_q > now
    # the contract reads the spot first for any vault, and the vol of every unexpired leg
    ok_q = known_q & known[under_q] & (~unexpired_q | has_vol_q)
    priced_q = unexpired_q & ok_q
    tau_q = np.where(priced_q, expiry_q - now, 0).astype(np.float64)
    vol_q = np.where(priced_q, vol_q, 0.0)
    spot_q, rate_q = table[under_q, 0], table[under_q, 10]

    # marks: Black-Scholes while unexpired, else the payoff at the settlement price (at
    # spot until it is fixed)
    mark_q = np.zeros(q)
    if priced_q.any():
        g = price_and_greeks(
            call_q[priced_q], spot_q[priced_q], strike_q[priced_q], tau_q[priced_q] / YEAR,
            vol_q[priced_q], rate_q[priced_q],
        )  # fmt: skip
        mark_q[priced_q] = np.maximum(g.price, 0.0)
    px = np.where(fixed_ok_q, settle_q, spot_q)
    payoff = np.maximum(np.where(call_q, px - strike_q, strike_q - px), 0.0)
    mark_q = np.where(unexpired_q, mark_q, payoff)

    # per leg
    size = _column(map(attrgetter("size"), flat), m) / WAD
    entry = _column(map(attrgetter("entry_price"), flat), m) / WAD
    leg_ok = ok_q[six] & vault_ok[row] & (under_q[six] == uix[row])
    live = leg_ok & ~fixed_ok_q[six]  # in the margin: unexpired, or expired and not fixed
    mark, strike = mark_q[six], strike_q[six]

    # scenarios: h from the highest unexpired vol, each leg's vol shocks, the grid
    vol_leg = np.zeros((n, width))
    vol_leg[row, col] = np.where(leg_ok, vol_q[six], 0.0)
    h = spot_shock(vol_leg.max(axis=1), h_floor, sigmas, horizon)
    down = np.minimum(h * crash, MAX_SPOT_DOWN)
    spots = np.stack([S * (1.0 - down), S, S * (1.0 + h)], axis=1)
    values = np.zeros((m, 6))
    deltas = np.zeros((m, 6))
    if live.any():
        # one grid per distinct (series, long or not, h)
        _, h_code = np.unique(h, return_inverse=True)
        is_long = size > 0
        key = (six * 2 + is_long) * (int(h_code.max()) + 1) + h_code[row]
        pick = np.flatnonzero(live)
        first, inverse = _unique_rows(key[pick])
        rep = pick[first]
        r, k = row[rep], six[rep]
        t = tau_q[k]
        up_vol, down_vol = vol_shocks(vol_q[k], t, vup[r], vdown[r], tcap[r])
        up_vol = np.where(t > 0, up_vol, 0.0)
        down_vol = np.where(t > 0, down_vol, 0.0)
        # a long is worth its value `horizon` closer to expiry
        t = np.where(is_long[rep], t - np.minimum(t, horizon[r]), t)
        grid = scenario_grid(
            call_q[k], S[r], strike_q[k], t / YEAR, rate[r], h[r], down[r], up_vol, down_vol
        )
        values[pick] = grid.values[inverse]
        deltas[pick] = grid.deltas[inverse]

    def dense(x: NDArray, fill: float | bool = 0.0) -> NDArray:
        out = np.full((n, width, *x.shape[1:]), fill, dtype=x.dtype)
        out[row, col] = x
        return out

    mm, im = margin_requirement(
        dense(size), dense(mark), dense(strike, 1.0), dense(live, False), dense(values),
        dense(deltas), spots, rate, horizon, msm, imf,
    )  # fmt: skip

    def per_vault(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(row, weights=x, minlength=n)

    collateral = _column((p.collateral for p in plist), n) * (scale / WAD)
    equity = collateral + per_vault(size * (mark - entry))
    priced = vault_ok & (per_vault((~leg_ok) * 1.0) == 0)
    settleable = (per_vault((~fixed_ok_q[six]) * 1.0) == 0) & (counts > 0)
    # the vault's gross amounts: collateral, and per unit the larger of S_up and K (the
    # scale of every scenario value), the entry and the mark (a payoff at a settlement
    # price may exceed both)
    gross = np.abs(collateral) + per_vault(
        np.abs(size) * (np.maximum(spots[row, 2], strike) + entry + mark)
    )
    tolerance = ERROR_FRACTION * gross + ERROR_WEI_PER_LEG * (counts + 1)

    ids = _column(map(attrgetter("position_id"), plist), n, np.int64)
    nan = np.full(n, np.nan)
    return Health(
        ids=ids,
        equity=np.where(priced, equity, nan),
        maintenance=np.where(priced, mm, nan),
        initial=np.where(priced, im, nan),
        priced=priced,
        settleable=settleable,
        tolerance=np.where(priced, tolerance, nan),
    )


def model_book(index_book: Book, market: Market, scale: int) -> Health:
    """:func:`model_health` over every open position of an index book."""
    return model_health(
        index_book.positions.values(), index_book.series, index_book.risk, market, scale
    )
