"""B5 - (a) partial fill + re-request chain under a lock; (b) deposit request with receiver = pool."""
import boa
from common import ETH, WAD, addr, close, open_vault, standard_book, try_call, value, wallet

proto, adv, trader = standard_book()
pool = proto.pool
t = addr("lk"); proto.fund(t, proto.units(3_000_000))
lock = open_vault(proto, t, [(2400, True, 3400)], 400_000)  # free cash ~116k
w0 = wallet(proto, adv) + value(proto, adv)
fills = []
for k in range(6):
    sh = pool.balanceOf(adv)
    if sh == 0:
        break
    with boa.env.prank(adv):
        rid = pool.request_redeem(sh, adv)
    proto.oracle.set_price(ETH, (2000 + (40 if k % 2 else -40)) * WAD)
    boa.env.time_travel(seconds=3600)
    fills.append(pool.execute_request(rid, sender=adv) / 1e6)
close(proto, t, lock)
print(f"(a) 6 partial fills under a lock: paid {[round(f) for f in fills]}; adversary P&L {(wallet(proto, adv) + value(proto, adv) - w0)/1e6:,.2f} (incl. its LP share of the book's moves)")
v = addr("v"); proto.token.mint(v, 10**12)
with boa.env.prank(v):
    proto.token.approve(pool.address, 2**256 - 1)
    rid = pool.request_deposit(proto.units(1000), pool.address)
boa.env.time_travel(seconds=3600)
pool.execute_request(rid)
print(f"(b) request_deposit(receiver=pool): pool now holds {pool.balanceOf(pool.address)/1e6:,.2f} of its own shares, "
      f"no open request: stuck for good (value {pool.convertToAssets(pool.balanceOf(pool.address))/1e6:,.2f}, shared by nobody)")
