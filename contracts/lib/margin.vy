# pragma version ~=0.4.3
"""
@title margin
@notice Ringfence's margin math: a vault's maintenance margin as a proven
        upper bound of its full-revaluation loss over its own stress
        scenarios, the short-notional floor, the all-long cap, the initial
        margin, and the closed-form partial-liquidation fraction.
@dev The scenarios of a vault (docs/risk.md, "Margin"): spot anywhere in
     [S (1 - h), S (1 + h)], every leg's vol at its own up or down shock (two
     states, all legs moving the same way), and any time in [0, H] from now
     (H = the liquidation horizon). The bound uses three facts of European
     option values: convex in spot, increasing in vol, and increasing in time
     to expiry up to |r| K per year. A long leg's value is bounded below by
     its tangents at the three grid spots, computed H closer to expiry; a
     short leg's above by its chords through the grid values at today's time
     to expiry. The vault's bound is then concave and piecewise linear in
     spot on each half of the box, so its maximum is at a grid spot or where
     two tangents of a long leg meet: every such point is evaluated. No
     Greek expansion: a near-expiry long cannot credit gamma it does not
     have. Everything is WAD (1e18 = 1.0). Pure functions only.
"""

from snekmate.utils import math

from . import constants
from . import risk_params as risk

# @dev The scenario values of a vault's legs for `_requirement`, one entry per leg.
struct Scenarios:
    n: uint256
    # signed sizes, WAD units (long > 0)
    sizes: int256[constants.MAX_LEGS]
    # today's marks per unit, WAD quote
    marks: uint256[constants.MAX_LEGS]
    # strikes, WAD (for the rate allowance)
    strikes: uint256[constants.MAX_LEGS]
    # False for an expired leg whose settlement price is fixed (its value no longer moves)
    live: bool[constants.MAX_LEGS]
    # value and delta per unit at (3 grid spots) x (vol up, vol down): index =
    # vol_index * 3 + spot_index; longs H closer to expiry, shorts at today's tau
    values: uint256[6][constants.MAX_LEGS]
    deltas: int256[6][constants.MAX_LEGS]
    # the vol states that can be the worst, a bit mask (1: up, 2: down): both for a
    # vault with long and short legs; up for shorts only, down for longs only (an
    # option's value rises with vol, so the other state loses less at every spot)
    states: uint256


# @dev The long legs' tangents on one half of the box (`_requirement`), per long leg.
struct Tangents:
    left_b: int256[constants.MAX_LEGS]
    left_d: int256[constants.MAX_LEGS]
    right_b: int256[constants.MAX_LEGS]
    right_d: int256[constants.MAX_LEGS]
    meet: int256[constants.MAX_LEGS]
    size: int256[constants.MAX_LEGS]
    size_mark: int256[constants.MAX_LEGS]


# @dev Numerical allowance per unit of size: the grid's values and deltas are within
#      1e-17 of max(S, K) of exact (docs/math.md); 1e-15 of it plus 10 wei covers them,
#      and the rounding of every term below, many times over.
NUMERIC_DIVISOR: constant(uint256) = 10**15
NUMERIC_WEI: constant(uint256) = 10
# @dev An option's value can fall with time to expiry by at most |r| K e^{|r| tau} per
#      year (the strike-discount term of theta); e^{0.1 * 10 years} < 3.
RATE_ALLOWANCE: constant(uint256) = 3
# @dev Candidate spots per vol state: the 3 grid spots and 2 per long leg.
MAX_CANDIDATES: constant(uint256) = 3 + 2 * constants.MAX_LEGS


@internal
@pure
def _requirement(
    sc: Scenarios, spots: uint256[3], spot: uint256, p: risk.RiskParams
) -> (uint256, uint256):
    """
    @dev (maintenance, initial) margin, WAD quote. MM is the largest scenario
         loss bound (see the module doc) plus the numerical and rate
         allowances, floored at min_short_margin * spot per short unit and,
         when every leg is long, capped at the vault's mark value (a long
         vault cannot lose more than it is worth). IM = im_factor * MM with
         the same cap: a fully paid long is never liquidatable. Homogeneous
         of degree one in the sizes (the closed-form liquidation relies on it).
         Per vol state, the short legs' chords sum to one line per half of
         the box and each long leg keeps its three tangents (intercept and
         slope); on a half only the tangents at its two ends can be the
         highest (the third lies below them there, by convexity), so every
         candidate spot costs one line plus two per long leg.
    @param sc The legs' sizes, marks, strikes and scenario values.
    @param spots The grid spots [S (1 - down), S, S (1 + up)], WAD, increasing.
    @param spot Today's spot S, WAD.
    @param p Risk parameters of the underlying.
    @return uint256 Maintenance margin, WAD quote.
    @return uint256 Initial margin, WAD quote.
    """
    short_units: uint256 = 0
    long_value: uint256 = 0
    all_long: bool = True
    allowance: uint256 = 0
    for i: uint256 in range(sc.n, bound=constants.MAX_LEGS):
        units: uint256 = convert(abs(sc.sizes[i]), uint256)
        if sc.sizes[i] < 0:
            all_long = False
            short_units += units
        else:
            long_value += units * sc.marks[i] // constants.WAD
        if not sc.live[i]:
            continue
        # |size| * (max(S_up, K) / 1e15 + 10 wei + 3 |r| K H / year), rounded up
        per_unit: uint256 = (
            max(spots[2], sc.strikes[i]) // NUMERIC_DIVISOR + NUMERIC_WEI
        )
        per_unit += math._ceil_div(
            RATE_ALLOWANCE
            * convert(abs(p.rate), uint256)
            * sc.strikes[i] // constants.WAD
            * p.horizon,
            constants.YEAR,
        )
        allowance += math._ceil_div(units * per_unit, constants.WAD)
    # Bounds for the unsafe arithmetic below: spot and strikes <= 1e30 (the oracle's
    # and the registry's limits), so grid spots and values <= 1.5e30 and intercepts
    # |b| <= 3e30; |delta| <= 1e18; |size| <= 1e27 (the clearing house's limit).
    s: int256[3] = [
        convert(spots[0], int256),
        convert(spots[1], int256),
        convert(spots[2], int256),
    ]
    longs: DynArray[uint256, constants.MAX_LEGS] = []
    for i: uint256 in range(sc.n, bound=constants.MAX_LEGS):
        if sc.live[i] and sc.sizes[i] > 0:
            longs.append(i)
    worst: int256 = 0
    for w: uint256 in range(2):
        if (sc.states >> w) & 1 == 0:
            continue
        base: uint256 = w * 3
        # the short legs' loss on half c of the box, times WAD:
        # line_value[c] + line_slope[c] * (x - s[c]) / (s[c + 1] - s[c]); and the
        # vault's loss bound at the three grid spots (each long leg at its value there)
        line_value: int256[2] = empty(int256[2])
        line_slope: int256[2] = empty(int256[2])
        at_grid: int256[3] = empty(int256[3])
        for i: uint256 in range(sc.n, bound=constants.MAX_LEGS):
            if not sc.live[i]:
                continue
            mark: int256 = convert(sc.marks[i], int256)
            v0: int256 = convert(sc.values[i][base], int256)
            v1: int256 = convert(sc.values[i][base + 1], int256)
            v2: int256 = convert(sc.values[i][base + 2], int256)
            # |size| <= 1e27 times |values| <= 1.5e30: each term < 2e57, four < 1e58
            size: int256 = sc.sizes[i]
            at_grid[0] = unsafe_add(at_grid[0], unsafe_mul(size, mark - v0))
            at_grid[1] = unsafe_add(at_grid[1], unsafe_mul(size, mark - v1))
            at_grid[2] = unsafe_add(at_grid[2], unsafe_mul(size, mark - v2))
            if size < 0:
                line_value[0] = unsafe_add(
                    line_value[0], unsafe_mul(size, mark - v0)
                )
                line_value[1] = unsafe_add(
                    line_value[1], unsafe_mul(size, mark - v1)
                )
                line_slope[0] = unsafe_add(
                    line_slope[0], unsafe_mul(size, v0 - v1)
                )
                line_slope[1] = unsafe_add(
                    line_slope[1], unsafe_mul(size, v1 - v2)
                )
        for j: uint256 in range(3):
            worst = max(worst, unsafe_div(at_grid[j], constants.IWAD))
        if len(longs) == 0:
            # no long leg: the bound is linear on each half, its maximum at a grid spot
            continue
        # per long leg j and half c of the box: its left and right tangents there
        # (value = b + d * x / WAD) and the spot where they meet (its envelope bends)
        nl: uint256 = len(longs)
        tangents: Tangents[2] = empty(Tangents[2])
        for j: uint256 in range(nl, bound=constants.MAX_LEGS):
            i: uint256 = longs[j]
            d0: int256 = sc.deltas[i][base]
            d1: int256 = sc.deltas[i][base + 1]
            d2: int256 = sc.deltas[i][base + 2]
            # |d| * s <= 1.5e48
            b0: int256 = unsafe_sub(
                convert(sc.values[i][base], int256),
                unsafe_div(unsafe_mul(d0, s[0]), constants.IWAD),
            )
            b1: int256 = unsafe_sub(
                convert(sc.values[i][base + 1], int256),
                unsafe_div(unsafe_mul(d1, s[1]), constants.IWAD),
            )
            b2: int256 = unsafe_sub(
                convert(sc.values[i][base + 2], int256),
                unsafe_div(unsafe_mul(d2, s[2]), constants.IWAD),
            )
            size: int256 = sc.sizes[i]
            # size <= 1e27 times mark <= 1.5e30
            size_mark: int256 = unsafe_mul(size, convert(sc.marks[i], int256))
            tangents[0].left_b[j] = b0
            tangents[0].left_d[j] = d0
            tangents[0].right_b[j] = b1
            tangents[0].right_d[j] = d1
            tangents[0].meet[j] = self._meet(b0, d0, b1, d1, s[0], s[1])
            tangents[1].left_b[j] = b1
            tangents[1].left_d[j] = d1
            tangents[1].right_b[j] = b2
            tangents[1].right_d[j] = d2
            tangents[1].meet[j] = self._meet(b1, d1, b2, d2, s[1], s[2])
            for c: uint256 in range(2):
                tangents[c].size[j] = size
                tangents[c].size_mark[j] = size_mark
            # the bound is concave on each half (chords plus minus-envelopes): its maximum
            # is at a grid spot (done above) or where a long leg's envelope bends


        for c: uint256 in range(2):
            worst = max(
                worst,
                self._half_max(
                    tangents[c],
                    nl,
                    line_value[c],
                    line_slope[c],
                    s[c],
                    s[c + 1],
                ),
            )
    mm: uint256 = convert(worst, uint256) + allowance
    mm = max(
        mm,
        p.min_short_margin
        * spot // constants.WAD
        * short_units // constants.WAD,
    )
    im: uint256 = mm * p.im_factor // constants.WAD
    if all_long:
        mm = min(mm, long_value)
        im = min(im, long_value)
    return mm, im


@internal
@pure
def _meet(
    b0: int256, d0: int256, b1: int256, d1: int256, lo: int256, hi: int256
) -> int256:
    """
    @dev Where the tangents b0 + d0 x and b1 + d1 x meet, clamped into [lo, hi]
         (convexity puts it there; rounding may not); `lo` when parallel (a flat
         delta: the envelope is then one line).
    """
    if d0 == d1:
        return lo
    # |b1 - b0| <= 6e30, times 1e18 <= 6e48
    x: int256 = unsafe_div(
        unsafe_mul(unsafe_sub(b1, b0), constants.IWAD), unsafe_sub(d0, d1)
    )
    return min(max(x, lo), hi)


@internal
@pure
def _half_max(
    t: Tangents,
    nl: uint256,
    line_value: int256,
    line_slope: int256,
    lo: int256,
    hi: int256,
) -> int256:
    """
    @dev The largest loss bound on the half [lo, hi] of the box at the spots
         where a long leg's envelope bends: the short legs' summed chord
         (line_value + line_slope * (x - lo) / (hi - lo), times WAD) plus, per
         long leg, size * (mark - its envelope at x).
    """
    width: int256 = hi - lo
    worst: int256 = 0
    for m: uint256 in range(nl, bound=constants.MAX_LEGS):
        x: int256 = t.meet[m]
        # frac = (x - lo) / width in [0, 1], WAD; x - lo <= 1.5e30
        frac: int256 = constants.IWAD
        if width != 0:
            frac = unsafe_div(
                unsafe_mul(unsafe_sub(x, lo), constants.IWAD), width
            )
        # |line_slope| <= 1e58 times frac <= 1e18: < 1e76; the sum stays at WAD^2
        total: int256 = unsafe_add(
            line_value, unsafe_div(unsafe_mul(line_slope, frac), constants.IWAD)
        )
        for j: uint256 in range(nl, bound=constants.MAX_LEGS):
            # a long leg's envelope: the left tangent up to where the two meet, the
            # right one after; size * (mark - b - d x / WAD), size <= 1e27,
            # |d| * x <= 1.5e48, |size * b| <= 3e57
            size: int256 = t.size[j]
            if x > t.meet[j]:
                total = unsafe_add(
                    total,
                    unsafe_sub(
                        unsafe_sub(
                            t.size_mark[j], unsafe_mul(size, t.right_b[j])
                        ),
                        unsafe_div(
                            unsafe_mul(size, unsafe_mul(t.right_d[j], x)),
                            constants.IWAD,
                        ),
                    ),
                )
            else:
                total = unsafe_add(
                    total,
                    unsafe_sub(
                        unsafe_sub(
                            t.size_mark[j], unsafe_mul(size, t.left_b[j])
                        ),
                        unsafe_div(
                            unsafe_mul(size, unsafe_mul(t.left_d[j], x)),
                            constants.IWAD,
                        ),
                    ),
                )
        worst = max(worst, unsafe_div(total, constants.IWAD))
    return worst


@internal
@pure
def _liquidation_fraction(
    equity: int256, im: uint256, mm: uint256, penalty: uint256, buffer: uint256
) -> uint256:
    """
    @dev Smallest fraction f (WAD) of every leg to close so that the rest has
         equity >= IM. Closing f at mark realises f of the P&L (equity is
         unchanged by it) and costs the vault penalty * f * MM; margin is
         homogeneous of degree one in the sizes, so the rest needs
         (1 - f) * IM. Hence E - k f MM >= (1 - f) IM, i.e.
         f >= (IM - E) / (IM - k MM), rounded up, plus `buffer` (WAD quote)
         of head room for token rounding. Returns WAD when the whole vault
         must go.
    @param equity Equity of the vault, WAD quote.
    @param im Initial margin, WAD quote.
    @param mm Maintenance margin, WAD quote.
    @param penalty k = liquidation reward + insurance fee, WAD fraction of MM.
    @param buffer Head room for token rounding, WAD quote.
    @return uint256 Fraction to close, WAD (0: none needed; WAD: all).
    """
    base: uint256 = mm * penalty // constants.WAD
    if im <= base or equity <= 0:
        return constants.WAD
    need: int256 = convert(im + buffer, int256) - equity
    if need <= 0:
        return 0
    # rounding up closes slightly more, in the rest's favour
    f: uint256 = math._ceil_div(
        convert(need, uint256) * constants.WAD, im - base
    )
    return min(f, constants.WAD)
