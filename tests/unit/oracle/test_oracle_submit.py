"""`submit`: batch semantics and every per-report guard (each rejection is skipped with a
`ReportRejected` reason; only a malformed call reverts)."""

from dataclasses import replace

import boa
import pytest
from oracle_helpers import (
    BTC,
    ETH,
    ETH_SPOT,
    FLAT_VOL,
    MAX_AGE,
    WAD,
    gov,
    now,
    settle_expiry,
    spot_report,
    surface_report,
)

# --- malformed calls revert ---------------------------------------------------------------


def test_submit__empty_batch__reverts(oracle, relayer):
    with boa.env.prank(relayer), boa.reverts("oracle: empty batch"):
        oracle.submit([], [])


def test_submit__fewer_signatures_than_reports__reverts(oracle, relay, pusher):
    report = spot_report(ETH_SPOT)
    with boa.env.prank(relay.relayer), boa.reverts("oracle: length mismatch"):
        oracle.submit([report.as_tuple(), report.as_tuple()], [relay.sign(report, pusher)])


# --- acceptance and batch semantics ---------------------------------------------------------


def test_submit__valid_spot__accepted_and_price_updated(oracle, relay, pusher):
    accepted, reasons = relay.submit((spot_report(ETH_SPOT), pusher))
    assert (accepted, reasons) == (1, [])
    assert oracle.price(ETH) == ETH_SPOT
    assert oracle.last_update(ETH) == now()
    assert oracle.signer_report(pusher.address, ETH, 0).observed_at == now()


def test_submit__valid_surface__accepted_and_surface_stored(oracle, relay, pusher, expiries):
    report = surface_report(expiries[0])
    accepted, reasons = relay.submit((report, pusher))
    assert (accepted, reasons) == (1, [])
    stored = oracle.surface(ETH, expiries[0])
    assert (stored.forward, stored.a, stored.b, stored.sigma) == (ETH_SPOT, report.a, 0, WAD)
    assert stored.svi_observed_at == stored.observed_at == now()


def test_submit__bad_report_in_batch__skipped_and_others_applied(
    oracle, relay, pusher, signers, expiries
):
    good_spot = spot_report(ETH_SPOT)
    unknown = spot_report(ETH_SPOT + WAD)
    good_surface = surface_report(expiries[1])
    accepted, reasons = relay.submit(
        (good_spot, pusher), (unknown, signers[5]), (good_surface, pusher)
    )
    assert accepted == 2
    assert reasons == ["unknown signer"]
    assert oracle.price(ETH) == ETH_SPOT
    assert oracle.surface(ETH, expiries[1]).observed_at == now()


def test_submit__anyone_relays__accepted(oracle, relay, pusher, outsider):
    report = spot_report(ETH_SPOT)
    with boa.env.prank(outsider):
        assert oracle.submit([report.as_tuple()], [relay.sign(report, pusher)]) == 1
    assert oracle.price(ETH) == ETH_SPOT


def test_submit__same_report_twice_in_batch__second_rejected_not_newer(oracle, relay, pusher):
    report = spot_report(ETH_SPOT)
    accepted, reasons = relay.submit((report, pusher), (report, pusher))
    assert accepted == 1
    assert reasons == ["timestamp not newer"]


def test_submit__all_rejected__returns_zero_and_keeps_state(oracle, relay, signers):
    accepted, reasons = relay.submit((spot_report(ETH_SPOT), signers[7]))
    assert (accepted, reasons) == (0, ["unknown signer"])
    assert oracle.spot(ETH).observed_at == 0


# --- signer and listing ---------------------------------------------------------------------


def test_submit__unknown_signer__rejected(relay, signers):
    assert relay.rejects(spot_report(ETH_SPOT), signers[3]) == "unknown signer"


def test_submit__unlisted_feed__rejected(relay, pusher):
    assert relay.rejects(spot_report(ETH_SPOT, underlying=BTC), pusher) == "unlisted feed"


def test_submit__unlisted_expiry__rejected(relay, pusher, expiries):
    report = surface_report(expiries[0] + 1)
    assert relay.rejects(report, pusher) == "unlisted expiry"


def test_submit__delisted_expiry__rejected(oracle, relay, pusher, governance, expiries):
    settle_expiry(relay, pusher, expiries[0], ETH_SPOT)
    with boa.env.prank(governance):
        gov(oracle).delist_expiry(ETH, expiries[0])
    assert relay.rejects(surface_report(expiries[0]), pusher) == "unlisted expiry"


# --- timestamps -----------------------------------------------------------------------------


def test_submit__future_timestamp__rejected(relay, pusher):
    report = spot_report(ETH_SPOT, observed_at=now() + 1)
    assert relay.rejects(report, pusher) == "future timestamp"


def test_submit__timestamp_equal_to_block_time__accepted(relay, pusher):
    accepted, _ = relay.submit((spot_report(ETH_SPOT, observed_at=now()), pusher))
    assert accepted == 1


def test_submit__timestamp_equal_to_signers_last__rejected(relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=10)
    repeat = spot_report(ETH_SPOT + WAD, observed_at=now() - 10)
    assert relay.rejects(repeat, pusher) == "timestamp not newer"


def test_submit__timestamp_older_than_signers_last__rejected(relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    older = spot_report(ETH_SPOT, observed_at=now() - 1)
    assert relay.rejects(older, pusher) == "timestamp not newer"


def test_submit__newer_timestamp__accepted_and_replaces_value(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=1)
    accepted, _ = relay.submit((spot_report(ETH_SPOT + WAD), pusher))
    assert accepted == 1
    assert oracle.price(ETH) == ETH_SPOT + WAD


def test_submit__last_timestamp_is_per_signer_and_per_expiry__others_unaffected(
    oracle, relay, register, expiries
):
    first, second = register(2)
    t = now()
    relay.submit((spot_report(ETH_SPOT, observed_at=t), first))
    # The same observation time is new for another signer, and for the same signer on
    # another (feed, expiry) key.
    accepted, reasons = relay.submit(
        (spot_report(ETH_SPOT, observed_at=t), second),
        (surface_report(expiries[0], observed_at=t), first),
        (surface_report(expiries[1], observed_at=t), first),
    )
    assert (accepted, reasons) == (3, [])


def test_submit__report_older_than_max_age__rejected(relay, pusher):
    boa.env.time_travel(seconds=MAX_AGE + 10)
    report = spot_report(ETH_SPOT, observed_at=now() - MAX_AGE - 1)
    assert relay.rejects(report, pusher) == "report too old"


def test_submit__report_exactly_max_age_old__accepted(relay, pusher):
    boa.env.time_travel(seconds=MAX_AGE + 10)
    accepted, _ = relay.submit((spot_report(ETH_SPOT, observed_at=now() - MAX_AGE), pusher))
    assert accepted == 1


def test_submit__surface_observed_at_expiry__rejected(oracle, relay, pusher, expiries):
    expiry = expiries[0]
    boa.env.time_travel(seconds=expiry - now())
    report = surface_report(expiry, observed_at=expiry, a=WAD // 100)
    assert relay.rejects(report, pusher) == "expiry passed"


# --- values ---------------------------------------------------------------------------------


def test_submit__zero_spot__rejected(relay, pusher):
    assert relay.rejects(spot_report(0), pusher) == "zero price"


def test_submit__zero_forward__rejected(relay, pusher, expiries):
    assert relay.rejects(surface_report(expiries[0], forward=0), pusher) == "zero price"


def test_submit__price_above_bound__rejected(relay, pusher):
    assert relay.rejects(spot_report(10**30 + 1), pusher) == "price out of range"


def test_submit__price_at_bound__accepted(relay, pusher):
    assert relay.submit((spot_report(10**30), pusher))[0] == 1


@pytest.mark.parametrize("field", ["a", "b", "rho", "m", "sigma"])
def test_submit__spot_report_with_svi_field__rejected(relay, pusher, field):
    report = replace(spot_report(ETH_SPOT), **{field: 1})
    assert relay.rejects(report, pusher) == "svi on spot report"


# --- SVI sanity -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"b": -1}, "svi b < 0"),
        ({"b": WAD // 10, "rho": WAD}, "svi |rho| >= 1"),
        ({"b": WAD // 10, "rho": -WAD}, "svi |rho| >= 1"),
        ({"sigma": 0}, "svi sigma <= 0"),
        ({"sigma": -WAD}, "svi sigma <= 0"),
        ({"a": 1_000 * WAD + 1}, "svi out of bounds"),
        ({"b": 100 * WAD + 1}, "svi out of bounds"),
        ({"m": 10 * WAD + 1}, "svi out of bounds"),
        ({"sigma": 10 * WAD + 1}, "svi out of bounds"),
        # min w = a + b sigma sqrt(1 - rho^2) = -0.01 + 0.1 * 0.05 * 1 < 0
        ({"a": -(WAD // 100), "b": WAD // 10, "sigma": WAD // 20}, "svi negative variance"),
    ],
)
def test_submit__insane_svi__rejected(relay, pusher, expiries, params, reason):
    report = surface_report(expiries[0], **params)
    assert relay.rejects(report, pusher) == reason


def test_submit__svi_min_variance_just_negative_with_skew__rejected(relay, pusher, expiries):
    # rho = 0.6 -> sqrt(1 - rho^2) = 0.8; b sigma 0.8 = 0.1 * 0.05 * 0.8 = 0.004
    report = surface_report(
        expiries[0], a=-(4 * WAD // 1_000) - 1, b=WAD // 10, rho=6 * WAD // 10, sigma=WAD // 20
    )
    assert relay.rejects(report, pusher) == "svi negative variance"


def test_submit__svi_min_variance_exactly_zero__rejected_as_butterfly(relay, pusher, expiries):
    # Sane (min w = 0 is not negative) but arbitrageable: zero variance at k* < 0 makes the
    # put at K* worth 0 while cheaper strikes' puts are worth more (float g(k) < 0 there).
    report = surface_report(
        expiries[0], a=-(4 * WAD // 1_000), b=WAD // 10, rho=6 * WAD // 10, sigma=WAD // 20
    )
    assert relay.rejects(report, pusher) == "svi butterfly arbitrage"


def test_submit__atm_vol_above_ten__rejected(relay, pusher, expiries):
    report = surface_report(expiries[0], vol=10 * WAD + 10**15)
    assert relay.rejects(report, pusher) == "atm vol out of range"


# --- circuit breakers -----------------------------------------------------------------------


def test_submit__first_spot_ever__no_cap_applies(oracle, relay, pusher):
    assert relay.submit((spot_report(ETH_SPOT * 1000), pusher))[0] == 1


@pytest.mark.parametrize(
    ("new_vol", "accepted"),
    [
        (FLAT_VOL + 19 * 10**16, True),
        (FLAT_VOL + 21 * 10**16, False),
        (FLAT_VOL - 19 * 10**16, True),
        (FLAT_VOL - 21 * 10**16, False),
    ],
)
def test_submit__atm_vol_move_vs_cap__accepted_only_within(
    oracle, relay, pusher, expiries, new_vol, accepted
):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=1)
    count, reasons = relay.submit((surface_report(expiries[0], vol=new_vol), pusher))
    atm = oracle.atm_vol(ETH, expiries[0])
    if accepted:
        assert count == 1
        assert abs(atm - new_vol) < 10**9
    else:
        assert reasons == ["vol cap exceeded"]
        assert abs(atm - FLAT_VOL) < 10**9


def test_submit__vol_cap_is_per_expiry__other_expiry_uncapped(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0]), pusher))
    boa.env.time_travel(seconds=1)
    count, _ = relay.submit((surface_report(expiries[1], vol=3 * FLAT_VOL), pusher))
    assert count == 1


def test_submit__rejection_event__names_recovered_signer_feed_and_expiry(
    oracle, relay, signers, expiries
):
    relay.submit((surface_report(expiries[1]), signers[4]))
    (event,) = [log for log in oracle.get_logs() if type(log).__name__ == "ReportRejected"]
    assert (event.signer, event.underlying, event.expiry, event.reason) == (
        signers[4].address,
        ETH,
        expiries[1],
        "unknown signer",
    )


def test_submit__acceptance_event__names_signer_value_and_time(oracle, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    (event,) = [log for log in oracle.get_logs() if type(log).__name__ == "ReportAccepted"]
    assert (event.signer, event.underlying, event.expiry, event.price, event.observed_at) == (
        pusher.address,
        ETH,
        0,
        ETH_SPOT,
        now(),
    )
