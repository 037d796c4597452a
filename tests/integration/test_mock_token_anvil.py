"""The Ape + anvil path: compile with ape-vyper, deploy and transact on a real node."""

import ape
import pytest


@pytest.fixture(scope="module", params=[6, 18], ids=["usdc6", "dai18"])
def quote_token(project, deployer, request):
    return deployer.deploy(project.MockToken, "Mock USD", "mUSD", request.param)


def test_provider__is_anvil_1_7_1(chain):
    provider = chain.provider
    assert provider.name == "foundry"
    version = provider.make_request("web3_clientVersion", [])
    assert version.startswith("anvil/v1.7.1"), version


def test_deploy__on_anvil__has_code_and_decimals(chain, quote_token):
    assert len(chain.provider.get_code(quote_token.address)) > 0
    assert quote_token.decimals() in (6, 18)


def test_transfer__between_roles__moves_balance_and_emits(quote_token, trader, lp):
    unit = 10 ** quote_token.decimals()
    quote_token.mint(trader, 1_000 * unit, sender=lp)
    before_lp = quote_token.balanceOf(lp)

    receipt = quote_token.transfer(lp, 250 * unit, sender=trader)

    assert receipt.status == 1
    assert quote_token.balanceOf(trader) == 750 * unit
    assert quote_token.balanceOf(lp) == before_lp + 250 * unit
    (event,) = receipt.events
    assert event.event_name == "Transfer"
    assert (event.sender, event.receiver, event.value) == (trader, lp, 250 * unit)


def test_transfer__over_balance__reverts_with_reason(quote_token, trader, liquidator):
    balance = quote_token.balanceOf(liquidator)
    with ape.reverts("erc20: transfer amount exceeds balance"):
        quote_token.transfer(trader, balance + 1, sender=liquidator)
