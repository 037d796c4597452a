"""Median across sources and the outlier rule."""

import pytest

from oracle.aggregate import AggregationError, aggregate, aggregate_spot, aggregate_surface
from oracle.sources.base import Observation, SurfaceQuote
from oracle.svi import Svi

NOW = 1_700_000_000
EXPIRY = NOW + 30 * 86_400
TAU = 30 / 365


def quote(vol: float, forward: float = 2_000.0) -> SurfaceQuote:
    return SurfaceQuote(EXPIRY, forward, Svi.flat(vol, TAU))


def test_spot__one_source__used_as_is():
    assert aggregate_spot([2_000.0], 200)[0] == 2_000.0


def test_spot__two_agreeing__their_median():
    assert aggregate_spot([2_000.0, 2_010.0], 200)[0] == 2_005.0


def test_spot__two_disagreeing__feed_skipped():
    with pytest.raises(AggregationError, match="cannot tell"):
        aggregate_spot([2_000.0, 2_100.0], 200)


def test_spot__one_outlier_among_three__dropped_then_median():
    value, picked = aggregate_spot([2_000.0, 2_004.0, 2_500.0], 200)
    assert value == 2_002.0 and picked.dropped == [2]


def test_spot__outliers_are_the_majority__feed_skipped():
    with pytest.raises(AggregationError, match="only"):
        aggregate_spot([1_000.0, 2_000.0, 3_000.0], 200)


def test_spot__no_source__feed_skipped():
    with pytest.raises(AggregationError):
        aggregate_spot([], 200)


def test_surface__outlier_dropped__median_smile_with_its_forward():
    quotes = [quote(0.60, 2_001), quote(0.62, 2_002), quote(0.61, 2_003), quote(1.5, 2_004)]
    chosen, picked = aggregate_surface(quotes, [NOW] * 4, 0.05)
    assert picked.dropped == [3]
    assert chosen is quotes[2]  # ATM 0.61 is the median of 0.60, 0.61, 0.62


def test_aggregate__observed_at__earliest_source():
    obs = [
        Observation("ETH", NOW, 2_000.0, {EXPIRY: quote(0.6)}, "a"),
        Observation("ETH", NOW - 5, 2_001.0, {EXPIRY: quote(0.6)}, "b"),
        Observation("ETH", NOW - 2, 2_900.0, {}, "c"),
    ]
    value = aggregate(obs, 200, 0.05)
    assert value.observed_at == NOW - 5
    assert value.spot == 2_000.5 and value.dropped == ["c"]
    assert EXPIRY in value.surfaces


def test_aggregate__expiry_disagreement__that_expiry_left_out():
    obs = [
        Observation("ETH", NOW, 2_000.0, {EXPIRY: quote(0.5)}, "a"),
        Observation("ETH", NOW, 2_000.0, {EXPIRY: quote(0.9)}, "b"),
    ]
    value = aggregate(obs, 200, 0.05)
    assert value.surfaces == {} and len(value.problems) == 1
