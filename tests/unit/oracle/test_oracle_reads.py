"""Reads fail closed (age == max_age is fresh, age > max_age stale) and settlement prices are
fixed once, by the first accepted spot observed at or after the expiry."""

import boa
import pytest
from oracle_helpers import (
    BTC,
    ETH,
    ETH_SPOT,
    MAX_AGE,
    WAD,
    gov,
    now,
    settle_expiry,
    spot_report,
    surface_report,
)

# --- staleness ------------------------------------------------------------------------------


def test_price__age_exactly_max_age__returns_price(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE)
    assert now() - oracle.last_update(ETH) == MAX_AGE
    assert oracle.price(ETH) == ETH_SPOT
    assert oracle.is_fresh(ETH, 0)


def test_price__age_one_second_past_max_age__reverts_stale(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    with boa.reverts("oracle: stale price"):
        oracle.price(ETH)
    assert not oracle.is_fresh(ETH, 0)
    # The non-reverting views still show the last value and its time.
    assert oracle.spot(ETH).price == ETH_SPOT
    assert oracle.last_update(ETH) == now() - MAX_AGE - 1


def test_price__stale_feed_then_new_report__fresh_again(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    relay.submit((spot_report(ETH_SPOT + WAD), pusher))
    assert oracle.price(ETH) == ETH_SPOT + WAD


def test_price__unknown_feed__reverts(oracle):
    with boa.reverts("oracle: unknown feed"):
        oracle.price(BTC)


def test_price__listed_feed_without_reports__reverts_no_price(oracle):
    with boa.reverts("oracle: no price"):
        oracle.price(ETH)
    assert oracle.last_update(ETH) == 0


def test_vol__age_exactly_max_age__returns_vol(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=MAX_AGE)
    assert oracle.vol(ETH, ETH_SPOT, expiries[0]) > 0
    assert oracle.is_fresh(ETH, expiries[0])


def test_vol__age_one_second_past_max_age__reverts_stale(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    with boa.reverts("oracle: stale vol"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])
    with boa.reverts("oracle: stale vol"):
        oracle.atm_vol(ETH, expiries[0])
    assert not oracle.is_fresh(ETH, expiries[0])


def test_vol__fresh_spot_does_not_refresh_surface__still_stale(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    relay.submit((spot_report(ETH_SPOT), pusher))
    with boa.reverts("oracle: stale vol"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])


def test_vol__unlisted_expiry__reverts(oracle, relay, pusher, expiries):
    with boa.reverts("oracle: unlisted expiry"):
        oracle.vol(ETH, ETH_SPOT, expiries[0] + 1)


def test_vol__listed_expiry_without_reports__reverts_no_surface(oracle, expiries):
    with boa.reverts("oracle: no surface"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])


def test_vol__delisted_expiry__reverts(oracle, relay, pusher, governance, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    settle_expiry(relay, pusher, expiries[0], ETH_SPOT)
    with boa.env.prank(governance):
        gov(oracle).delist_expiry(ETH, expiries[0])
    with boa.reverts("oracle: unlisted expiry"):
        oracle.vol(ETH, ETH_SPOT, expiries[0])


@pytest.mark.parametrize("strike", [0, 10**30 + 1])
def test_vol__strike_outside_range__reverts(oracle, relay, pusher, expiries, strike):
    relay.submit((surface_report(expiries[0]), pusher))
    with boa.reverts("oracle: strike out of range"):
        oracle.vol(ETH, strike, expiries[0])


# --- settlement -----------------------------------------------------------------------------


def _to(timestamp: int):
    boa.env.time_travel(seconds=timestamp - now())


def test_settlement__before_expiry__zero(oracle, relay, pusher, expiries):
    relay.submit((spot_report(ETH_SPOT), pusher))
    assert oracle.settlement_price(ETH, expiries[0]) == 0


def test_settlement__spot_observed_before_expiry_relayed_after__not_fixed(
    oracle, relay, pusher, expiries
):
    expiry = expiries[0]
    _to(expiry + 10)
    relay.submit((spot_report(ETH_SPOT, observed_at=expiry - 1), pusher))
    assert oracle.price(ETH) == ETH_SPOT
    assert oracle.settlement_price(ETH, expiry) == 0


def test_settlement__first_spot_observed_exactly_at_expiry__fixes_it(
    oracle, relay, pusher, expiries
):
    expiry = expiries[0]
    _to(expiry)
    relay.submit((spot_report(ETH_SPOT, observed_at=expiry), pusher))
    assert oracle.settlement_price(ETH, expiry) == ETH_SPOT
    assert oracle.settlement_price(ETH, expiries[1]) == 0


def test_settlement__later_spots__never_change_it(oracle, relay, pusher, expiries):
    expiry = expiries[0]
    _to(expiry + 5)
    relay.submit((spot_report(ETH_SPOT), pusher))
    for step in range(1, 4):
        boa.env.time_travel(seconds=60)
        relay.submit((spot_report(ETH_SPOT + step * WAD), pusher))
        assert oracle.price(ETH) == ETH_SPOT + step * WAD
    assert oracle.settlement_price(ETH, expiry) == ETH_SPOT


def test_settlement__both_expiries_passed__first_spot_fixes_both(oracle, relay, pusher, expiries):
    _to(expiries[1] + 1)
    relay.submit((spot_report(ETH_SPOT), pusher))
    assert oracle.settlement_price(ETH, expiries[0]) == ETH_SPOT
    assert oracle.settlement_price(ETH, expiries[1]) == ETH_SPOT


def test_settlement__quorum_two__needs_two_spots_at_or_after_expiry(
    oracle, relay, register, governance, expiries
):
    first, second = register(2)
    with boa.env.prank(governance):
        gov(oracle).set_quorum(2)
    expiry = expiries[0]
    _to(expiry + 100)
    relay.submit(
        (spot_report(ETH_SPOT, observed_at=expiry - 1), first),
        (spot_report(ETH_SPOT + 10 * WAD, observed_at=expiry), second),
    )
    assert oracle.settlement_price(ETH, expiry) == 0  # only one report at/after expiry
    relay.submit((spot_report(ETH_SPOT + 20 * WAD, observed_at=expiry + 50), first))
    # two reports at/after expiry, 3,010 and 3,020: the point between them nearest the
    # published spot (which the same two reports just set), not their mean
    published = oracle.price(ETH)
    assert ETH_SPOT + 10 * WAD <= published <= ETH_SPOT + 20 * WAD
    assert oracle.settlement_price(ETH, expiry) == published


def test_settlement__delist_before_it__refused_and_still_fixed(
    oracle, relay, pusher, governance, expiries
):
    with boa.env.prank(governance), boa.reverts("oracle: expiry not settled"):
        gov(oracle).delist_expiry(ETH, expiries[0])
    _to(expiries[0] + 1)
    relay.submit((spot_report(ETH_SPOT), pusher))
    assert oracle.settlement_price(ETH, expiries[0]) == ETH_SPOT


def test_settlement__emits_event_once(oracle, relay, pusher, expiries):
    _to(expiries[0])
    relay.submit((spot_report(ETH_SPOT), pusher))
    fixed = [log for log in oracle.get_logs() if type(log).__name__ == "SettlementFixed"]
    assert [(log.expiry, log.price) for log in fixed] == [(expiries[0], ETH_SPOT)]
    boa.env.time_travel(seconds=1)
    relay.submit((spot_report(ETH_SPOT), pusher))
    assert not [log for log in oracle.get_logs() if type(log).__name__ == "SettlementFixed"]
