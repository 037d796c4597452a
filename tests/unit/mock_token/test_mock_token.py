"""MockToken: snekmate's ERC-20 with configurable decimals and an open mint."""

import boa
import pytest
from hypothesis import given
from hypothesis import strategies as st

MAX_MINT = 10**30
ZERO = "0x" + "00" * 20


def test_deploy__decimals__as_configured(quote_token):
    assert quote_token.decimals() in (6, 18)
    assert quote_token.name() == "Mock USD"
    assert quote_token.symbol() == "mUSD"
    assert quote_token.totalSupply() == 0


def test_deploy__decimals_above_36__reverts(mock_token_deployer):
    with boa.reverts("mock_token: decimals > 36"):
        mock_token_deployer.deploy("Bad", "BAD", 37)


def test_mint__anyone__credits_receiver_and_supply(quote_token, trader, lp):
    with boa.env.prank(lp):
        quote_token.mint(trader, 1_000)
    (log,) = quote_token.get_logs()
    assert type(log).__name__ == "Transfer"
    assert (log.sender, log.receiver, log.value) == (ZERO, trader, 1_000)
    assert quote_token.balanceOf(trader) == 1_000
    assert quote_token.totalSupply() == 1_000


def test_mint__above_cap__reverts(quote_token, trader):
    with boa.reverts("mock_token: mint too large"):
        quote_token.mint(trader, MAX_MINT + 1)


def test_mint__to_zero_address__reverts(quote_token):
    with boa.reverts("erc20: mint to the zero address"):
        quote_token.mint(ZERO, 1)


def test_transfer__insufficient_balance__reverts(quote_token, trader, lp):
    quote_token.mint(trader, 10)
    with boa.env.prank(trader), boa.reverts("erc20: transfer amount exceeds balance"):
        quote_token.transfer(lp, 11)


def test_transfer_from__without_allowance__reverts(quote_token, trader, liquidator):
    quote_token.mint(trader, 10)
    with boa.env.prank(liquidator), boa.reverts("erc20: insufficient allowance"):
        quote_token.transferFrom(trader, liquidator, 1)


def test_transfer_from__with_allowance__moves_and_spends(quote_token, trader, liquidator):
    quote_token.mint(trader, 100)
    with boa.env.prank(trader):
        quote_token.approve(liquidator, 60)
    with boa.env.prank(liquidator):
        quote_token.transferFrom(trader, liquidator, 40)
    assert quote_token.balanceOf(trader) == 60
    assert quote_token.balanceOf(liquidator) == 40
    assert quote_token.allowance(trader, liquidator) == 20


@pytest.mark.parametrize("decimals", [0, 6, 8, 18, 36])
def test_deploy__any_decimals_up_to_36__accepted(mock_token_deployer, decimals):
    assert mock_token_deployer.deploy("T", "T", decimals).decimals() == decimals


@given(
    mints=st.lists(st.integers(min_value=0, max_value=MAX_MINT), min_size=1, max_size=5),
    moved=st.integers(min_value=0, max_value=MAX_MINT),
)
def test_transfer__any_amounts__conserves_supply(mock_token_deployer, mints, moved):
    token = mock_token_deployer.deploy("T", "T", 18)
    a, b = boa.env.generate_address("a"), boa.env.generate_address("b")
    for amount in mints:
        token.mint(a, amount)
    supply = sum(mints)
    moved = min(moved, supply)
    with boa.env.prank(a):
        token.transfer(b, moved)
    assert token.balanceOf(a) + token.balanceOf(b) == token.totalSupply() == supply
    assert token.balanceOf(b) == moved
