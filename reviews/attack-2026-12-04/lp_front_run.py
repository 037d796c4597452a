"""Issue 16's LP front-running (a5), measured on today's pool: an LP holding half of a
2,000,000 pool sees a report pending against a book of 600 long calls.

"instant" is what the old ERC-4626 redeem paid just before the report (the pre-report value
of the shares: what the adversary took); "request" is what `request_redeem` + LP_DELAY +
`execute_request` pays now; "stayed" is the shares' value after the report had the
adversary done nothing. Gain = proceeds - stayed. Run: .venv/bin/python
reviews/attack-2026-12-04/lp_front_run.py
"""

import boa

from ringfence.risk_table import ETH, WAD, deploy_protocol

proto = deploy_protocol(decimals=6, pool_cash=1_000_000)
pool = proto.pool
adversary = boa.env.generate_address("adversary")
trader = boa.env.generate_address("trader")
proto.token.mint(adversary, proto.units(1_000_000))
proto.lp_deposit(adversary, proto.units(1_000_000))
proto.fund(trader, proto.units(2_000_000))
for strike in (2000, 2200):
    with boa.env.prank(trader):
        proto.ch.open_position(
            [(proto.series[(strike, True)], 300 * WAD)], proto.units(200_000), proto.units(10**7)
        )
REPORTS = {
    "spot +0.5 %": lambda: proto.oracle.set_price(ETH, 2010 * WAD),
    "spot +15 %": lambda: proto.oracle.set_price(ETH, 2300 * WAD),
    "vol +19 points": lambda: proto.oracle.set_vol(ETH, proto.expiry, 99 * 10**16),
}
shares = pool.balanceOf(adversary)
print(f"{'report':<16}{'instant gain':>14}{'request gain':>14}")
for name, report in REPORTS.items():
    with boa.env.anchor():
        instant = pool.convertToAssets(shares)  # the old redeem, just before the report
        with boa.env.prank(adversary):
            request_id = pool.request_redeem(shares, adversary)
        report()
        boa.env.time_travel(seconds=pool.LP_DELAY())
        with boa.env.anchor():
            stayed = pool.convertToAssets(shares)
        paid = pool.execute_request(request_id)
    print(f"{name:<16}{(instant - stayed) / 1e6:>14,.2f}{(paid - stayed) / 1e6:>14,.2f}")
