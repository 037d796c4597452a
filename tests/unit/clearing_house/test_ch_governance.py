"""Governance: two-step owner, risk parameters with hard limits, series listing, guardian pause."""

import boa
import pytest

from ringfence.risk_table import DEFAULT_PARAMS, ETH, WAD, params_tuple

BTC = b"BTC".ljust(32, b"\0")


def _params(**changes):
    return params_tuple({**DEFAULT_PARAMS, **changes})


def test_set_risk_params__owner__round_trips(proto):
    with boa.env.prank(proto.governance):
        proto.ch.set_risk_params(BTC, _params(spot_shock=2 * 10**17))
    assert type(proto.ch.get_logs()[-1]).__name__ == "RiskParamsSet"
    assert tuple(proto.ch.risk_params(BTC)) == _params(spot_shock=2 * 10**17)


def test_set_risk_params__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.ch.set_risk_params(BTC, _params())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("spot_shock", 6 * 10**17, "margin: spot_shock"),
        ("spot_shock", 10**15, "margin: spot_shock"),
        ("vol_shock", 3 * WAD, "margin: vol_shock"),
        ("im_factor", WAD, "margin: im_factor"),
        ("min_short_margin", 6 * 10**17, "margin: min_short_margin"),
        ("liquidation_reward", 3 * 10**17, "margin: liquidation_reward"),
        ("insurance_fee", 3 * 10**17, "margin: insurance_fee"),
        ("spread_vol", 2 * 10**17, "margin: spread_vol"),
        ("rate", -(2 * 10**17), "margin: rate"),
        ("min_size", 1, "margin: min_size"),
        ("spot_shock", 15 * 10**16 + 1, "margin: finer than 1e-6"),
    ],
)
def test_set_risk_params__outside_hard_limit__reverts(proto, field, value, message):
    with boa.env.prank(proto.governance), boa.reverts(message):
        proto.ch.set_risk_params(BTC, _params(**{field: value}))


def test_list_series__owner__stores_terms_and_activates(proto):
    expiry = proto.expiry + 86_400
    with boa.env.prank(proto.governance):
        sid = proto.ch.list_series(ETH, 2500 * WAD, expiry, True, 7 * WAD)
    log = proto.ch.get_logs()[-1]
    assert type(log).__name__ == "SeriesListed"
    assert log.series_id == sid
    assert tuple(proto.ch.series(sid)) == (ETH, 2500 * WAD, expiry, True, 7 * WAD)
    assert sid in proto.ch.active_series()


def test_list_series__unconfigured_underlying__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("clearing: underlying not configured"):
        proto.ch.list_series(BTC, WAD, proto.expiry, True, WAD)


def test_list_series__already_listed__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("clearing: series already listed"):
        proto.ch.list_series(ETH, 2000 * WAD, proto.expiry, True, WAD)


def test_list_series__past_expiry__reverts(proto):
    now = boa.env.evm.patch.timestamp
    with boa.env.prank(proto.governance), boa.reverts("clearing: expiry"):
        proto.ch.list_series(ETH, 2000 * WAD, now, True, WAD)


def test_list_series__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.ch.list_series(ETH, 2500 * WAD, proto.expiry, True, WAD)


def test_set_series_cap__owner__updates(proto):
    sid = proto.series[(2000, True)]
    with boa.env.prank(proto.governance):
        proto.ch.set_series_cap(sid, 3 * WAD)
    assert proto.ch.series(sid).oi_cap == 3 * WAD


def test_set_pool__second_time__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("clearing: pool already set"):
        proto.ch.set_pool(proto.pool.address)


def test_set_paused__guardian_pauses_but_cannot_resume(proto):
    with boa.env.prank(proto.guardian):
        proto.ch.set_paused(True)
        assert proto.ch.paused()
        with boa.reverts("ownable: caller is not the owner"):
            proto.ch.set_paused(False)
    with boa.env.prank(proto.governance):
        proto.ch.set_paused(False)
    assert not proto.ch.paused()


def test_set_paused__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("clearing: not guardian"):
        proto.ch.set_paused(True)


def test_transfer_ownership__two_steps__new_owner_governs(proto, trader):
    with boa.env.prank(proto.governance):
        proto.ch.transfer_ownership(trader)
    assert proto.ch.owner() == proto.governance
    with boa.env.prank(trader):
        proto.ch.accept_ownership()
        proto.ch.set_max_utilisation(2 * WAD)
    assert proto.ch.owner() == trader
    assert proto.ch.max_utilisation() == 2 * WAD


def test_set_max_utilisation__above_hard_limit__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("clearing: utilisation"):
        proto.ch.set_max_utilisation(21 * WAD)


def test_prune_series__expired_without_legs__leaves_active_list(proto):
    sid = proto.series[(1600, False)]
    with boa.reverts("clearing: not expired"):
        proto.ch.prune_series(sid)
    boa.env.time_travel(seconds=proto.expiry - boa.env.evm.patch.timestamp + 1)
    proto.ch.prune_series(sid)
    assert sid not in proto.ch.active_series()


def test_set_guardian__owner__new_guardian_can_pause_old_cannot(proto, trader):
    with boa.env.prank(proto.governance):
        proto.ch.set_guardian(trader)
    assert type(proto.ch.get_logs()[-1]).__name__ == "GuardianSet"
    with boa.env.prank(proto.guardian), boa.reverts("clearing: not guardian"):
        proto.ch.set_paused(True)
    with boa.env.prank(trader):
        proto.ch.set_paused(True)
    assert proto.ch.paused()


def test_set_guardian__stranger__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.ch.set_guardian(trader)
