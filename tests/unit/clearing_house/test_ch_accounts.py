"""Free balances: deposit, withdraw, fund_insurance; fee-on-transfer and failing tokens."""

import boa
import pytest
from ch_helpers import assert_conserved

from ringfence.paths import contract_path
from ringfence.risk_table import clearing_house_deployer


def test_deposit__approved_amount__credits_free_balance(proto, trader):
    amount = proto.units(1_234.5)
    proto.token.mint(trader, amount)
    with boa.env.prank(trader):
        proto.token.approve(proto.ch.address, amount)
        proto.ch.deposit(amount)
    logs = proto.ch.get_logs()
    assert type(logs[-1]).__name__ == "Deposited"
    assert (logs[-1].account, logs[-1].amount) == (trader, amount)
    assert proto.ch.free_balance(trader) == amount
    assert proto.token.balanceOf(trader) == 0
    assert_conserved(proto, [trader])


def test_deposit__zero__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("clearing: zero amount"):
        proto.ch.deposit(0)


def test_deposit__without_allowance__reverts_and_moves_nothing(proto, trader):
    proto.token.mint(trader, 100)
    with boa.env.prank(trader), boa.reverts():
        proto.ch.deposit(100)
    assert proto.ch.free_balance(trader) == 0
    assert proto.token.balanceOf(trader) == 100


def test_withdraw__part_of_free_balance__sends_tokens(funded, trader):
    before = funded.token.balanceOf(trader)
    with boa.env.prank(trader):
        funded.ch.withdraw(funded.units(40_000))
    assert type(funded.ch.get_logs()[-1]).__name__ == "Withdrawn"
    assert funded.token.balanceOf(trader) == before + funded.units(40_000)
    assert funded.ch.free_balance(trader) == funded.units(60_000)


def test_withdraw__above_free_balance__reverts(funded, trader):
    with boa.env.prank(trader), boa.reverts("clearing: insufficient free balance"):
        funded.ch.withdraw(funded.units(100_000) + 1)


def test_withdraw__zero__reverts(funded, trader):
    with boa.env.prank(trader), boa.reverts("clearing: zero amount"):
        funded.ch.withdraw(0)


def test_withdraw__while_paused__still_allowed(funded, trader):
    with boa.env.prank(funded.guardian):
        funded.registry.set_paused(True)
    with boa.env.prank(trader):
        funded.ch.withdraw(1)
    assert funded.ch.free_balance(trader) == funded.units(100_000) - 1


def test_fund_insurance__from_free_balance__grows_fund(funded, trader, other_trader):
    with boa.env.prank(trader):
        funded.ch.fund_insurance(funded.units(500))
    assert funded.ch.insurance_fund() == funded.units(500)
    assert funded.ch.free_balance(trader) == funded.units(99_500)
    assert_conserved(funded, [trader, other_trader])


def test_fund_insurance__above_free_balance__reverts(funded, trader):
    with boa.env.prank(trader), boa.reverts("clearing: insufficient free balance"):
        funded.ch.fund_insurance(funded.units(100_001))


@pytest.fixture
def fee_token_house(proto):
    """A clearing house whose quote token charges 1 % per transfer."""
    token = boa.load(str(contract_path("mocks/fee_token_mock.vy")), 6)
    ch = clearing_house_deployer().deploy(
        token.address, proto.engine.address, proto.registry.address, 0
    )
    return token, ch


def test_deposit__fee_on_transfer_token__reverts_and_moves_nothing(fee_token_house, trader):
    token, ch = fee_token_house
    token.mint(trader, 1_000)
    with boa.env.prank(trader):
        token.approve(ch.address, 1_000)
        with boa.reverts("clearing: fee-on-transfer token"):
            ch.deposit(1_000)
    assert token.balanceOf(trader) == 1_000
    assert ch.free_balance(trader) == 0


def test_deposit__token_returning_false__reverts(fee_token_house, trader):
    token, ch = fee_token_house
    token.set_mode(False, True)
    token.mint(trader, 1_000)
    with boa.env.prank(trader):
        token.approve(ch.address, 1_000)
        with boa.reverts("clearing: transfer failed"):
            ch.deposit(1_000)
    assert ch.free_balance(trader) == 0


def test_deploy__token_above_18_decimals__reverts(proto):
    token = boa.load(str(contract_path("mocks/fee_token_mock.vy")), 19)
    with boa.reverts("clearing: decimals > 18"):
        clearing_house_deployer().deploy(
            token.address, proto.engine.address, proto.registry.address, 0
        )


def test_withdraw__token_reenters_clearing_house__reverts_and_moves_nothing(
    fee_token_house, trader
):
    token, ch = fee_token_house
    token.set_mode(False, False)
    token.mint(trader, 1_000)
    with boa.env.prank(trader):
        token.approve(ch.address, 1_000)
        ch.deposit(1_000)
    token.set_reenter(ch.address)
    with boa.env.prank(trader), pytest.raises(boa.BoaError) as failure:
        ch.withdraw(500)
    # the re-entrant withdraw(1) hits the lock, which reverts without a reason (every
    # business check of the clearing house has one), and the outer call unwinds
    assert str(failure.value).count("ClearingHouse.withdraw") == 2
    assert "Revert(b'')" in str(failure.value)
    assert ch.free_balance(trader) == 1_000
    assert token.balanceOf(ch.address) == 1_000


def test_set_pool__second_time__reverts(proto):
    with boa.env.prank(proto.governance), boa.reverts("clearing: pool already set"):
        proto.ch.set_pool(proto.pool.address)


def test_set_pool__not_registry_owner__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("clearing: not owner"):
        proto.ch.set_pool(proto.pool.address)
