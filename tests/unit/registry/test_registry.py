"""Registry governance: two-step owner, risk parameters with hard limits, series listing and
caps, the utilisation limit, guardian pause."""

import boa
import pytest

from ringfence.risk_table import DEFAULT_PARAMS, ETH, WAD, params_tuple

BTC = b"BTC".ljust(32, b"\0")


def _params(**changes):
    return params_tuple({**DEFAULT_PARAMS, **changes})


def test_set_risk_params__owner__round_trips(proto):
    with boa.env.prank(proto.governance):
        proto.registry.set_risk_params(BTC, _params(spot_shock=2 * 10**17))
    assert type(proto.registry.get_logs()[-1]).__name__ == "RiskParamsSet"
    assert tuple(proto.registry.risk_params(BTC)) == _params(spot_shock=2 * 10**17)


def test_set_risk_params__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.registry.set_risk_params(BTC, _params())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("spot_shock", 6 * 10**17, "risk_params: spot_shock"),
        ("spot_shock", 10**15, "risk_params: spot_shock"),
        ("spot_sigmas", 11 * WAD, "risk_params: spot_sigmas"),
        ("vol_up", 6 * WAD, "risk_params: vol_up"),
        ("vol_down", 95 * 10**16, "risk_params: vol_down"),
        ("vol_tenor_cap", 9 * 10**17, "risk_params: vol_tenor_cap"),
        ("vol_tenor_cap", 9 * WAD, "risk_params: vol_tenor_cap"),
        ("horizon", 59, "risk_params: horizon"),
        ("horizon", 7 * 86_400 + 1, "risk_params: horizon"),
        ("im_factor", WAD, "risk_params: im_factor"),
        ("min_short_margin", 6 * 10**17, "risk_params: min_short_margin"),
        ("liquidation_reward", 3 * 10**17, "risk_params: liquidation_reward"),
        ("insurance_fee", 3 * 10**17, "risk_params: insurance_fee"),
        ("spread_vol", 2 * 10**17, "risk_params: spread_vol"),
        ("rate", -(2 * 10**17), "risk_params: rate"),
        ("min_size", 1, "risk_params: min_size"),
        ("spot_shock", 15 * 10**16 + 1, "risk_params: finer than 1e-6"),
    ],
)
def test_set_risk_params__outside_hard_limit__reverts(proto, field, value, message):
    with boa.env.prank(proto.governance), boa.reverts(message):
        proto.registry.set_risk_params(BTC, _params(**{field: value}))


def test_list_series__owner__stores_terms_not_yet_in_the_pool_book(proto):
    expiry = proto.expiry + 86_400
    with boa.env.prank(proto.governance):
        sid = proto.registry.list_series(ETH, 2500 * WAD, expiry, True, 7 * WAD)
    log = proto.registry.get_logs()[-1]
    assert type(log).__name__ == "SeriesListed"
    assert log.series_id == sid
    assert tuple(proto.registry.series(sid)) == (ETH, 2500 * WAD, expiry, True, 7 * WAD)
    assert tuple(proto.view.series(sid)) == (ETH, 2500 * WAD, expiry, True, 7 * WAD)
    # the pool's NAV loop holds series with open legs only
    assert sid not in proto.pool.active_series()


LISTING_TERMS, LISTING_PRICED, LISTING_TRADED, LISTING_OPENING, LISTING_WITHDRAWAL = range(5)


def test_listing__opening__terms_index_params_and_limits(proto):
    sids = [proto.series[(2000, True)], proto.series[(1800, False)], 0, 0]
    listing = proto.registry.listing(sids, 2, LISTING_OPENING)
    assert listing.underlying == ETH
    assert listing.indexes == [1, 1, 0, 0]
    assert tuple(listing.terms[0]) == (2000 * WAD, proto.expiry, True)
    assert tuple(listing.terms[1]) == (1800 * WAD, proto.expiry, False)
    assert listing.limits.caps[:2] == [10_000 * WAD, 10_000 * WAD]
    assert listing.limits.max_utilisation == proto.registry.max_utilisation()
    assert not listing.limits.paused
    assert tuple(listing.params) == tuple(proto.registry.risk_params(ETH))


def test_listing__less_detail__reads_only_what_is_asked(proto):
    sids = [proto.series[(2000, True)], 0, 0, 0]
    priced = proto.registry.listing(sids, 1, LISTING_PRICED)
    assert priced.limits.caps == [0, 0, 0, 0] and priced.limits.max_utilisation == 0
    # the trading word (penalties, spread, minimum size) is not read to price a vault
    assert (priced.params.min_size, priced.params.liquidation_reward) == (0, 0)
    assert priced.params.im_factor == proto.registry.risk_params(ETH).im_factor
    traded = proto.registry.listing(sids, 1, LISTING_TRADED)
    assert tuple(traded.params) == tuple(proto.registry.risk_params(ETH))
    assert traded.limits.max_utilisation == 0
    terms = proto.registry.listing(sids, 1, LISTING_TERMS)
    assert terms.underlying == ETH and tuple(terms.terms[0]) == (2000 * WAD, proto.expiry, True)
    assert terms.params.im_factor == 0


def test_listing__unknown_detail__reverts(proto):
    with boa.reverts("registry: unknown detail"):
        proto.registry.listing([proto.series[(2000, True)], 0, 0, 0], 1, LISTING_WITHDRAWAL + 1)


def test_listing__withdrawal__pricing_and_pause_flag_only(proto):
    sids = [proto.series[(2000, True)], 0, 0, 0]
    with boa.env.prank(proto.guardian):
        proto.registry.set_paused(True)
    out = proto.registry.listing(sids, 1, LISTING_WITHDRAWAL)
    assert out.limits.paused and out.limits.caps == [0, 0, 0, 0]
    assert out.params.im_factor == proto.registry.risk_params(ETH).im_factor
    assert (out.params.min_size, out.params.liquidation_reward) == (0, 0)


def test_listing__paused__opening_sees_the_flag(proto):
    with boa.env.prank(proto.guardian):
        proto.registry.set_paused(True)
    listing = proto.registry.listing([proto.series[(2000, True)], 0, 0, 0], 1, LISTING_OPENING)
    assert listing.limits.paused
    assert listing.limits.max_utilisation == proto.registry.max_utilisation()


def test_listing__unlisted_series__index_zero(proto):
    listing = proto.registry.listing([999, 0, 0, 0], 1, LISTING_OPENING)
    assert listing.indexes[0] == 0
    assert listing.underlying == b"\0" * 32


def test_list_series__unconfigured_underlying__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("registry: underlying not configured"):
        proto.registry.list_series(BTC, WAD, proto.expiry, True, WAD)


def test_list_series__already_listed__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("registry: series already listed"):
        proto.registry.list_series(ETH, 2000 * WAD, proto.expiry, True, WAD)


def test_list_series__past_expiry__reverts(proto):
    now = boa.env.evm.patch.timestamp
    with boa.env.prank(proto.governance), boa.reverts("registry: expiry out of range"):
        proto.registry.list_series(ETH, 2000 * WAD, now, True, WAD)


def test_list_series__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.registry.list_series(ETH, 2500 * WAD, proto.expiry, True, WAD)


def test_set_series_cap__owner__updates(proto):
    sid = proto.series[(2000, True)]
    with boa.env.prank(proto.governance):
        proto.registry.set_series_cap(sid, 3 * WAD)
    assert proto.registry.series(sid).oi_cap == 3 * WAD


def test_set_paused__guardian_pauses_but_cannot_resume(proto):
    with boa.env.prank(proto.guardian):
        proto.registry.set_paused(True)
        assert proto.registry.paused()
        with boa.reverts("ownable: caller is not the owner"):
            proto.registry.set_paused(False)
    with boa.env.prank(proto.governance):
        proto.registry.set_paused(False)
    assert not proto.registry.paused()


def test_set_paused__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("registry: not guardian"):
        proto.registry.set_paused(True)


def test_transfer_ownership__two_steps__new_owner_governs(proto, trader):
    with boa.env.prank(proto.governance):
        proto.registry.transfer_ownership(trader)
    assert proto.registry.owner() == proto.governance
    with boa.env.prank(trader):
        proto.registry.accept_ownership()
        proto.registry.set_max_utilisation(2 * WAD)
    assert proto.registry.owner() == trader
    assert proto.registry.max_utilisation() == 2 * WAD


def test_set_max_utilisation__above_hard_limit__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("registry: utilisation"):
        proto.registry.set_max_utilisation(21 * WAD)


def test_set_guardian__owner__new_guardian_can_pause_old_cannot(proto, trader):
    with boa.env.prank(proto.governance):
        proto.registry.set_guardian(trader)
    assert type(proto.registry.get_logs()[-1]).__name__ == "GuardianSet"
    with boa.env.prank(proto.guardian), boa.reverts("registry: not guardian"):
        proto.registry.set_paused(True)
    with boa.env.prank(trader):
        proto.registry.set_paused(True)
    assert proto.registry.paused()


def test_set_guardian__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.registry.set_guardian(trader)
