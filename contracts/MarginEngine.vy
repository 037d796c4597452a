# pragma version ~=0.4.3
"""
@title MarginEngine
@notice Prices Ringfence vaults: per-leg marks and vegas from fixed-point
        Black-Scholes at the oracle's spot and vol, and the vault's margin
        from its NET Greeks stressed over spot +-h and vol +-v (see
        `lib/margin.vy`). Also validates and packs risk parameters.
@dev Stateless except for the immutable oracle, so the clearing house calls
     it with `staticcall`. It exists as its own contract only because the
     clearing house with Black-Scholes inlined exceeds EIP-170's 24 KiB.
     All values WAD (1e18 = 1.0).
"""

from .interfaces import IClearingHouse
from .interfaces import IMarginEngine
from .interfaces import IOracle
from .lib import black_scholes
from .lib import margin
from .lib import settlement

implements: IMarginEngine

WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18
MAX_LEGS: constant(uint256) = 4

ORACLE: public(immutable(IOracle))


@deploy
def __init__(oracle: IOracle):
    """
    @param oracle The oracle (IOracle) every mark is read from.
    """
    assert oracle.address != empty(address), "engine: zero oracle"
    ORACLE = oracle


@view
@external
def evaluate(
    underlying: bytes32,
    n: uint256,
    terms: uint256[4],
    sizes: int256[4],
    params: uint256,
) -> IMarginEngine.Valuation:
    """
    @notice Spot, per-unit marks and vegas of the first `n` legs, and the
            vault's (maintenance, initial) margin from its net Greeks.
    @param underlying Feed id of every leg.
    @param n Number of legs, 1-4.
    @param terms Packed series terms per leg.
    @param sizes Signed sizes per leg, WAD.
    @param params Packed risk parameters of `underlying`.
    @dev Reverts on a stale oracle or inputs outside Black-Scholes' domain.
    """
    p: IClearingHouse.RiskParams = margin._unpack(params, 0)
    out: IMarginEngine.Valuation = empty(IMarginEngine.Valuation)
    out.spot = staticcall ORACLE.price(underlying)
    net_delta: int256 = 0
    net_gamma: int256 = 0
    net_vega: int256 = 0
    short_units: uint256 = 0
    long_value: uint256 = 0
    all_long: bool = True
    for i: uint256 in range(n, bound=MAX_LEGS):
        mark: uint256 = 0
        delta: int256 = 0
        gamma: int256 = 0
        vega: uint256 = 0
        mark, delta, gamma, vega = self._leg(
            underlying, terms[i], out.spot, p.rate
        )
        size: int256 = sizes[i]
        out.marks[i] = mark
        out.vegas[i] = vega
        net_delta += size * delta // IWAD
        net_gamma += size * gamma // IWAD
        net_vega += size * convert(vega, int256) // IWAD
        if size < 0:
            all_long = False
            short_units += convert(-size, uint256)
        else:
            long_value += convert(size, uint256) * mark // WAD
    out.maintenance, out.initial = margin._requirement(
        net_delta,
        net_gamma,
        net_vega,
        out.spot,
        short_units,
        long_value,
        all_long,
        p,
    )
    return out


@view
@external
def mark(
    underlying: bytes32, terms: uint256, spot: uint256, params: uint256
) -> uint256:
    """
    @notice Per-unit mark of one series at `spot` (WAD), the payoff at the
            settlement price once expired.
    """
    mark: uint256 = 0
    delta: int256 = 0
    gamma: int256 = 0
    vega: uint256 = 0
    mark, delta, gamma, vega = self._leg(
        underlying, terms, spot, margin._unpack(params, 0).rate
    )
    return mark


@pure
@external
def pack_params(params: IClearingHouse.RiskParams) -> uint256:
    """
    @notice Check every parameter against the hard limits of `margin` and
            pack them into one word. Reverts "margin: <name>" when out of bounds.
    """
    margin._check(params)
    return margin._pack(params)


@pure
@external
def unpack_params(
    word: uint256, min_size: uint256
) -> IClearingHouse.RiskParams:
    """
    @notice Inverse of `pack_params` (`min_size` is stored apart).
    """
    return margin._unpack(word, min_size)


@view
@internal
def _leg(
    underlying: bytes32, terms: uint256, spot: uint256, rate: int256
) -> (uint256, int256, int256, uint256):
    """
    @dev (mark, delta, gamma, vega) per unit, WAD. After expiry the mark is
         the payoff at the settlement price (at spot until it is fixed) with
         step delta and no gamma or vega.
    """
    strike: uint256 = terms & (2**128 - 1)
    expiry: uint256 = (terms >> 128) & (2**64 - 1)
    is_call: bool = (terms >> 192) & 1 == 1
    if expiry <= block.timestamp:
        s: uint256 = staticcall ORACLE.settlement_price(underlying, expiry)
        if s == 0:
            s = spot
        delta: int256 = 0
        if is_call and s > strike:
            delta = IWAD
        elif not is_call and s < strike:
            delta = -IWAD
        return settlement._payoff(is_call, s, strike), delta, 0, 0
    vol: uint256 = staticcall ORACLE.vol(underlying, strike, expiry)
    # expiry > block.timestamp: cannot underflow
    tau: uint256 = unsafe_sub(expiry, block.timestamp)
    price: int256 = 0
    delta: int256 = 0
    gamma: int256 = 0
    vega: int256 = 0
    theta: int256 = 0
    price, delta, gamma, vega, theta = black_scholes._price_and_greeks(
        is_call, spot, strike, tau, vol, rate
    )
    return convert(max(price, 0), uint256), delta, gamma, convert(
        max(vega, 0), uint256
    )
