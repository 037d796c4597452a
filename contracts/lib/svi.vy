# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title svi
@notice Raw-SVI total-variance smile in WAD fixed point (1e18 = 1.0):
            w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),
        with k = ln(K / F) the log-moneyness. The implied vol of a smile
        observed `tau` seconds before its expiry is sqrt(w(k) / (tau / year)).
@dev Stateless module (no storage). Parameter checks return a short reason
     string (empty when sane) instead of reverting, so the oracle can skip a
     bad report without sinking the batch that carries it.
     Magnitude bounds keep every intermediate far inside int256:
     |a| <= 1e21, b <= 1e20, |m| <= 1e19, sigma <= 1e19, and |k| <= 111e18
     for strike and forward in [1, 1e30] wei.
"""

from snekmate.utils import math

# ---------------------------------------------------------------------------
#                                 constants
# ---------------------------------------------------------------------------

WAD: constant(int256) = 10**18
YEAR: constant(uint256) = 31_536_000  # 365 days, seconds

# Sanity bounds on the raw parameters (WAD). |a| <= 1000: a total variance
# of 1000 is a vol of 10.0 over 10 years.
MAX_ABS_A: constant(int256) = 1_000 * 10**18
MAX_B: constant(int256) = 100 * 10**18
MAX_ABS_M: constant(int256) = 10 * 10**18
MAX_SIGMA: constant(int256) = 10 * 10**18

# ---------------------------------------------------------------------------
#                            internal functions
# ---------------------------------------------------------------------------


@internal
@pure
def _check(
    a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> String[32]:
    """
    @dev Why (a, b, rho, m, sigma) is not a sane raw-SVI smile; "" when it is.
         Sane: b >= 0, |rho| < 1, sigma > 0, magnitudes inside the module
         bounds, and min_k w(k) = a + b * sigma * sqrt(1 - rho^2) >= 0, so the
         total variance is non-negative at every strike.
    """
    if b < 0:
        return "svi b < 0"
    if rho <= -WAD or rho >= WAD:
        return "svi |rho| >= 1"
    if sigma <= 0:
        return "svi sigma <= 0"
    if (
        abs(a) > MAX_ABS_A
        or b > MAX_B
        or abs(m) > MAX_ABS_M
        or sigma > MAX_SIGMA
    ):
        return "svi out of bounds"
    if self._min_total_variance(a, b, rho, sigma) < 0:
        return "svi negative variance"
    return ""


@internal
@pure
def _min_total_variance(
    a: int256, b: int256, rho: int256, sigma: int256
) -> int256:
    """
    @dev min over k of w(k) = a + b * sigma * sqrt(1 - rho^2), WAD; reached at
         k = m - rho * sigma / sqrt(1 - rho^2). Rounds the (non-negative)
         second term down, so a smile passing `>= 0` here truly is.
    @param rho WAD, |rho| < 1 (checked by the caller).
    """
    # WAD^2 - rho^2 > 0 because |rho| < WAD; isqrt of a WAD^2 quantity is WAD.
    root: int256 = convert(
        isqrt(convert(WAD * WAD - rho * rho, uint256)), int256
    )
    return a + b * sigma // WAD * root // WAD


@internal
@pure
def _total_variance(
    k: int256, a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> int256:
    """
    @dev w(k) in WAD for log-moneyness `k` (WAD). May be a few wei below the
         true value; callers clamp negatives to 0.
    """
    d: int256 = k - m
    # d^2 + sigma^2 is a WAD^2 quantity; its isqrt is WAD.
    root: int256 = convert(
        isqrt(convert(d * d + sigma * sigma, uint256)), int256
    )
    return a + b * (rho * d // WAD + root) // WAD


@internal
@pure
def _log_moneyness(strike: uint256, forward: uint256) -> int256:
    """
    @dev k = ln(strike / forward), WAD. Both WAD in [1, 1e30]; the ratio is
         floored at 1 wei (k >= -41.4) so ln stays defined.
    """
    ratio: uint256 = max(strike * 10**18 // forward, 1)
    return math._wad_ln(convert(ratio, int256))


@internal
@pure
def _annualised_variance(w: int256, tau: uint256) -> uint256:
    """
    @dev w / (tau / year), WAD; negative w (rounding) counts as 0.
    @param tau Seconds from observation to expiry, > 0.
    """
    if w <= 0:
        return 0
    return convert(w, uint256) * YEAR // tau


@internal
@pure
def _vol_from_variance(variance: uint256) -> uint256:
    """
    @dev sqrt of a WAD annualised variance, WAD (rounded down).
    """
    return isqrt(variance * 10**18)


@internal
@pure
def _implied_vol(
    strike: uint256,
    forward: uint256,
    tau: uint256,
    a: int256,
    b: int256,
    rho: int256,
    m: int256,
    sigma: int256,
) -> uint256:
    """
    @dev sqrt(w(ln(K/F)) / (tau / year)), annualised WAD, rounded down.
         The flat smile (b == 0) gives exactly isqrt(a * year * 1e18 // tau).
    @param strike WAD, forward WAD, tau seconds (> 0).
    """
    k: int256 = self._log_moneyness(strike, forward)
    w: int256 = self._total_variance(k, a, b, rho, m, sigma)
    if w <= 0:
        return 0
    # Multiply before dividing: w * year * 1e18 <= 1e21 * 3.2e7 * 1e18 < 1e67.
    return isqrt(convert(w, uint256) * YEAR * 10**18 // tau)


@internal
@pure
def _atm_variance(
    tau: uint256, a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> uint256:
    """
    @dev Annualised at-the-money (k = 0, K = F) variance, WAD.
    """
    return self._annualised_variance(
        self._total_variance(0, a, b, rho, m, sigma), tau
    )
