# pragma version ~=0.4.3
"""
@title MarginEngine
@notice Prices Ringfence vaults: per-leg marks and vegas from fixed-point
        Black-Scholes at the oracle's spot and vol, and the vault's margin:
        every leg revalued on a spot x vol grid (`black_scholes._scenario_grid`)
        and bounded over the whole scenario box (`lib/margin.vy`), with the
        shocks scaled by implied vol and tenor. Its inputs are typed: series
        terms, signed sizes and the underlying's risk parameters.
@dev Stateless except for the immutable oracle, so callers use `staticcall`.
     All values WAD (1e18 = 1.0).
"""

from .interfaces import IMarginEngine
from .interfaces import IOracle
from .lib import black_scholes
from .lib import constants
from .lib import margin
from .lib import payoff
from .lib import risk_params as risk
from .lib import series_terms

implements: IMarginEngine

# ================================================================ constants

# @dev The tenor the vol shocks are quoted at: 30 days.
TENOR_REFERENCE: constant(uint256) = 30 * 86_400
# @dev Long-dated vols move at least half as much as 30-day vols.
MIN_TENOR_SCALE: constant(uint256) = 5 * 10**17
# @dev A vol scenario never takes more than 95 % of a leg's vol.
MAX_VOL_DROP: constant(uint256) = 95 * 10**16

# =============================================================== immutables

ORACLE: public(immutable(IOracle))


# ===================================================================== init


@deploy
def __init__(oracle: IOracle):
    """
    @notice Deploy the engine over `oracle`.
    @param oracle The oracle (IOracle) every mark is read from.
    """
    assert oracle.address != empty(address), "engine: zero oracle"
    ORACLE = oracle


# ================================================================ externals


@external
@view
def evaluate(
    underlying: bytes32,
    legs: DynArray[IMarginEngine.PricedLeg, constants.MAX_LEGS],
    params: risk.RiskParams,
) -> IMarginEngine.Valuation:
    """
    @notice Spot, per-unit marks, vegas and deltas of each leg, and the vault's
            maintenance and initial margin: a proven upper bound of the loss
            of every leg revalued in full over the vault's stress scenarios
            (see `lib/margin.vy` and docs/risk.md).
    @param underlying Feed id of every leg.
    @param legs 1-4 legs: series terms and signed size (WAD).
    @param params Risk parameters of `underlying`.
    @return IMarginEngine.Valuation Spot, marks, vegas, deltas, MM and IM,
            all WAD.
    @dev Reverts on a stale oracle only: Black-Scholes is defined for every
         price, vol and time the oracle can report.
    """
    out: IMarginEngine.Valuation = empty(IMarginEngine.Valuation)
    out.spot = staticcall ORACLE.price(underlying)
    sc: margin.Scenarios = empty(margin.Scenarios)
    sc.n = len(legs)
    vols: uint256[constants.MAX_LEGS] = empty(uint256[constants.MAX_LEGS])
    taus: uint256[constants.MAX_LEGS] = empty(uint256[constants.MAX_LEGS])
    vol_ref: uint256 = 0
    for i: uint256 in range(len(legs), bound=constants.MAX_LEGS):
        t: series_terms.Terms = legs[i].terms
        sc.sizes[i] = legs[i].size
        sc.strikes[i] = t.strike
        sc.live[i] = True
        if t.expiry <= block.timestamp:
            s: uint256 = staticcall ORACLE.settlement_price(
                underlying, t.expiry
            )
            # a fixed settlement price no longer moves; until then the payoff is at spot
            sc.live[i] = s == 0
            if s == 0:
                s = out.spot
            sc.marks[i] = payoff._payoff(t.is_call, s, t.strike)
            if sc.live[i]:
                out.deltas[i] = payoff._step_delta(t.is_call, s, t.strike)
        else:
            vols[i] = staticcall ORACLE.vol(underlying, t.strike, t.expiry)
            # expiry > block.timestamp: cannot underflow
            taus[i] = unsafe_sub(t.expiry, block.timestamp)
            price: int256 = 0
            delta: int256 = 0
            gamma: int256 = 0
            vega: int256 = 0
            theta: int256 = 0
            price, delta, gamma, vega, theta = black_scholes._price_and_greeks(
                t.is_call, out.spot, t.strike, taus[i], vols[i], params.rate
            )
            sc.marks[i] = convert(max(price, 0), uint256)
            out.vegas[i] = convert(max(vega, 0), uint256)
            out.deltas[i] = delta
            vol_ref = max(vol_ref, vols[i])
        out.marks[i] = sc.marks[i]

    h: uint256 = self._spot_shock(vol_ref, params)
    down: uint256 = min(
        h * params.crash_factor // constants.WAD, risk.MAX_SPOT_DOWN
    )
    factors: uint256[3] = empty(uint256[3])
    logs: int256[3] = empty(int256[3])
    factors, logs = black_scholes._scenario_shifts(h, down)
    spots: uint256[3] = [
        out.spot * factors[0] // constants.WAD,
        out.spot,
        out.spot * factors[2] // constants.WAD,
    ]
    # the vol states that can be worst: up if any live leg is short, down if any is long
    for i: uint256 in range(len(legs), bound=constants.MAX_LEGS):
        if sc.live[i]:
            if sc.sizes[i] < 0:
                sc.states |= 1
            else:
                sc.states |= 2
    for i: uint256 in range(len(legs), bound=constants.MAX_LEGS):
        if not sc.live[i]:
            continue
        tau: uint256 = taus[i]
        vol_up: uint256 = 0
        vol_down: uint256 = 0
        if tau != 0:
            vol_up, vol_down = self._vol_shocks(vols[i], tau, params)
            if sc.sizes[i] > 0:
                # a long is worth its value H closer to expiry (time decay charged)
                tau = tau - min(tau, params.horizon)
        sc.values[i], sc.deltas[i] = black_scholes._scenario_grid(
            legs[i].terms.is_call,
            out.spot,
            legs[i].terms.strike,
            tau,
            params.rate,
            vol_up,
            vol_down,
            factors,
            logs,
            sc.states,
        )
    out.maintenance, out.initial = margin._requirement(
        sc, spots, out.spot, params
    )
    return out


@external
@view
def quote(
    underlying: bytes32,
    legs: DynArray[IMarginEngine.PricedLeg, constants.MAX_LEGS],
    rate: int256,
) -> IMarginEngine.Valuation:
    """
    @notice Spot, per-unit marks, vegas and deltas of each leg, without the margin:
            what closing a vault needs (its exits and spread), for the cost
            of one Black-Scholes evaluation per leg.
    @param underlying Feed id of every leg.
    @param legs 1-4 legs: series terms and signed size (WAD; unused).
    @param rate Black-Scholes rate, WAD.
    @return IMarginEngine.Valuation Spot, marks, vegas and deltas, WAD;
            margins 0.
    @dev Reverts on a stale oracle.
    """
    out: IMarginEngine.Valuation = empty(IMarginEngine.Valuation)
    out.spot = staticcall ORACLE.price(underlying)
    for i: uint256 in range(len(legs), bound=constants.MAX_LEGS):
        out.marks[i], out.vegas[i], out.deltas[i] = self._mark_and_vega(
            underlying, legs[i].terms, out.spot, rate
        )
    return out


@external
@view
def marks(
    underlying: bytes32,
    terms: DynArray[series_terms.Terms, constants.MAX_ACTIVE_SERIES],
    rate: int256,
) -> DynArray[uint256, constants.MAX_ACTIVE_SERIES]:
    """
    @notice Per-unit mark of each series at the oracle's spot: Black-Scholes
            before expiry, the payoff at the settlement price after it.
    @param underlying Feed id of every series.
    @param terms Series terms.
    @param rate Black-Scholes rate, WAD.
    @return DynArray[uint256, 32] Marks, WAD, in the order of `terms`.
    @dev Reverts on a stale oracle.
    """
    spot: uint256 = staticcall ORACLE.price(underlying)
    out: DynArray[uint256, constants.MAX_ACTIVE_SERIES] = []
    for t: series_terms.Terms in terms:
        mark: uint256 = 0
        vega: uint256 = 0
        delta: int256 = 0
        mark, vega, delta = self._mark_and_vega(underlying, t, spot, rate)
        out.append(mark)
    return out


# ================================================================ internals


@internal
@pure
def _spot_shock(vol_ref: uint256, p: risk.RiskParams) -> uint256:
    """
    @dev The vault's spot shock h (WAD fraction): spot_sigmas standard
         deviations of the highest implied vol among its live legs over the
         liquidation horizon, floored at spot_shock, capped at MAX_SPOT_SHOCK.
    """
    # sqrt(horizon / year) at 1e18: horizon <= 604,800 s
    root: uint256 = isqrt(p.horizon * 10**36 // constants.YEAR)
    # vol_ref is an oracle vol (<= ~1e24) and spot_sigmas <= 1e19: no overflow
    h: uint256 = (
        p.spot_sigmas * vol_ref // constants.WAD * root // constants.WAD
    )
    return min(max(h, p.spot_shock), risk.MAX_SPOT_SHOCK)


@internal
@pure
def _vol_shocks(
    vol: uint256, tau: uint256, p: risk.RiskParams
) -> (uint256, uint256):
    """
    @dev A leg's scenario vols: vol * (1 + vol_up * g) and vol * (1 - min(
         vol_down * g, 0.95)), with the tenor scale g = sqrt(30 days / tau)
         clamped to [MIN_TENOR_SCALE, vol_tenor_cap]: short-dated vol moves
         more (Derive's (30d / T)^p vega shock with p = 1/2).
    """
    g: uint256 = isqrt(TENOR_REFERENCE * 10**36 // tau)
    g = min(max(g, MIN_TENOR_SCALE), p.vol_tenor_cap)
    up: uint256 = vol + vol * (p.vol_up * g // constants.WAD) // constants.WAD
    down_fraction: uint256 = min(p.vol_down * g // constants.WAD, MAX_VOL_DROP)
    return up, vol - vol * down_fraction // constants.WAD


@internal
@view
def _mark_and_vega(
    underlying: bytes32, t: series_terms.Terms, spot: uint256, rate: int256
) -> (uint256, uint256, int256):
    """
    @dev (mark, vega, delta) per unit, WAD. After expiry the mark is the
         payoff at the settlement price (at spot, with its step delta, until
         it is fixed) and vega is 0.
    """
    if t.expiry <= block.timestamp:
        s: uint256 = staticcall ORACLE.settlement_price(underlying, t.expiry)
        if s != 0:
            return payoff._payoff(t.is_call, s, t.strike), 0, 0
        return (
            payoff._payoff(t.is_call, spot, t.strike),
            0,
            payoff._step_delta(t.is_call, spot, t.strike),
        )
    vol: uint256 = staticcall ORACLE.vol(underlying, t.strike, t.expiry)
    price: int256 = 0
    delta: int256 = 0
    gamma: int256 = 0
    vega: int256 = 0
    theta: int256 = 0
    # expiry > block.timestamp: cannot underflow
    price, delta, gamma, vega, theta = black_scholes._price_and_greeks(
        t.is_call,
        spot,
        t.strike,
        unsafe_sub(t.expiry, block.timestamp),
        vol,
        rate,
    )
    return (
        convert(max(price, 0), uint256),
        convert(max(vega, 0), uint256),
        delta,
    )
