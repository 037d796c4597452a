"""open_position: futures-style entry at mark +- spread, margin checks, and every bad input."""

import boa
import pytest
from ch_helpers import assert_conserved, open_vault, set_spot

from ringfence.risk_table import ETH, WAD
from ringfence.spread import spread_per_unit


def _mark(proto, strike, is_call):
    sid = proto.series[(strike, is_call)]
    rate = proto.registry.risk_params(ETH).rate
    (mark,) = proto.engine.marks(ETH, [(strike * WAD, proto.expiry, is_call)], rate)
    return mark, sid


def test_open__short_call__debits_free_and_enters_below_mark(funded, trader, other_trader):
    mark, sid = _mark(funded, 2000, True)
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    logs = [type(e).__name__ for e in funded.ch.get_logs()]
    assert logs[-3:] == ["PositionOpened", "LegOpened", "VaultState"]
    state = funded.ch.get_logs()[-1]
    assert state.collateral == funded.units(1_000) and state.sizes == [-WAD, 0, 0, 0]
    pos = funded.view.position(pid)
    assert pos.owner == trader and pos.underlying == ETH
    assert pos.collateral == funded.units(1_000)
    (leg,) = pos.legs
    assert leg.series_id == sid and leg.size == -WAD
    params = funded.registry.risk_params(ETH)
    quoted = funded.engine.quote(ETH, [((2000 * WAD, funded.expiry, True), -WAD)], params.rate)
    spread = spread_per_unit(params.spread_vol, quoted.vegas[0], quoted.deltas[0], quoted.spot)
    # half a vol point of vega plus 0.5 % of the spot move its delta makes (ringfence.spread)
    assert mark - leg.entry_price == spread > 0
    equity, im, mm = funded.ch.health(pid)
    assert equity == funded.units(1_000) * 10**12 - (mark - leg.entry_price)
    assert im == mm * 125 // 100
    assert funded.ch.free_balance(trader) == funded.units(99_000)
    assert funded.pool.series_net_size(sid) == -WAD
    assert_conserved(funded, [trader, other_trader])


def test_open__long_put__enters_above_mark_and_mm_capped_at_value(funded, trader):
    mark, _ = _mark(funded, 1800, False)
    pid = open_vault(funded, trader, [(1800, False, 2)], 500)
    (leg,) = funded.view.position(pid).legs
    assert leg.entry_price > mark
    _, im, mm = funded.ch.health(pid)
    assert mm <= 2 * mark


def test_open__iron_condor_four_legs__nets_margin_below_sum_of_legs(funded, trader):
    legs = [(1600, False, 1), (1800, False, -1), (2200, True, -1), (2400, True, 1)]
    pid = open_vault(funded, trader, legs, 1_000)
    _, _, mm_pod = funded.ch.health(pid)
    singles = [open_vault(funded, trader, [leg], 1_000) for leg in legs]
    assert mm_pod < sum(funded.ch.health(p)[2] for p in singles)
    assert len(funded.view.position(pid).legs) == 4


def test_open__ids__never_reused_after_close(funded, trader):
    first = open_vault(funded, trader, [(2000, True, 1)], 500)
    with boa.env.prank(trader):
        funded.ch.close_position(first, funded.units(1_000))
    second = open_vault(funded, trader, [(2000, True, 1)], 500)
    assert second == first + 1
    assert funded.view.position(first).owner == "0x" + "00" * 20


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([], "clearing: no legs"),
        (
            [(1600, True, 1), (1800, True, 1), (2000, True, 1), (2200, True, 1), (2400, True, 1)],
            "clearing: too many legs",
        ),
        ([(2000, True, 1), (2000, True, -1)], "clearing: duplicate series"),
        ([(2000, True, 0)], "clearing: size below minimum"),
        ([(2000, True, 0.0005)], "clearing: size below minimum"),
        ([(2000, True, 2_000_000_000)], "clearing: size too large"),
    ],
)
def test_open__bad_legs__revert_and_move_nothing(funded, trader, legs, message):
    with boa.reverts(message):
        open_vault(funded, trader, legs, 1_000)
    assert funded.ch.free_balance(trader) == funded.units(100_000)
    assert funded.ch.next_position_id() == 1


def test_open__unlisted_series__reverts(funded, trader):
    with boa.env.prank(trader), boa.reverts("clearing: unlisted series"):
        funded.ch.open_position([(999, WAD)], funded.units(100), funded.units(100))


def test_open__mixed_underlyings__reverts(funded, trader):
    btc = b"BTC".ljust(32, b"\0")
    with boa.env.prank(funded.governance):
        funded.registry.set_risk_params(btc, funded.registry.risk_params(ETH))
        sid = funded.registry.list_series(btc, 30_000 * WAD, funded.expiry, True, 100 * WAD)
    legs = [(funded.series[(2000, True)], WAD), (sid, WAD)]
    with boa.env.prank(trader), boa.reverts("clearing: mixed underlyings"):
        funded.ch.open_position(legs, funded.units(1_000), funded.units(1_000))


def test_open__expired_series__reverts(funded, trader):
    boa.env.time_travel(seconds=funded.expiry - boa.env.evm.patch.timestamp)
    with boa.reverts("clearing: series expired"):
        open_vault(funded, trader, [(2000, True, 1)], 1_000)


def test_open__collateral_below_initial_margin__reverts(funded, trader):
    legs = [(funded.series[(2000, True)], -WAD)]
    with boa.env.anchor():
        probe = open_vault(funded, trader, [(2000, True, -1)], 10_000)
        equity, im, _ = funded.ch.health(probe)
    cost = funded.units(10_000) * 10**12 - equity  # the spread, WAD
    need = -(-(im + cost) // 10**12)  # base units that leave equity >= IM, rounded up
    with boa.env.prank(trader):
        with boa.reverts("clearing: collateral below initial margin"):
            funded.ch.open_position(legs, need - 1, funded.units(1_000))
        pid = funded.ch.open_position(legs, need, funded.units(1_000))
    equity, im, _ = funded.ch.health(pid)
    assert equity >= im


def test_open__zero_collateral__reverts(funded, trader):
    with boa.reverts("clearing: collateral below initial margin"):
        open_vault(funded, trader, [(2000, True, 1)], 0)


def test_open__cost_above_max__reverts(funded, trader):
    with boa.reverts("clearing: cost above max"):
        open_vault(funded, trader, [(2000, True, -10)], 5_000, max_cost=funded.units(1))


def test_open__more_collateral_than_free__reverts(funded, trader):
    with boa.reverts("clearing: insufficient free balance"):
        open_vault(funded, trader, [(2000, True, -1)], 100_001)


def test_open__paused__reverts(funded, trader):
    with boa.env.prank(funded.guardian):
        funded.registry.set_paused(True)
    with boa.reverts("clearing: paused"):
        open_vault(funded, trader, [(2000, True, 1)], 1_000)


def test_open__stale_oracle__reverts(funded, trader):
    funded.oracle.set_stale(ETH, True)
    with boa.reverts("oracle: stale price"):
        open_vault(funded, trader, [(2000, True, 1)], 1_000)


def test_open__above_series_cap__reverts(funded, trader):
    with boa.env.prank(funded.governance):
        funded.registry.set_series_cap(funded.series[(2000, True)], 2 * WAD)
    open_vault(funded, trader, [(2000, True, -2)], 2_000)
    with boa.reverts("pool: open interest cap"):
        open_vault(funded, trader, [(2000, True, -1)], 2_000)
    # a trade that reduces the pool's exposure is always allowed
    open_vault(funded, trader, [(2000, True, 1)], 1_000)


def test_open__above_pool_utilisation__reverts(funded, trader):
    # 10M pool cash x 5 = 50M of strike notional: 30,000 units at 2000 is 60M
    with boa.env.prank(funded.governance):
        funded.registry.set_series_cap(funded.series[(2000, True)], 10**9 * WAD)
    funded.fund(trader, funded.units(100_000_000))
    with boa.reverts("pool: utilisation"):
        open_vault(funded, trader, [(2000, True, 30_000)], 50_000_000)


def test_open__after_spot_move__marks_follow_oracle(funded, trader):
    set_spot(funded, 2500)
    pid = open_vault(funded, trader, [(2000, True, 1)], 1_000)
    (leg,) = funded.view.position(pid).legs
    assert leg.entry_price > 500 * WAD


def test_open__reducing_trade_when_over_utilised__allowed(funded, trader):
    with boa.env.prank(funded.governance):
        funded.registry.set_series_cap(funded.series[(2000, True)], 10**9 * WAD)
    funded.fund(trader, funded.units(100_000_000))
    open_vault(funded, trader, [(2000, True, 20_000)], 40_000_000)  # 40M of 50M allowed
    with boa.env.prank(funded.governance):
        funded.registry.set_max_utilisation(WAD)  # now 40M locked > 1 x 10M cash
    with boa.reverts("pool: utilisation"):
        open_vault(funded, trader, [(2200, True, 1)], 1_000)
    open_vault(funded, trader, [(2000, True, -1_000)], 1_000_000)  # reduces exposure


def test_open__collateral_above_the_vault_word__reverts(funded, trader):
    """A vault's collateral shares its storage word with owner and leg count: 93 bits."""
    too_much = 2**93
    funded.fund(trader, too_much)
    with boa.env.prank(trader), boa.reverts("position_store: collateral"):
        funded.ch.open_position([(funded.series[(2000, True)], 10**18)], too_much, too_much)


def test_add_collateral__past_the_vault_word__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, 1)], 1_000)
    funded.fund(trader, 2**93)
    with boa.env.prank(trader), boa.reverts("position_store: collateral"):
        funded.ch.add_collateral(pid, 2**93 - funded.units(1_000) + 1)
    with boa.env.prank(trader):
        funded.ch.add_collateral(pid, 2**93 - 1 - funded.units(1_000))
    assert funded.view.position(pid).collateral == 2**93 - 1


@pytest.mark.parametrize("size", [-WAD - 7, -(10**16) - 1, 3 * WAD + 1])
def test_open__collateral_at_the_im_boundary__health_agrees_to_the_wei(proto18, trader, size):
    """With 18 decimals one base unit is one wei of equity: the open check must compute the
    vault's equity as `health` does (each leg's spread rounded against the trader), or a
    vault opened at exactly its IM reads one wei below it. Found by the fuzz machine."""
    proto18.fund(trader, proto18.units(100_000))
    legs = [(proto18.series[(2000, True)], size)]
    with boa.env.anchor():
        with boa.env.prank(trader):
            probe = proto18.ch.open_position(legs, proto18.units(10_000), 2**256 - 1)
        equity, im, _ = proto18.ch.health(probe)
    need = im + proto18.units(10_000) - equity  # base units (scale 1) that leave equity == IM
    with boa.env.prank(trader):
        with boa.reverts("clearing: collateral below initial margin"):
            proto18.ch.open_position(legs, need - 1, 2**256 - 1)
        pid = proto18.ch.open_position(legs, need, 2**256 - 1)
    equity, im, _ = proto18.ch.health(pid)
    assert equity == im
