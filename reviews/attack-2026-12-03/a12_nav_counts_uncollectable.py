"""A12 (SPEC #11, documented as not implemented in docs/solvency.md §5): NAV counts a
trader's loss beyond his vault's collateral as a receivable. After a gap, an LP redeems at
the inflated NAV before the keeper liquidates; the bad debt then lands on the LPs who stayed.
Oracle mock (a gap published at once, as after governance widens the band, or a band of 50 %)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "clearing_house"))
import boa
from ch_helpers import open_vault
from ringfence.risk_table import ETH, WAD, deploy_protocol

proto = deploy_protocol(pool_cash=1_000_000)
pool, tok = proto.pool, proto.token
adv_lp = boa.env.generate_address("adv_lp")
tok.mint(adv_lp, proto.units(1_000_000))
with boa.env.prank(adv_lp):
    tok.approve(pool.address, 2**256 - 1)
    pool.deposit(proto.units(1_000_000), adv_lp)
trader = boa.env.generate_address("trader")
proto.fund(trader, proto.units(1_000_000))
with boa.env.anchor():
    probe = open_vault(proto, trader, [(2200, True, -500)], 900_000)
    eq, im, mm = proto.ch.health(probe)
cost = proto.units(900_000) * 10**12 - eq
pid = open_vault(proto, trader, [(2200, True, -500)], -(-(im + cost) // 10**18))
print("short 500 2200C, collateral", proto.view.position(pid).collateral / 1e6)
proto.oracle.set_price(ETH, 3000 * WAD)  # +50 % gap
e, im, mm = proto.ch.health(pid)
print(f"after the gap: vault equity {e/1e18:,.0f} (loss beyond collateral {-e/1e18:,.0f}); NAV {pool.totalAssets()/1e6:,.0f}; free cash {pool.free_cash()/1e6:,.0f}")
honest_before = pool.convertToAssets(pool.balanceOf(proto.lp))
shares = min(pool.balanceOf(adv_lp), pool.maxRedeem(adv_lp))
with boa.env.prank(adv_lp):
    got = pool.redeem(shares, adv_lp, adv_lp)
print(f"adversary LP redeems all his shares ({shares})  for {got/1e6:,.0f} at the NAV that counts the uncollectable loss")
with boa.env.prank(boa.env.generate_address("keeper")):
    proto.ch.liquidate(pid)
honest_after = pool.convertToAssets(pool.balanceOf(proto.lp))
print(f"after liquidation (bad debt realised): NAV {pool.totalAssets()/1e6:,.0f}; honest LP {honest_before/1e6:,.0f} -> {honest_after/1e6:,.0f}; "
      f"adversary's remaining shares worth {pool.convertToAssets(pool.balanceOf(adv_lp))/1e6:,.0f}")
print(f"had both LPs stayed, each would bear half the bad debt {-e/1e18/2:,.0f}")
