"""A9: the held state blocks close, but liquidation goes on at the clamped price. An
adversary with a mirrored pair (long puts in vault L, short puts in vault S sized just
above IM) sees a crash beyond the band: S is liquidated (by himself) at the clamped,
lagging price while L keeps its exposure; the published price then ramps to the median
(breaker(u).median shows where it is going) and L closes there. Compared with the same
pair when the crash is published at once (no clamp). Oracle mock."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "clearing_house"))
import boa
from ch_helpers import open_vault
from ringfence.risk_table import ETH, WAD, deploy_protocol

def run(clamped: bool, crash=1200, clamp=1600, size=50, coll=None):
    with boa.env.anchor():
        proto = deploy_protocol()
        adv = boa.env.generate_address("adv")
        proto.fund(adv, proto.units(1_000_000))
        free0 = proto.ch.free_balance(adv)
        L = open_vault(proto, adv, [(1800, False, size)], 10_000)
        with boa.env.anchor():
            probe = open_vault(proto, adv, [(1800, False, -size)], 50_000)
            eq, im, mm = proto.ch.health(probe)
        cost = proto.units(50_000) * 10**12 - eq
        S = open_vault(proto, adv, [(1800, False, -size)], -(-(im * 105 // 100 + cost) // 10**12) // 10**6)
        pool0 = proto.pool.totalAssets()
        n_liq = 0
        if clamped:
            for p in range(1960, clamp - 1, -40):  # the pusher's steps until the band's edge
                proto.oracle.set_price(ETH, p * WAD)
            proto.oracle.set_breaker_held(ETH, True)
            with boa.env.prank(adv):
                while proto.view.is_liquidatable(S) and len(proto.view.position(S).legs):
                    proto.ch.liquidate(S); n_liq += 1
            # ramp to the median over the next windows
            proto.oracle.set_price(ETH, crash * WAD)
            proto.oracle.set_breaker_held(ETH, False)
        else:
            proto.oracle.set_price(ETH, crash * WAD)
        with boa.env.prank(adv):
            while len(proto.view.position(S).legs) and proto.view.is_liquidatable(S):
                proto.ch.liquidate(S); n_liq += 1
            proto.ch.close_position(L, 2**256 - 1)
            if len(proto.view.position(S).legs):
                proto.ch.close_position(S, 2**256 - 1)
        print(f"{'clamped at '+str(clamp) if clamped else 'published at once'}: crash 2000 -> {crash}; "
              f"liquidations of S: {n_liq}; adversary net {(proto.ch.free_balance(adv) - free0)/1e6:+,.2f}; "
              f"pool NAV change {(proto.pool.totalAssets() - pool0)/1e6:+,.2f}; insurance {proto.ch.insurance_fund()/1e6:,.2f}")

for crash in (1500, 1200):
    run(False, crash)
    run(True, crash)
