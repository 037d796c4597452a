"""A14: quorum 2, and exactly two fresh spot reports (a third signer is offline, or only two
are registered, as on sepolia with quorum 2). The spot median of an even count is the MEAN
of the middle two, so ONE signer (below quorum: untrusted by SPEC 4.1) reporting 1 wei
drags the median to half the honest price: the published spot moves a full band (-20 %)
in one report, the breaker holds (closes and LP flows revert), and healthy vaults are
liquidated at the moved price. Across a window boundary: two bands (-36 %) in 1 second."""
from proto_real import *

proto, feed = deploy(n_signers=3, quorum=2)
E = proto.expiry
trader, adv = boa.env.generate_address("trader"), boa.env.generate_address("adv")
fund(proto, trader, 100_000); fund(proto, adv, 100_000)
victims = [open_vault(proto, trader, [(K, False, -10)], c) for K, c in ((2000, 6_000), (1800, 4_000))]
print("victims healthy:", [not proto.view.is_liquidatable(p) for p in victims])
boa.env.time_travel(seconds=MAX_AGE + 1)  # signer 2's reports are now stale (offline)
print("honest 0 + evil 1:", feed.submit([feed.spot(2000 * WAD, 0), feed.spot(1, 1),
                                        feed.surf(E, 2000 * WAD, 0.8 * WAD, 0), feed.surf(E, 2000 * WAD, 0.8 * WAD, 1)]))
b = proto.oracle.breaker(ETH)
print(f"published {proto.oracle.price(ETH)/1e18:,.0f}, median {b.median/1e18:,.0f}, held {b.held}")
print("victims liquidatable:", [proto.view.is_liquidatable(p) for p in victims])
f0 = proto.ch.free_balance(adv)
with boa.env.prank(adv):
    n = proto.ch.liquidate_many(victims)
print(f"liquidated {n}; adversary rewards {(proto.ch.free_balance(adv) - f0)/1e6:,.2f}")
with boa.env.prank(proto.lp), boa.reverts("pool: breaker held"):
    proto.pool.redeem(10**6, proto.lp, proto.lp)
print("LP redeem reverts: pool: breaker held")
boa.env.time_travel(seconds=MAX_AGE)  # next window: the same two signers again
print("next window:", feed.submit([feed.spot(2000 * WAD, 0), feed.spot(1, 1)]))
print(f"published {proto.oracle.price(ETH)/1e18:,.0f} (true price 2,000), held {proto.oracle.breaker_held(ETH)}; "
      f"victims liquidatable: {[proto.view.is_liquidatable(p) for p in victims if proto.view.position(p).legs]}")
