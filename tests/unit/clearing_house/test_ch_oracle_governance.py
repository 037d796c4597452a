"""No oracle governance action moves or freezes a live vault in the block it is taken (issue
16), on the real oracle: the attack review's owner added a signer of its own and relayed a
crash in the same block (median of two: the vault became liquidatable at once), and cut
`max_age` to 60 s (every vault frozen a minute later: close reverted `oracle: stale
price`). Both are now announced by the OracleGovernor and wait a day."""

import boa
import pytest
from ch_helpers import open_vault
from eth_account import Account
from eth_utils import keccak

from ringfence.bench._real_oracle import MAX_AGE, SPOT_CAP_BPS, VOL_CAP, deploy_protocol_real_oracle
from ringfence.oracle_types import Report, sign_report
from ringfence.risk_table import ETH, oracle_governor

DAY = 86_400


@pytest.fixture(scope="module")
def real():
    """The protocol on the real oracle (its governor owned by the protocol's governance)."""
    return deploy_protocol_real_oracle()


@pytest.fixture
def vault(real, trader):
    """A short 2,000 call, healthy: a doubling of spot would make it bad debt."""
    proto = real.proto
    proto.fund(trader, proto.units(100_000))
    pid = open_vault(proto, trader, [(2000, True, -10)], 8_000)
    equity, im, _ = proto.ch.health(pid)
    assert equity >= im
    return pid


def test_own_signer_and_crash_in_one_block__report_rejected_vault_untouched(
    real, vault, liquidator
):
    proto = real.proto
    governor = oracle_governor(proto.oracle)
    attacker = Account.from_key(keccak(text="owner's own signer"))
    with boa.env.prank(governor.owner()):
        governor.add_signer(attacker.address)  # queued: the oracle has a price
    assert not proto.oracle.is_signer(attacker.address)
    spot = proto.oracle.price(ETH)
    boa.env.time_travel(seconds=1)
    before = proto.ch.health(vault)
    pump = Report(ETH, 0, spot * 2, observed_at=boa.env.evm.patch.timestamp)
    signature = sign_report(pump, attacker.key, boa.env.evm.patch.chain_id, proto.oracle.address)
    assert proto.oracle.submit([pump.as_tuple()], [signature]) == 0
    assert proto.oracle.price(ETH) == spot
    assert proto.ch.health(vault) == before
    with boa.env.prank(liquidator), boa.reverts("clearing: healthy position"):
        proto.ch.liquidate(vault)


@pytest.mark.parametrize(
    ("max_age", "cap_bps", "vol_cap"),
    [(60, SPOT_CAP_BPS, VOL_CAP), (MAX_AGE, 1, VOL_CAP)],
    ids=["max_age 60 s", "band 1 bps"],
)
def test_feed_params_cut__vault_closes_within_the_day(
    real, vault, trader, max_age, cap_bps, vol_cap
):
    proto = real.proto
    governor = oracle_governor(proto.oracle)
    with boa.env.prank(governor.owner()):
        governor.set_feed_params(ETH, max_age, cap_bps, vol_cap)
    # an hour later, a 5 % move: published in full (the old band), read fresh (the old max_age)
    boa.env.time_travel(seconds=3_600)
    real.feed.set_price(ETH, proto.oracle.price(ETH) * 105 // 100)
    assert not proto.oracle.breaker_held(ETH)
    boa.env.time_travel(seconds=600)
    with boa.env.prank(trader):
        proto.ch.close_position(vault, 2**256 - 1)
    assert proto.view.position(vault).legs == []
    # the change applies only after the day, by anyone
    with boa.reverts("oracle: change not due"):
        governor.apply_feed_params(ETH)
    boa.env.time_travel(seconds=DAY)
    governor.apply_feed_params(ETH)
    assert proto.oracle.feed(ETH).max_age == max_age
