"""Hypothesis strategies over the Black-Scholes domain (SPEC 3.1), edges weighted in."""

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
    st.sampled_from([ref.MIN_PRICE, ref.MAX_PRICE, WAD, 42 * WAD]),
    _log_uniform(12, 30),
)
taus = st.one_of(
    st.sampled_from([0, 1, 2, 60, 3_600, 86_400, YEAR, ref.MAX_TAU]),
    st.integers(0, ref.MAX_TAU),
    _log_uniform(0, 9).map(lambda t: min(t, ref.MAX_TAU)),
)
vols = st.one_of(
    st.sampled_from([0, 1, 10**12, 2 * 10**17, WAD, ref.MAX_VOL]),
    st.integers(0, ref.MAX_VOL),
    _log_uniform(0, 19),
)
rates = st.one_of(
    st.sampled_from([ref.MIN_RATE, 0, 5 * 10**16, ref.MAX_RATE]),
    st.integers(ref.MIN_RATE, ref.MAX_RATE),
)


@st.composite
def strikes_for(draw, spot: int) -> int:
    """A strike in the domain for `spot`: strike/spot in [1/100, 100], strike in [1e12, 1e30]."""
    lo = max(ref.MIN_PRICE, -(-spot // 100))
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
def options(draw, is_call=calls_and_puts, taus=taus, vols=vols):
    """(is_call, spot, strike, tau, vol, rate), always inside the domain."""
    spot = draw(spots)
    return (
        draw(is_call),
        spot,
        draw(strikes_for(spot)),
        draw(taus),
        draw(vols),
        draw(rates),
    )
