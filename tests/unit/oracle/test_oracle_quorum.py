"""Quorum and medians: a feed's value is the median of the fresh reports of at least `quorum`
distinct registered signers (for an even spot count the point between the two middle values
nearest the published spot, their mean before any; the whole
report with the upper-median ATM vol for surfaces); its freshness time is the quorum-th newest
observation behind it."""

import boa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_helpers import (
    CHANGE_DELAY,
    ETH,
    ETH_SPOT,
    FLAT_VOL,
    MAX_AGE,
    WAD,
    gov,
    now,
    spot_report,
    surface_report,
)


def _set_quorum(oracle, governance, q):
    with boa.env.prank(governance):
        gov(oracle).set_quorum(q)


@pytest.mark.parametrize(
    ("prices", "median"),
    [
        ([3_000], 3_000),
        ([3_010, 2_990, 3_000], 3_000),
        ([3_100, 2_900, 3_000, 3_050, 2_950], 3_000),
        ([3_000, 3_010], 3_005),
        ([2_990, 3_020, 3_000, 3_100], 3_010),
    ],
    ids=["n1", "n3", "n5", "n2-even", "n4-even"],
)
def test_spot_median__n_fresh_reports__median_price(oracle, relay, register, prices, median):
    accounts = register(len(prices))
    accepted, _ = relay.submit(
        *[(spot_report(p * WAD), a) for p, a in zip(prices, accounts, strict=True)]
    )
    assert accepted == len(prices)
    assert oracle.price(ETH) == median * WAD
    assert oracle.fresh_report_count(ETH, 0) == len(prices)


def test_spot_median__even_count_odd_sum__rounds_down(oracle, relay, register):
    first, second = register(2)
    relay.submit((spot_report(3 * WAD), first), (spot_report(3 * WAD + 1), second))
    assert oracle.price(ETH) == 3 * WAD


def test_spot_median__outlier_signer__ignored_by_median_of_three(
    oracle, relay, register, governance
):
    accounts = register(3)
    _set_quorum(oracle, governance, 3)
    prices = [3_000 * WAD, 3_001 * WAD, 1 * WAD]  # one compromised signer reports 1
    relay.submit(*[(spot_report(p), a) for p, a in zip(prices, accounts, strict=True)])
    assert oracle.price(ETH) == 3_000 * WAD


def test_spot_quorum__fewer_fresh_than_quorum__value_not_updated(
    oracle, relay, register, governance
):
    accounts = register(5)
    _set_quorum(oracle, governance, 3)
    accepted, _ = relay.submit(
        (spot_report(ETH_SPOT), accounts[0]), (spot_report(ETH_SPOT), accounts[1])
    )
    assert accepted == 2  # accepted and stored, but below quorum
    assert oracle.spot(ETH).observed_at == 0
    with boa.reverts("oracle: no price"):
        oracle.price(ETH)
    accepted, _ = relay.submit((spot_report(ETH_SPOT + 3 * WAD), accounts[2]))
    assert accepted == 1
    assert oracle.price(ETH) == ETH_SPOT  # median of (S, S, S + 3)


def test_spot_quorum__stale_report__excluded_from_median(oracle, relay, register):
    first, second, third = register(3)
    relay.submit((spot_report(2_900 * WAD), first))  # within the breaker's band of 3,001
    boa.env.time_travel(seconds=MAX_AGE + 1)  # first's report is now stale
    relay.submit(
        (spot_report(ETH_SPOT), second),
        (spot_report(ETH_SPOT + 2 * WAD), third),
    )
    assert oracle.fresh_report_count(ETH, 0) == 2
    # 3,000 and 3,002 fresh (2,900 stale): the point between them nearest the published 2,900
    assert oracle.price(ETH) == ETH_SPOT


def test_spot_quorum__freshness_time__is_quorum_th_newest_observation(
    oracle, relay, register, governance
):
    accounts = register(3)
    _set_quorum(oracle, governance, 2)
    t0 = now()
    boa.env.time_travel(seconds=300)
    relay.submit(
        (spot_report(ETH_SPOT, observed_at=t0), accounts[0]),
        (spot_report(ETH_SPOT, observed_at=t0 + 100), accounts[1]),
        (spot_report(ETH_SPOT, observed_at=t0 + 200), accounts[2]),
    )
    assert oracle.last_update(ETH) == t0 + 100
    # Stale exactly when fewer than two of its reports are fresh.
    boa.env.time_travel(seconds=t0 + 100 + MAX_AGE - now())
    assert oracle.price(ETH) == ETH_SPOT
    boa.env.time_travel(seconds=1)
    with boa.reverts("oracle: stale price"):
        oracle.price(ETH)


def test_spot_quorum__removed_signer__excluded_from_next_aggregation(
    oracle, relay, register, governance
):
    first, second, third = register(3)
    relay.submit(
        (spot_report(ETH_SPOT), first),
        (spot_report(ETH_SPOT + 100 * WAD), second),
        (spot_report(ETH_SPOT + 200 * WAD), third),
    )
    assert oracle.price(ETH) == ETH_SPOT + 100 * WAD
    with boa.env.prank(governance):
        gov(oracle).remove_signer(third.address)  # the oracle has a price: queued a day
    boa.env.time_travel(seconds=CHANGE_DELAY)
    gov(oracle).apply_removal(third.address)
    accepted, reasons = relay.submit(
        (spot_report(ETH_SPOT), first),
        (spot_report(ETH_SPOT + 100 * WAD), second),
        (spot_report(ETH_SPOT + 200 * WAD), third),
    )
    assert (accepted, reasons) == (2, ["unknown signer"])
    # two fresh reports, 3,000 and 3,100: the point of that interval nearest the published
    # 3,100 (the mean would let either report drag the price)
    assert oracle.price(ETH) == ETH_SPOT + 100 * WAD
    assert oracle.fresh_report_count(ETH, 0) == 2


def test_spot_round_id__each_aggregation__increments(oracle, relay, register):
    first, second = register(2)
    relay.submit((spot_report(ETH_SPOT), first), (spot_report(ETH_SPOT), second))
    assert oracle.spot(ETH).round_id == 1  # one aggregation per touched feed per batch
    boa.env.time_travel(seconds=1)
    relay.submit((spot_report(ETH_SPOT), first))
    assert oracle.spot(ETH).round_id == 2


@pytest.mark.parametrize(
    ("vols", "chosen"),
    [
        ([60], 0),
        ([90, 60, 75], 2),
        ([90, 60, 75, 80, 70], 2),
        ([60, 90, 75, 80], 3),  # sorted 60, 75, 80, 90: the upper median 80 is index 3
    ],
    ids=["n1", "n3", "n5", "n4-even"],
)
def test_surface_median__n_fresh_reports__report_with_median_atm_vol(
    oracle, relay, register, expiries, vols, chosen
):
    accounts = register(len(vols))
    reports = [
        surface_report(expiries[0], forward=ETH_SPOT + i * WAD, vol=v * 10**16)
        for i, v in enumerate(vols)
    ]
    accepted, _ = relay.submit(*zip(reports, accounts, strict=True))
    assert accepted == len(vols)
    stored = oracle.surface(ETH, expiries[0])
    # The chosen report is taken whole: its forward and its SVI parameters together.
    assert stored.forward == reports[chosen].price
    assert stored.a == reports[chosen].a
    assert abs(stored.atm_vol - vols[chosen] * 10**16) < 10**9


def test_surface_quorum__fewer_fresh_than_quorum__surface_not_updated(
    oracle, relay, register, governance, expiries
):
    accounts = register(3)
    _set_quorum(oracle, governance, 2)
    relay.submit((surface_report(expiries[0]), accounts[0]))
    with boa.reverts("oracle: no surface"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])
    relay.submit((surface_report(expiries[0], vol=FLAT_VOL + 10**16), accounts[1]))
    assert abs(oracle.atm_vol(ETH, expiries[0]) - (FLAT_VOL + 10**16)) < 10**9
    assert oracle.fresh_report_count(ETH, expiries[0]) == 2


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prices=st.lists(st.integers(2_700 * WAD, 3_300 * WAD), min_size=1, max_size=5))
def test_spot_median__any_fresh_reports__python_median(oracle, relay, governance, signers, prices):
    expected = sorted(prices)
    n = len(expected)
    with boa.env.anchor():
        try:
            current = oracle.price(ETH)
        except boa.BoaError:  # no price yet: the mean of the two middle values
            current = 0
        if n % 2:
            median = expected[n // 2]
        elif current == 0:
            median = (expected[n // 2 - 1] + expected[n // 2]) // 2
        else:
            median = min(max(current, expected[n // 2 - 1]), expected[n // 2])
        with boa.env.prank(governance):
            for account in signers[1:n]:
                gov(oracle).add_signer(account.address)
        reports = [(spot_report(p), a) for p, a in zip(prices, signers, strict=False)]
        assert relay.submit(*reports)[0] == n
        assert oracle.price(ETH) == median


# -------------------------------------------------- two fresh reports (attack review, issue 16)


def test_two_fresh_spots__one_signer_reports_1_wei_every_window__spot_never_walks(
    oracle, relay, register, governance
):
    # quorum 2 of 3, one signer offline: before, the mean of two let the other dragged the
    # median to half the spot and walk the published spot down one band per window
    honest, liar, offline = register(3)
    _set_quorum(oracle, governance, 2)
    relay.submit(
        (spot_report(ETH_SPOT), honest),
        (spot_report(ETH_SPOT), liar),
        (spot_report(ETH_SPOT), offline),
    )
    assert oracle.price(ETH) == ETH_SPOT
    for window in range(6):
        boa.env.time_travel(seconds=MAX_AGE + 1)  # the offline signer's report is stale
        accepted, _ = relay.submit(
            (spot_report(ETH_SPOT + window * WAD), honest), (spot_report(1), liar)
        )
        assert accepted == 2 and oracle.fresh_report_count(ETH, 0) == 2
        # between the published spot and the honest report: the liar only holds it back
        assert ETH_SPOT <= oracle.price(ETH) <= ETH_SPOT + window * WAD
        assert not oracle.breaker_held(ETH)


def test_two_fresh_spots__honest_move__followed_when_the_other_agrees(
    oracle, relay, register, governance
):
    first, second = register(2)
    _set_quorum(oracle, governance, 2)
    relay.submit((spot_report(ETH_SPOT), first), (spot_report(ETH_SPOT), second))
    boa.env.time_travel(seconds=60)
    relay.submit(
        (spot_report(ETH_SPOT - 90 * WAD), first), (spot_report(ETH_SPOT - 60 * WAD), second)
    )
    assert oracle.price(ETH) == ETH_SPOT - 60 * WAD  # the nearer of the two: a real move lands


def test_two_fresh_smiles__one_signer_lifts_a_band__smile_stays_with_the_honest_one(
    oracle, relay, register, governance, expiries
):
    honest, liar = register(2)
    _set_quorum(oracle, governance, 2)
    expiry = expiries[0]
    relay.submit(
        (surface_report(expiry, vol=FLAT_VOL), honest), (surface_report(expiry, vol=FLAT_VOL), liar)
    )
    for _ in range(3):
        boa.env.time_travel(seconds=MAX_AGE + 1)
        # the walker's move: 19 points above the published smile (80 %), inside its band
        lifted = FLAT_VOL + 19 * 10**16
        accepted, _ = relay.submit(
            (surface_report(expiry, vol=FLAT_VOL), honest),
            (surface_report(expiry, vol=lifted), liar),
        )
        assert accepted == 2
        # before: the upper of two, so the liar lifted the smile one band per window
        assert abs(oracle.atm_vol(ETH, expiry) - FLAT_VOL) < 10**9
