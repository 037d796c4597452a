# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title svi_arbitrage
@notice No-arbitrage checks of raw-SVI smiles (docs/oracle.md, "Arbitrage-free
        surfaces"): Lee's moment bound on both wings, the Gatheral-Jacquier
        density g(k) >= 0.002 with w(k) > 0 on a log-moneyness grid (butterfly),
        and total variance non-decreasing in expiry on that grid (calendar).
@dev Stateless module (no storage). WAD fixed point. At a grid point every
     quantity is a bound in the safe direction, so a real violation there can
     never pass: w, w' and w'' are enclosed in [lo, hi] (isqrt and every
     division rounded outwards) and the density test uses the lower bound of
         G = 16 w^2 g = 4 (2w - k w')^2 - w'^2 w (4 + w) + 8 w'' w^2.
     Magnitudes (checked by `svi._check` and the wing test first): |a| <= 1e21,
     b <= 2e18, |m| <= 1e19, 0 < sigma <= 1e19, |k| <= K_MAX (butterfly) or
     |k| <= |m| + 2 sigma <= 3e19 (calendar, b <= 1e20 there); every product
     below stays under 2**255.
"""

from . import svi

WAD: constant(int256) = 10**18
WAD2: constant(int256) = 10**36

# Fixed grid: k_j = 0.1 sinh(0.4 j), j = -12..12, to 3 decimals. Spacing 0.04
# at the money, about 0.4 |k| further out; +-6.075 covers every strike the
# clearing house can price (strike / spot in [1/100, 100]: |k| <= 4.61, plus
# the forward's carry).
K_MAX: constant(int256) = 6_075 * 10**15
K_GRID: constant(int256[25]) = [
    -6_075 * 10**15,
    -4_072 * 10**15,
    -2_729 * 10**15,
    -1_829 * 10**15,
    -1_225 * 10**15,
    -819 * 10**15,
    -547 * 10**15,
    -363 * 10**15,
    -238 * 10**15,
    -151 * 10**15,
    -89 * 10**15,
    -41 * 10**15,
    0,
    41 * 10**15,
    89 * 10**15,
    151 * 10**15,
    238 * 10**15,
    363 * 10**15,
    547 * 10**15,
    819 * 10**15,
    1_225 * 10**15,
    1_829 * 10**15,
    2_729 * 10**15,
    4_072 * 10**15,
    6_075 * 10**15,
]
# Smile grid: k = m + sigma * y, where the smile's curvature lives (w'' is
# b / sigma at y = 0 and falls as 1 / (1 + y^2)^1.5), out to 16 sigma where a
# narrow smile's density dips; points beyond |k| = K_MAX are skipped.
Y_GRID: constant(int256[19]) = [
    -16 * 10**18,
    -12 * 10**18,
    -8 * 10**18,
    -6 * 10**18,
    -4 * 10**18,
    -3 * 10**18,
    -2 * 10**18,
    -10**18,
    -5 * 10**17,
    0,
    5 * 10**17,
    10**18,
    2 * 10**18,
    3 * 10**18,
    4 * 10**18,
    6 * 10**18,
    8 * 10**18,
    12 * 10**18,
    16 * 10**18,
]

# The calendar test's points of each smile, k = m + sigma * y (the difference of
# two smiles is least where one of them bends, within a few sigma of its m).
CALENDAR_Y_GRID: constant(int256[7]) = [
    -2 * 10**18, -10**18, -5 * 10**17,
    0,
    5 * 10**17,
    10**18,
    2 * 10**18,
]

# Signed floor / ceiling division by WAD: x + OFFSET >= 0 for |x| < OFFSET
# (every such x below is < 1.2e38), OFFSET a multiple of WAD.
OFFSET: constant(int256) = 10**40
OFFSET_WADS: constant(int256) = OFFSET // WAD

# The density test asks g >= 0.002 at a grid point, not only g >= 0: a smile
# whose g dips below 0 between grid points has g near 0 at the points around
# the dip (docs/oracle.md section 10: 3 of 11,928 random accepted smiles still
# dip, by at most 0.00077). 16 * 0.002, WAD.
G_MARGIN_16: constant(int256) = 32 * 10**15

# Point outcomes.
OK: constant(uint256) = 0
NOT_POSITIVE: constant(uint256) = 1
NEGATIVE_DENSITY: constant(uint256) = 2


@internal
@pure
def _density(
    k: int256, a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> uint256:
    """
    @dev OK when w > 0 and g >= 0.002 at `k` (both from bounds in the safe
         direction), NOT_POSITIVE when w's lower bound is <= 0, else
         NEGATIVE_DENSITY (g < G_MARGIN_16 / 16 possible). Requires b <= 2e18 (the wing test) and |k| <=
         K_MAX: then |d| <= 1.7e19, |w| <= 1.1e21, |w'| <= 2e18 + 2,
         0 <= w'' <= 2e36 and every product below is < 1e62.
    """
    # d = k - m, r = isqrt(d^2 + sigma^2): r <= R < r + 1 for R = sqrt(d^2 +
    # sigma^2), r >= |d|, r >= 1. u = rho d + WAD r >= (WAD - |rho|) |d| >= 0,
    # so w's bounds a + b u / WAD^2 and a + b (u + WAD) / WAD^2 (rounded up)
    # divide non-negative numerators.
    d: int256 = unsafe_sub(k, m)
    r: int256 = convert(
        isqrt(
            convert(
                unsafe_add(unsafe_mul(d, d), unsafe_mul(sigma, sigma)), uint256
            )
        ),
        int256,
    )
    u: int256 = unsafe_add(unsafe_mul(rho, d), unsafe_mul(WAD, r))
    w_lo: int256 = unsafe_add(a, unsafe_div(unsafe_mul(b, u), WAD2))
    if w_lo <= 0:
        return NOT_POSITIVE
    w_hi: int256 = unsafe_add(
        a,
        unsafe_div(
            unsafe_add(unsafe_mul(b, unsafe_add(u, WAD)), WAD2 - 1), WAD2
        ),
    )
    # w' = b (rho + d / R): WAD |d| / R lies in [WAD |d| // (r + 1), ceil(WAD |d| / r)].
    ad: int256 = abs(d)
    t_small: int256 = unsafe_div(unsafe_mul(WAD, ad), unsafe_add(r, 1))
    t_big: int256 = unsafe_div(
        unsafe_sub(unsafe_add(unsafe_mul(WAD, ad), r), 1), r
    )
    t_lo: int256 = t_small
    t_hi: int256 = t_big
    if d < 0:
        t_lo = -t_big
        t_hi = -t_small
    # Floor and ceiling of signed / WAD, inlined: shifted by OFFSET to be >= 0.
    p_lo: int256 = unsafe_sub(
        unsafe_div(
            unsafe_add(unsafe_mul(b, unsafe_add(rho, t_lo)), OFFSET), WAD
        ),
        OFFSET_WADS,
    )
    p_hi: int256 = unsafe_sub(
        unsafe_div(
            unsafe_add(unsafe_mul(b, unsafe_add(rho, t_hi)), OFFSET + WAD - 1),
            WAD,
        ),
        OFFSET_WADS,
    )

    # w'' = b sigma^2 / R^3 >= WAD b sigma^2 / (r + 1)^3, floored stage by stage.
    r1: int256 = unsafe_add(r, 1)
    q_lo: int256 = unsafe_div(
        unsafe_mul(
            unsafe_div(
                unsafe_mul(unsafe_div(unsafe_mul(WAD, b), r1), sigma), r1
            ),
            sigma,
        ),
        r1,
    )

    # X = 2w - k w' / WAD, enclosed; X^2 bounded below (0 if X may vanish).
    kp1: int256 = unsafe_mul(k, p_lo)
    kp2: int256 = unsafe_mul(k, p_hi)
    x_lo: int256 = unsafe_sub(
        unsafe_add(w_lo, w_lo),
        unsafe_sub(
            unsafe_div(unsafe_add(max(kp1, kp2), OFFSET + WAD - 1), WAD),
            OFFSET_WADS,
        ),
    )
    x_hi: int256 = unsafe_sub(
        unsafe_add(w_hi, w_hi),
        unsafe_sub(
            unsafe_div(unsafe_add(min(kp1, kp2), OFFSET), WAD), OFFSET_WADS
        ),
    )
    x2: int256 = 0
    if x_lo > 0:
        x2 = unsafe_mul(x_lo, x_lo)
    elif x_hi < 0:
        x2 = unsafe_mul(x_hi, x_hi)
    # w'^2 w (4 + w), bounded above (WAD^2 scale); w_hi >= w_lo > 0.
    p2: int256 = max(unsafe_mul(p_lo, p_lo), unsafe_mul(p_hi, p_hi))
    loss: int256 = unsafe_div(
        unsafe_add(
            unsafe_mul(
                unsafe_div(unsafe_add(unsafe_mul(p2, w_hi), WAD - 1), WAD),
                unsafe_add(4 * WAD, w_hi),
            ),
            WAD - 1,
        ),
        WAD,
    )
    # 8 w'' w^2, bounded below (WAD^2 scale).
    gain: int256 = unsafe_mul(
        unsafe_mul(8, q_lo), unsafe_div(unsafe_mul(w_lo, w_lo), WAD)
    )
    # g >= G_MARGIN: 16 w^2 g >= 16 G_MARGIN w^2, w^2 bounded above.
    margin: int256 = unsafe_div(
        unsafe_add(unsafe_mul(unsafe_mul(w_hi, w_hi), G_MARGIN_16), WAD - 1),
        WAD,
    )
    if unsafe_add(unsafe_mul(4, x2), gain) < unsafe_add(loss, margin):
        return NEGATIVE_DENSITY
    return OK


@internal
@pure
def _check(
    a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> String[32]:
    """
    @dev Why a sane smile (`svi._check` passed) holds arbitrage; "" when it
         does not: Lee's bound b (1 + |rho|) <= 2 (both wings' slopes), then
         w > 0 and g >= 0.002 at every point of both grids.
    """
    if b * (WAD + abs(rho)) > 2 * WAD2:
        return "svi wing slope"
    outcome: uint256 = OK
    for k: int256 in K_GRID:
        outcome = self._density(k, a, b, rho, m, sigma)
        if outcome != OK:
            break
    if outcome == OK:
        for y: int256 in Y_GRID:
            k: int256 = m + sigma * y // WAD
            if abs(k) > K_MAX:
                continue
            outcome = self._density(k, a, b, rho, m, sigma)
            if outcome != OK:
                break
    if outcome == NOT_POSITIVE:
        return "svi zero variance"
    if outcome == NEGATIVE_DENSITY:
        return "svi butterfly arbitrage"
    return ""


@internal
@pure
def _calendar(
    near: int256[5],
    near_now: int256,
    near_obs: int256,
    far: int256[5],
    far_now: int256,
    far_obs: int256,
) -> bool:
    """
    @dev True when the near smile's total variance, brought to now, is at
         most the far one's at every point of the fixed grid and at k = m +
         sigma y, y in CALENDAR_Y_GRID, of both smiles: w_near near_now far_obs <=
         w_far far_now near_obs, near's w bounded above and far's below, each
         floored at 0 (a vol read floors w at 0). Smiles sane (`svi._check`:
         |w| < 1e22 for |k| <= 3e19); times in seconds, 1 <= now <= obs <=
         2**64, so both sides are < 4e60.
    """
    near_scale: int256 = near_now * far_obs
    far_scale: int256 = far_now * near_obs
    grid: int256[25] = K_GRID
    own: int256[7] = CALENDAR_Y_GRID
    for i: uint256 in range(39):
        k: int256 = 0
        if i < 25:
            k = grid[i]
        elif i < 32:
            k = near[3] + near[4] * own[i - 25] // WAD
        else:
            k = far[3] + far[4] * own[i - 32] // WAD
        # w bounds as in `_density`: near's from above, far's from below.
        d: int256 = unsafe_sub(k, near[3])
        r: int256 = convert(
            isqrt(
                convert(
                    unsafe_add(unsafe_mul(d, d), unsafe_mul(near[4], near[4])),
                    uint256,
                )
            ),
            int256,
        )
        u: int256 = unsafe_add(unsafe_mul(near[2], d), unsafe_mul(WAD, r))
        w_near: int256 = unsafe_add(
            near[0],
            unsafe_div(
                unsafe_add(unsafe_mul(near[1], unsafe_add(u, WAD)), WAD2 - 1),
                WAD2,
            ),
        )
        if w_near <= 0:
            continue
        d = unsafe_sub(k, far[3])
        r = convert(
            isqrt(
                convert(
                    unsafe_add(unsafe_mul(d, d), unsafe_mul(far[4], far[4])),
                    uint256,
                )
            ),
            int256,
        )
        u = unsafe_add(unsafe_mul(far[2], d), unsafe_mul(WAD, r))
        w_far: int256 = max(
            unsafe_add(far[0], unsafe_div(unsafe_mul(far[1], u), WAD2)), 0
        )
        if unsafe_mul(w_near, near_scale) > unsafe_mul(w_far, far_scale):
            return False
    return True
