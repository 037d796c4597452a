"""ChainlinkAdapter: an AggregatorV3Interface view of one spot feed that fails closed."""

import boa
import pytest
from oracle_helpers import BTC, ETH, ETH_SPOT, MAX_AGE, WAD, now, spot_report


@pytest.fixture
def adapter(adapter_deployer, oracle, governance):
    with boa.env.prank(governance):
        return adapter_deployer.deploy(oracle.address, ETH, "ETH / USD")


def test_metadata__deployed__decimals_description_version(adapter, oracle):
    assert adapter.decimals() == 18
    assert adapter.description() == "ETH / USD"
    assert adapter.version() == 1
    assert adapter.ORACLE() == oracle.address
    assert adapter.UNDERLYING() == ETH


def test_latest_round_data__fresh_feed__round_answer_and_times(adapter, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    observed = now()
    boa.env.time_travel(seconds=30)
    assert adapter.latestRoundData() == (1, ETH_SPOT, observed, observed, 1)


def test_latest_round_data__each_update__round_id_increments(adapter, relay, pusher):
    for step in range(3):
        relay.submit((spot_report(ETH_SPOT + step * WAD), pusher))
        boa.env.time_travel(seconds=1)
    round_id, answer, _, _, answered_in = adapter.latestRoundData()
    assert (round_id, answer, answered_in) == (3, ETH_SPOT + 2 * WAD, 3)


def test_latest_round_data__age_exactly_max_age__answers(adapter, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE)
    assert adapter.latestRoundData()[1] == ETH_SPOT


def test_latest_round_data__stale_feed__reverts(adapter, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=MAX_AGE + 1)
    with boa.reverts("oracle: stale price"):
        adapter.latestRoundData()


def test_latest_round_data__no_report_yet__reverts(adapter):
    with boa.reverts("oracle: no price"):
        adapter.latestRoundData()


def test_get_round_data__latest_round__same_as_latest(adapter, relay, pusher):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=1)
    relay.submit((spot_report(ETH_SPOT + WAD), pusher))
    assert adapter.getRoundData(2) == adapter.latestRoundData()


@pytest.mark.parametrize("round_id", [0, 1, 3])
def test_get_round_data__other_round__reverts(adapter, relay, pusher, round_id):
    relay.submit((spot_report(ETH_SPOT), pusher))
    boa.env.time_travel(seconds=1)
    relay.submit((spot_report(ETH_SPOT + WAD), pusher))
    with boa.reverts("chainlink: no data present"):
        adapter.getRoundData(round_id)


def test_constructor__unknown_feed__reverts(adapter_deployer, oracle):
    with boa.reverts("chainlink: unknown feed"):
        adapter_deployer.deploy(oracle.address, BTC, "BTC / USD")


def test_constructor__zero_oracle__reverts(adapter_deployer):
    with boa.reverts("chainlink: zero oracle"):
        adapter_deployer.deploy("0x" + "00" * 20, ETH, "ETH / USD")
