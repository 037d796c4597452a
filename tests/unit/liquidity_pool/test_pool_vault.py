"""LiquidityPool: ERC-4626 over the quote token, NAV including traders' open P&L."""

import boa
import pytest

from ringfence.paths import contract_path
from ringfence.risk_table import ETH, WAD, clearing_house_deployer, pool_deployer


def _provide(proto, who, amount):
    """Deposit, instantly on an empty book, by a request executed LP_DELAY later otherwise."""
    proto.token.mint(who, amount)
    return proto.lp_deposit(who, amount)


def _short_call(proto, trader, size=10, collateral=5_000):
    proto.fund(trader, proto.units(100_000))
    with boa.env.prank(trader):
        return proto.ch.open_position(
            [(proto.series[(2000, True)], -size * WAD)],
            proto.units(collateral),
            proto.units(10_000),
        )


def test_deposit__fresh_pool_share_price__one_to_one(proto, depositor):
    shares = _provide(proto, depositor, proto.units(1_000))
    assert shares == proto.units(1_000) * 10**6  # share decimals = token's + 6
    assert proto.pool.balanceOf(depositor) == shares
    assert proto.pool.totalAssets() == proto.units(10_001_000)


def test_deposit__zero__reverts(proto, depositor):
    with boa.env.prank(depositor), boa.reverts("pool: zero shares"):
        proto.pool.deposit(0, depositor)


def test_total_assets__open_trades__count_traders_unrealised_pnl(proto, trader):
    cash = proto.pool.cash()
    _short_call(proto, trader)
    liability = proto.pool.liability()
    assert liability < 0  # the spread the trader paid through the entry price
    assert proto.pool.totalAssets() == cash + (-liability) // 10**12
    proto.oracle.set_price(ETH, 2300 * WAD)  # the short call loses: the pool gains
    assert proto.pool.totalAssets() > cash + proto.units(1_500)
    proto.oracle.set_price(ETH, 1700 * WAD)  # the short call wins: the pool owes
    liability = proto.pool.liability()
    assert liability > 0
    assert proto.pool.totalAssets() == cash - (liability + 10**12 - 1) // 10**12


def test_deposit__after_pool_gain__fewer_shares(proto, trader, depositor):
    _short_call(proto, trader)
    proto.oracle.set_price(ETH, 2300 * WAD)
    shares = _provide(proto, depositor, proto.units(1_000))
    assert shares < proto.units(1_000) * 10**6
    assert proto.pool.previewRedeem(shares) <= proto.units(1_000)  # no free lunch


def test_redeem__round_trip__never_returns_more(proto18, depositor):
    proto = proto18
    amount = 10**18 + 7
    shares = _provide(proto, depositor, amount)
    with boa.env.prank(depositor):
        out = proto.pool.redeem(shares, depositor, depositor)
    assert out <= amount
    assert proto.token.balanceOf(depositor) == out


def test_redeem_request__above_free_cash__pays_the_free_cash_returns_the_rest(proto, trader):
    _short_call(proto, trader, size=100, collateral=30_000)
    required = proto.pool.required_cash()
    assert required == proto.units(40_000)  # 200,000 of strike notional / 5
    free = proto.pool.free_cash()
    assert free == proto.pool.cash() - required
    assert proto.pool.maxWithdraw(proto.lp) == 0  # the book is open: requests only
    with boa.env.prank(proto.lp), boa.reverts("pool: book open, use a request"):
        proto.pool.withdraw(free, proto.lp, proto.lp)
    everything = proto.pool.balanceOf(proto.lp)
    with boa.env.prank(proto.lp):
        request_id = proto.pool.request_redeem(everything, proto.lp)
    boa.env.time_travel(seconds=proto.pool.LP_DELAY())
    # the request set aside what the free cash allowed when it was made
    reserved = proto.pool.requests(request_id).reserved
    assert reserved == proto.pool.reserved_assets() > 0 and proto.pool.free_cash() == 0
    free = proto.pool.free_cash() + reserved
    # a request never waits (waiting was a standing option on the timing): the free cash
    # now, the shares it does not buy back to the LP; the cash backing the call stays
    paid = proto.pool.execute_request(request_id)
    assert paid == free == proto.token.balanceOf(proto.lp)
    assert proto.pool.cash() == required
    assert proto.pool.balanceOf(proto.lp) == proto.pool.totalSupply() > 0
    assert proto.pool.balanceOf(proto.pool.address) == 0
    assert proto.pool.requests(request_id).mature == 0


def test_book__not_clearing_house__reverts(proto, trader):
    with boa.env.prank(trader), boa.reverts("pool: not clearing house"):
        proto.pool.book([], 0, 1, trader)


def test_total_assets__stale_oracle_with_open_trades__reverts(proto, trader, depositor):
    _short_call(proto, trader)
    proto.oracle.set_stale(ETH, True)
    with boa.reverts("oracle: stale price"):
        proto.pool.totalAssets()
    proto.token.mint(depositor, 100)
    with boa.env.prank(depositor):
        proto.token.approve(proto.pool.address, 100)
        with boa.reverts("oracle: stale price"):
            proto.pool.request_deposit(100, depositor)


def test_mint__exact_shares__charges_rounded_up_assets(proto, depositor):
    proto.token.mint(depositor, proto.units(10))
    with boa.env.prank(depositor):
        proto.token.approve(proto.pool.address, proto.units(10))
        assets = proto.pool.mint(12_345, depositor)
    assert assets >= proto.pool.convertToAssets(12_345)
    assert proto.pool.balanceOf(depositor) == 12_345


def test_deploy__asset_not_the_clearing_house_token__reverts(proto):
    other = boa.load(str(contract_path("mocks/fee_token_mock.vy")), 6)
    with boa.reverts("pool: asset mismatch"):
        pool_deployer().deploy(
            other.address, proto.ch.address, proto.registry.address, proto.engine.address, "X", "X"
        )


@pytest.fixture
def fee_pool(proto):
    token = boa.load(str(contract_path("mocks/fee_token_mock.vy")), 6)
    ch = clearing_house_deployer().deploy(
        token.address, proto.engine.address, proto.registry.address, 0
    )
    return token, pool_deployer().deploy(
        token.address, ch.address, proto.registry.address, proto.engine.address, "Fee LP", "fLP"
    )


def test_deposit__fee_on_transfer_token__reverts(fee_pool, depositor):
    token, pool = fee_pool
    token.mint(depositor, 10_000)
    with boa.env.prank(depositor):
        token.approve(pool.address, 10_000)
        with boa.reverts("pool: fee-on-transfer token"):
            pool.deposit(10_000, depositor)
    assert token.balanceOf(depositor) == 10_000


def test_max_redeem__utilised_empty_book__capped_by_free_cash(proto, trader):
    # claims make required cash without an open leg: instant redemptions, capped
    _short_call(proto, trader, size=100, collateral=30_000)
    assert proto.pool.maxRedeem(proto.lp) == 0  # open book: requests only
    with boa.env.prank(proto.lp), boa.reverts("pool: book open, use a request"):
        proto.pool.redeem(1, proto.lp, proto.lp)
    with boa.env.prank(trader):
        proto.ch.close_position(proto.ch.next_position_id() - 1, proto.units(100_000))
    assert proto.pool.maxRedeem(proto.lp) == proto.pool.balanceOf(proto.lp)
