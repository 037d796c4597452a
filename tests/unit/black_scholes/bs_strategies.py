"""Hypothesis strategies over the Black-Scholes domains, edges weighted in.

`options()` draws from the pre-extension ("core") domain, where outputs are frozen bit for
bit; `total_options()` from the whole total domain (docs/math.md 1.1): spot and strike in
[1, 1e30] wei at any ratio, vol up to 2**256 - 1.
"""

import mpmath as mp
from hypothesis import settings
from hypothesis import strategies as st

from ringfence import bs_reference as ref

WAD = ref.WAD
YEAR = ref.YEAR


def examples(n: int) -> settings:
    """At least `n` examples, more when the active profile (e.g. `long`) asks for more."""
    return settings(max_examples=max(n, settings().max_examples))


def _log_uniform(lo_exp: int, hi_exp: int) -> st.SearchStrategy[int]:
    """Integers spread over decades: a decade in [lo_exp, hi_exp), then a value in it."""
    return st.integers(lo_exp, hi_exp - 1).flatmap(lambda e: st.integers(10**e, 10 ** (e + 1) - 1))


calls_and_puts = st.booleans()
spots = st.one_of(
    st.sampled_from([ref.CORE_MIN_PRICE, ref.MAX_PRICE, WAD, 42 * WAD]),
    _log_uniform(12, 30),
)
taus = st.one_of(
    st.sampled_from([0, 1, 2, 60, 3_600, 86_400, YEAR, ref.MAX_TAU]),
    st.integers(0, ref.MAX_TAU),
    _log_uniform(0, 9).map(lambda t: min(t, ref.MAX_TAU)),
)
vols = st.one_of(
    st.sampled_from([0, 1, 10**12, 2 * 10**17, WAD, ref.CORE_MAX_VOL]),
    st.integers(0, ref.CORE_MAX_VOL),
    _log_uniform(0, 19),
)
rates = st.one_of(
    st.sampled_from([ref.MIN_RATE, 0, 5 * 10**16, ref.MAX_RATE]),
    st.integers(ref.MIN_RATE, ref.MAX_RATE),
)


@st.composite
def strikes_for(draw, spot: int) -> int:
    """A core-domain strike for `spot`: strike/spot in [1/100, 100], strike in [1e12, 1e30]."""
    lo = max(ref.CORE_MIN_PRICE, -(-spot // 100))
    hi = min(ref.MAX_PRICE, spot * 100)
    kind = draw(st.sampled_from(["atm", "edge", "near", "any"]))
    if kind == "atm":
        return spot
    if kind == "edge":
        return draw(st.sampled_from([lo, hi]))
    if kind == "near":
        return min(max(spot + draw(st.integers(-(10**6), 10**6)), lo), hi)
    # Log-uniform moneyness in [1/100, 100], then clamped to the domain.
    ratio = draw(st.floats(-2.0, 2.0))
    return min(max(int(spot * 10**ratio), lo), hi)


@st.composite
def options(draw, is_call=calls_and_puts, taus=taus, vols=vols, spots=spots, strikes=strikes_for):
    """(is_call, spot, strike, tau, vol, rate), inside the core domain by default."""
    spot = draw(spots)
    return (
        draw(is_call),
        spot,
        draw(strikes(spot)),
        draw(taus),
        draw(vols),
        draw(rates),
    )


def near_forward_spot(strike: int, tau: int, vol: int, rate: int, d: float) -> int:
    """The spot (wei, not clamped) whose d1 is `d` for these inputs: S = K e^{-r tau -
    sigma^2 tau / 2 + d sigma sqrt(tau)}, within sigma sqrt(tau) of the money-forward.
    With a tiny sigma sqrt(tau), d1 then hangs on ln(S/K) + r tau at the 1e-30 level."""
    with mp.workdps(60):
        t = mp.mpf(tau) / YEAR
        v = mp.mpf(vol) / WAD
        r = mp.mpf(rate) / WAD
        return int(strike * mp.exp(-r * t - v * v * t / 2 + d * v * mp.sqrt(t)))


# ------------------------------------------------------------------ total domain

#: Any price the oracle can report, wei: [1, 1e30], every decade, edges weighted in.
total_spots = st.one_of(
    st.sampled_from([1, 2, 10**6, ref.CORE_MIN_PRICE, WAD, ref.MAX_PRICE]),
    _log_uniform(0, 30),
)
#: Any uint256 vol: the core range, wing vols up to 1e6 (1e24 WAD), and beyond.
total_vols = st.one_of(
    vols,
    st.sampled_from([10 * WAD + 1, 10**24, 10**36 - 1, 10**36, 2**256 - 1]),
    _log_uniform(19, 25),
    st.integers(0, 2**256 - 1),
)


@st.composite
def total_strikes_for(draw, spot: int) -> int:
    """A strike in [1, 1e30] at any ratio to `spot`, the ratio-100 lines weighted in."""
    kind = draw(st.sampled_from(["core", "edge", "beyond", "any"]))
    if kind == "core" and spot >= ref.CORE_MIN_PRICE:
        return draw(strikes_for(spot))
    if kind == "edge":
        # Both sides of strike/spot = 1/100 and 100.
        edge = draw(st.sampled_from([-(-spot // 100), spot * 100]))
        return min(max(edge + draw(st.integers(-2, 2)), 1), ref.MAX_PRICE)
    if kind == "beyond":
        return draw(st.sampled_from([1, ref.MAX_PRICE]))
    return draw(total_spots)


def total_options(is_call=calls_and_puts, taus=taus, vols=total_vols):
    """(is_call, spot, strike, tau, vol, rate) anywhere in the total domain."""
    return options(is_call, taus, vols, spots=total_spots, strikes=total_strikes_for)
