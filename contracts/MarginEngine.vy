# pragma version ~=0.4.3
"""
@title MarginEngine
@notice Prices Ringfence vaults: per-leg marks and vegas from fixed-point
        Black-Scholes at the oracle's spot and vol, and the vault's margin
        from its NET Greeks stressed over spot +-h and vol +-v (see
        `lib/margin.vy`). Its inputs are typed: series terms, signed sizes
        and the underlying's risk parameters.
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
    @notice Spot, per-unit marks and vegas of each leg, and the vault's
            (maintenance, initial) margin from its net Greeks.
    @param underlying Feed id of every leg.
    @param legs 1-4 legs: series terms and signed size (WAD).
    @param params Risk parameters of `underlying`.
    @return IMarginEngine.Valuation Spot, marks, vegas, MM and IM, all WAD.
    @dev Reverts on a stale oracle or inputs outside Black-Scholes' domain.
    """
    out: IMarginEngine.Valuation = empty(IMarginEngine.Valuation)
    out.spot = staticcall ORACLE.price(underlying)
    net_delta: int256 = 0
    net_gamma: int256 = 0
    net_vega: int256 = 0
    short_units: uint256 = 0
    long_value: uint256 = 0
    all_long: bool = True
    for i: uint256 in range(len(legs), bound=constants.MAX_LEGS):
        mark: uint256 = 0
        delta: int256 = 0
        gamma: int256 = 0
        vega: uint256 = 0
        mark, delta, gamma, vega = self._leg(
            underlying, legs[i].terms, out.spot, params.rate
        )
        size: int256 = legs[i].size
        out.marks[i] = mark
        out.vegas[i] = vega
        net_delta += size * delta // constants.IWAD
        net_gamma += size * gamma // constants.IWAD
        net_vega += size * convert(vega, int256) // constants.IWAD
        if size < 0:
            all_long = False
            short_units += convert(-size, uint256)
        else:
            long_value += convert(size, uint256) * mark // constants.WAD
    out.maintenance, out.initial = margin._requirement(
        net_delta,
        net_gamma,
        net_vega,
        out.spot,
        short_units,
        long_value,
        all_long,
        params,
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
        delta: int256 = 0
        gamma: int256 = 0
        vega: uint256 = 0
        mark, delta, gamma, vega = self._leg(underlying, t, spot, rate)
        out.append(mark)
    return out


# ================================================================ internals


@internal
@view
def _leg(
    underlying: bytes32, t: series_terms.Terms, spot: uint256, rate: int256
) -> (uint256, int256, int256, uint256):
    """
    @dev (mark, delta, gamma, vega) per unit, WAD. After expiry the mark is
         the payoff at the settlement price (at spot until it is fixed) with
         step delta and no gamma or vega.
    """
    if t.expiry <= block.timestamp:
        s: uint256 = staticcall ORACLE.settlement_price(underlying, t.expiry)
        if s == 0:
            s = spot
        return (
            payoff._payoff(t.is_call, s, t.strike),
            payoff._step_delta(t.is_call, s, t.strike),
            0,
            0,
        )
    vol: uint256 = staticcall ORACLE.vol(underlying, t.strike, t.expiry)
    # expiry > block.timestamp: cannot underflow
    tau: uint256 = unsafe_sub(t.expiry, block.timestamp)
    price: int256 = 0
    delta: int256 = 0
    gamma: int256 = 0
    vega: int256 = 0
    theta: int256 = 0
    price, delta, gamma, vega, theta = black_scholes._price_and_greeks(
        t.is_call, spot, t.strike, tau, vol, rate
    )
    return convert(max(price, 0), uint256), delta, gamma, convert(
        max(vega, 0), uint256
    )
