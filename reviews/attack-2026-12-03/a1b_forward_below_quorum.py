"""A1b: 3 signers, quorum 2. Two honest signers report spot 2,000 and the same 80 % smile
(ATM 80.0 / 80.4). The third signer (below quorum, untrusted by SPEC 4.1) reports an ATM vol
between them, so its WHOLE report is the median and becomes the surface -- including its
forward, which nothing bounds. Forward x e^1.5: every strike is read far on the left wing.
One block: healthy short vaults become liquidatable; a long vault closes at a profit."""
from proto_real import *

proto, feed = deploy(n_signers=3, quorum=2)
E = proto.expiry
trader, adv, liq = (boa.env.generate_address(n) for n in ("trader", "adv", "liq"))
fund(proto, trader, 100_000); fund(proto, adv, 100_000)
# honest trader: short 10 ATM calls at ~1.6x IM
victim = open_vault(proto, trader, [(2000, True, -10)], 4_000)
eq, im, mm = proto.ch.health(victim)
print(f"victim short 10x2000C: equity {eq/1e18:.0f} IM {im/1e18:.0f} MM {mm/1e18:.0f} liquidatable={proto.view.is_liquidatable(victim)}")
# adversary: long 10 ATM calls (and he will liquidate the victim)
longpid = open_vault(proto, adv, [(2000, True, 10)], 3_000)
free0 = proto.ch.free_balance(adv)
print("vol(2000) before", proto.oracle.vol(ETH, 2000 * WAD, E) / 1e16)

boa.env.time_travel(seconds=60)
t = now()
honest0 = feed.surf(E, 2000 * WAD, 0.800 * WAD, 0)
honest1 = feed.surf(E, 2000 * WAD, 0.804 * WAD, 1)
import math
evil = feed.surf(E, int(2000 * WAD * math.exp(1.5)), 0.802 * WAD, 2)
print("submit", feed.submit([feed.spot(2000 * WAD, 0), feed.spot(2000 * WAD, 1), honest0, honest1, evil]))
s = proto.oracle.surface(ETH, E)
print("published forward", s.forward / 1e18, "spot", proto.oracle.price(ETH) / 1e18,
      "vol(2000) after", proto.oracle.vol(ETH, 2000 * WAD, E) / 1e16)
eq, im, mm = proto.ch.health(victim)
print(f"victim: equity {eq/1e18:.0f} MM {mm/1e18:.0f} liquidatable={proto.view.is_liquidatable(victim)}")
with boa.env.prank(adv):
    proto.ch.liquidate(victim)
    proto.ch.close_position(longpid, 2**256 - 1)
print(f"adversary free balance change (same block): {(proto.ch.free_balance(adv) - free0)/1e6:+.2f} (of which 3000 was his own collateral back)")
