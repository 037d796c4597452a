"""Inflation, donation and share-less leftovers: the decimals offset (docs/solvency.md §2a).

Written as the attacker: seed a pool with one base unit, donate, then let a victim
deposit; or wait for the last LP to leave value behind and be the first one back in.
"""

import boa
import pytest

from ringfence.risk_table import deploy_protocol

ATTACKER = boa.env.generate_address("attacker")


def _emptied(decimals):
    """The whole protocol with the `lp` role's shares redeemed: supply 0, no open book."""
    proto = deploy_protocol(decimals=decimals)
    with boa.env.prank(proto.lp):
        proto.pool.redeem(proto.pool.balanceOf(proto.lp), proto.lp, proto.lp)
    assert proto.pool.totalSupply() == 0
    return proto


@pytest.fixture(scope="module", params=[6, 18], ids=["6dp", "18dp"])
def empty(request):
    return _emptied(request.param)


def _deposit(proto, who, amount):
    proto.token.mint(who, amount)
    with boa.env.prank(who):
        proto.token.approve(proto.pool.address, amount)
        return proto.pool.deposit(amount, who)


def _exit(proto, who):
    """Redeem every share `who` holds; returns the base units paid."""
    with boa.env.prank(who):
        return proto.pool.redeem(proto.pool.balanceOf(who), who, who)


def _one_share_price(proto):
    """Base units one share is worth, rounded up: a deposit's rounding loss is below it."""
    return proto.pool.totalAssets() // (proto.pool.totalSupply() + 10**6) + 1


def test_decimals__token_plus_six(empty):
    assert empty.pool.decimals() == empty.token.decimals() + 6


def test_fresh_pool__mints_a_million_shares_per_base_unit(empty):
    leftover = empty.pool.totalAssets()
    assert leftover < 10  # what the last LP's rounding left
    victim = boa.env.generate_address("victim")
    amount = empty.units(1_000)
    shares = _deposit(empty, victim, amount)
    assert shares == amount * 10**6 // (leftover + 1)


@pytest.mark.parametrize("donated", [1, 10**3, 10**6])  # whole quote units
def test_seed_and_donate__victim_keeps_its_deposit__attacker_pays(empty, donated):
    """The classic inflation attack: 1 base unit of seed, a donation, then a victim."""
    proto = empty
    victim = boa.env.generate_address("victim")
    spent = 1 + proto.units(donated)
    _deposit(proto, ATTACKER, 1)
    proto.token.mint(ATTACKER, proto.units(donated))
    with boa.env.prank(ATTACKER):
        proto.token.transfer(proto.pool.address, proto.units(donated))
    price = _one_share_price(proto)
    amount = proto.units(100_000)
    shares = _deposit(proto, victim, amount)
    assert shares > 0
    back = proto.pool.previewRedeem(shares)
    assert amount - price <= back <= amount  # at most one share's price lost to rounding
    assert _exit(proto, ATTACKER) < spent  # the donation is not recovered


def test_share_less_leftover__next_depositor_loses_at_most_a_rounding_unit(empty):
    """Value in a pool without shares (a donation after the last LP left) is not taken by
    the next depositor's shares, nor does it take from them: it stays with the virtual
    shares. Before the offset, one virtual share made a 50,000 depositor lose 10,675 of a
    28,649 leftover (reviews/attack-lp-2026-12-04/a10)."""
    proto = empty
    leftover = proto.units(28_649)
    proto.token.mint(proto.pool.address, leftover)  # the donation: no shares minted
    price = _one_share_price(proto)
    assert price <= leftover // 10**6 + 1
    victim = boa.env.generate_address("victim")
    amount = proto.units(50_000)
    shares = _deposit(proto, victim, amount)
    back = proto.pool.previewRedeem(shares)
    assert amount - price <= back <= amount
    assert _exit(proto, victim) == back


def test_share_less_leftover__first_depositor_back_takes_none_of_it(empty):
    """The attacker waits for a leftover, deposits first, lets ten victims of ordinary sizes
    deposit after it, then leaves: it gains at most the victims' rounding, never the
    leftover; each victim loses at most one share's price."""
    proto = empty
    leftover = proto.units(28_649)
    proto.token.mint(proto.pool.address, leftover)
    stake = 3 * (proto.pool.totalAssets() + 1)  # the pre-offset attack: three whole shares
    _deposit(proto, ATTACKER, stake)
    worst_rounding = 0
    victims = []
    for i in range(10):
        victim = boa.env.generate_address(f"victim{i}")
        amount = proto.units(30_000 + 17_011 * i) + i
        price = _one_share_price(proto)
        back = proto.pool.previewRedeem(_deposit(proto, victim, amount))
        assert amount - price <= back <= amount
        worst_rounding += price
        victims.append((victim, amount))
    gained = _exit(proto, ATTACKER) - stake
    assert gained <= worst_rounding
    assert gained < leftover // 10**4  # under 0.01 % of the leftover
    for victim, amount in victims:
        assert amount - _exit(proto, victim) <= worst_rounding
