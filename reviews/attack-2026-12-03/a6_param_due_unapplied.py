"""A6: a queued risk-parameter change that is due but not applied stays pending forever;
anyone applies it at the moment of his choosing. A vault opened after `effective_at` (the
chain still enforces the OLD parameters at opening, and `risk_params` returns the old
ones) is made liquidatable in the same transaction by apply_risk_params + liquidate.
Also: a queued change can sit due for months and be applied in the same block as a crash.
Uses the oracle mock (deploy_protocol)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "clearing_house"))
import boa
from ch_helpers import open_vault
from ringfence.risk_table import DEFAULT_PARAMS, ETH, params_tuple, deploy_protocol, WAD

TIGHT = params_tuple({**DEFAULT_PARAMS, "spot_shock": 5 * 10**17, "crash_factor": 3 * 10**18,
                      "vol_up": 4 * 10**18, "im_factor": 3 * 10**18, "min_short_margin": 5 * 10**17})
proto = deploy_protocol()
trader, adv = boa.env.generate_address("trader"), boa.env.generate_address("adv")
proto.fund(trader, proto.units(100_000))
with boa.env.prank(proto.governance):
    proto.registry.set_risk_params(ETH, TIGHT)
_, eff = proto.registry.pending_risk_params(ETH)
boa.env.time_travel(seconds=eff - boa.env.evm.patch.timestamp + 30 * 86400 // 2)  # 16 days later, still unapplied
proto.oracle.set_price(ETH, 2000 * WAD); proto.oracle.set_vol(ETH, proto.expiry, 8 * 10**17)
print("pending still:", proto.registry.pending_risk_params(ETH)[1] != 0,
      "current im_factor", proto.registry.risk_params(ETH)[7] / 1e18)
pid = open_vault(proto, trader, [(2000, True, -1)], 600)
e, im, mm = proto.ch.health(pid)
print(f"new vault (opened at 1.x IM under the live params): equity {e/1e18:.0f} IM {im/1e18:.0f} MM {mm/1e18:.0f}")
with boa.env.prank(adv):
    proto.registry.apply_risk_params(ETH)
    e, im, mm = proto.ch.health(pid)
    print(f"same block, after anyone's apply: equity {e/1e18:.0f} MM {mm/1e18:.0f} liquidatable={proto.view.is_liquidatable(pid)}")
    f0 = proto.ch.free_balance(adv)
    frac = proto.ch.liquidate(pid)
    print("fraction closed", frac / 1e18, "adversary liquidation reward:", (proto.ch.free_balance(adv) - f0) / 1e6,
          "vault collateral left", proto.view.position(pid).collateral / 1e6)
