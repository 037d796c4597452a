"""The demo's book builder: coverage, pods, the seed straddle twice, leverage ladder."""

from collections import Counter

import pytest

from ringfence.demo.book import LEVERAGE_LADDER, BookError, SeriesInfo, build_book

EXPIRIES = (1_000, 2_000, 3_000)
PUT_STRIKES = (2400.0, 2600.0, 2800.0, 3000.0)
CALL_STRIKES = (3000.0, 3200.0, 3400.0, 3600.0)


def listed() -> list[SeriesInfo]:
    out, series_id = [], 1
    for expiry in EXPIRIES:
        for strike in PUT_STRIKES:
            out.append(SeriesInfo(series_id, strike, expiry, False))
            series_id += 1
        for strike in CALL_STRIKES:
            out.append(SeriesInfo(series_id, strike, expiry, True))
            series_id += 1
    return out


@pytest.fixture(scope="module")
def book():
    return build_book(listed(), spot=3000.0, n_traders=300, seed=0)


def test_build_book__same_seed__same_book():
    assert build_book(listed(), 3000.0, seed=7) == build_book(listed(), 3000.0, seed=7)


def test_build_book__300_traders__every_trader_has_positions(book):
    assert {o.trader for o in book} == set(range(300))
    assert len(book) >= 900


def test_build_book__singles__every_listed_series_long_and_short(book):
    singles = {(o.legs[0][0], o.legs[0][1] > 0) for o in book if o.group == "single"}
    for s in listed():
        assert (s.series_id, True) in singles and (s.series_id, False) in singles


def test_build_book__pods__spreads_straddles_and_condors_present(book):
    kinds = Counter(o.kind for o in book if o.group == "pod")
    for kind in ("put-credit-spread", "call-debit-spread", "long-straddle", "short-straddle",
                 "short-iron-condor", "long-iron-condor"):  # fmt: skip
        assert kinds[kind] > 0, kind


def test_build_book__pod_legs__one_expiry_and_no_repeated_series(book):
    expiry = {s.series_id: s.expiry for s in listed()}
    for order in book:
        ids = [s for s, _ in order.legs]
        assert len(set(ids)) == len(ids) <= 4
        assert len({expiry[s] for s in ids}) == 1


def test_build_book__iron_condor__short_inner_long_outer_and_balanced(book):
    strike = {s.series_id: s.strike for s in listed()}
    condor = next(o for o in book if o.kind == "short-iron-condor")
    by_strike = sorted((strike[s], size) for s, size in condor.legs)
    sizes = [size for _, size in by_strike]
    assert sizes[0] > 0 and sizes[1] < 0 and sizes[2] < 0 and sizes[3] > 0
    assert sum(sizes) == 0


def test_build_book__seed_straddle__two_vaults_and_one_pod_with_same_terms(book):
    for trader in {o.trader for o in book if o.group == "seed-pod"}:
        split = [o for o in book if o.trader == trader and o.group == "seed-split"]
        pod = [o for o in book if o.trader == trader and o.group == "seed-pod"]
        assert len(split) == 2 and len(pod) == 1
        assert sorted(leg for o in split for leg in o.legs) == sorted(pod[0].legs)
        assert {o.leverage for o in split} == {pod[0].leverage}
        assert all(size > 0 for _, size in pod[0].legs)  # the seed's straddle is long


def test_build_book__leverage__conservative_to_aggressive(book):
    used = {o.leverage for o in book}
    assert used <= set(LEVERAGE_LADDER)
    assert min(used) == pytest.approx(1.05) and max(used) == pytest.approx(3.0)


def test_build_book__no_strike_with_both_types__book_error():
    calls_only = [s for s in listed() if s.is_call and s.strike > 3000]
    with pytest.raises(BookError, match="no straddles"):
        build_book(calls_only, 3000.0)


def test_build_book__too_few_traders__book_error():
    with pytest.raises(BookError, match="need more than"):
        build_book(listed(), 3000.0, n_traders=10)
