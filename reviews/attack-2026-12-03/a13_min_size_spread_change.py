"""A13: risk-parameter changes at their code bounds against live vaults: min_size raised to
100 units (vaults of 0.5 and 150 units live), spread_vol to 0.10, rate to 1.0. Does
close/liquidate still work (SPEC #3, #10), and what does a close cost?"""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "clearing_house"))
import boa
from ch_helpers import open_vault
from ringfence.risk_table import DEFAULT_PARAMS, ETH, WAD, params_tuple, deploy_protocol

proto = deploy_protocol()
t = boa.env.generate_address("t"); liq = boa.env.generate_address("liq")
proto.fund(t, proto.units(10_000_000))
small = open_vault(proto, t, [(2000, True, -0.5)], 400)
big = open_vault(proto, t, [(2000, True, -150), (2200, True, 150)], 20_000)
lng = open_vault(proto, t, [(2400, True, 10)], 1_000)
with boa.env.prank(proto.governance):
    proto.registry.set_risk_params(ETH, params_tuple({**DEFAULT_PARAMS, "min_size": 100 * WAD,
                                                      "spread_vol": 10**17, "rate": WAD}))
boa.env.time_travel(seconds=86_400)
proto.oracle.set_vol(ETH, proto.expiry, 8 * 10**17)
proto.oracle.set_price(ETH, 2000 * WAD)
proto.registry.apply_risk_params(ETH)
for label, pid in (("long 10 2400C", lng),):
    with boa.env.anchor():
        with boa.env.prank(t):
            pnl = proto.ch.close_position(pid, 2**256 - 1)
        print(f"{label}: close pnl {pnl/1e18:,.2f}")
proto.oracle.set_price(ETH, 2600 * WAD)
for label, pid in (("small short 0.5", small), ("big spread 150", big)):
    print(label, "liquidatable", proto.view.is_liquidatable(pid), end="; ")
    with boa.env.prank(liq):
        try:
            frac = proto.ch.liquidate(pid)
            print("liquidated fraction", frac / 1e18, "legs left", [l.size / 1e18 for l in proto.view.position(pid).legs])
        except Exception as e:
            import re; m = re.search(r"(clearing|pool|oracle|risk|margin)[^\n'\">]*", str(e)); print("REVERT", m.group(0) if m else repr(e)[:200])
