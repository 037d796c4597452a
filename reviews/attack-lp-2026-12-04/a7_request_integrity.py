"""A7 - request integrity (invariant d) and escrowed shares (g): double execution,
execution one second before maturity, unknown ids, moving/approving/permitting the
escrowed shares, redeeming someone else's shares through an allowance, receivers that
are the pool itself, and the gas a requester spends vs the gas an executor spends.
"""

import boa

from common import addr, approve_pool, fmt, standard_book, try_call

proto, adv, trader = standard_book()
pool = proto.pool
honest = proto.lp
spender = addr("spender")
rows = []


def expect_fail(label, fn, needle=""):
    ok, why = try_call(fn)
    rows.append((label, "REVERTS" if not ok else f"SUCCEEDED -> {why}", why if not ok else ""))
    assert not ok and needle in why, (label, why)


# a redemption request by the adversary, a deposit request by the adversary
with boa.env.prank(adv):
    r = pool.request_redeem(pool.balanceOf(adv) // 2, adv)
    d = pool.request_deposit(proto.units(1_000), adv)
mature = pool.requests(r).mature
escrow = pool.balanceOf(pool.address)
print(f"redemption {r} escrows {escrow / 1e6:,.2f} shares in the pool; deposit {d} pending "
      f"{fmt(proto, pool.pending_assets())}")

boa.env.time_travel(seconds=pool.LP_DELAY() - 1)
expect_fail("execute 1 s before maturity", lambda: pool.execute_request(r), "not mature")
expect_fail("unknown id (request_count)", lambda: pool.execute_request(pool.request_count()), "no request")
# the escrowed shares: nobody can move them
expect_fail("transferFrom(pool -> adv) without allowance",
            lambda: pool.transferFrom(pool.address, adv, 1, sender=adv))
expect_fail("transferFrom(pool -> adv) by the pool's clearing house",
            lambda: pool.transferFrom(pool.address, adv, 1, sender=proto.ch.address))
# someone who holds an allowance over the honest LP's shares cannot redeem them by request:
# request_redeem takes only the caller's own shares
with boa.env.prank(honest):
    pool.approve(spender, 2**256 - 1)
before = pool.balanceOf(honest)
expect_fail("request_redeem by an approved spender (spender holds no shares)",
            lambda: pool.request_redeem(10**6, spender, sender=spender))
assert pool.balanceOf(honest) == before

boa.env.time_travel(seconds=1)
ok, paid = try_call(lambda: pool.execute_request(r, sender=addr("stranger")))
print(f"at maturity a stranger executes {r}: ok={ok}, paid {fmt(proto, paid)} to the requester "
      f"(quoted {fmt(proto, pool.requests(r).quoted)} now cleared)")
expect_fail("execute the same redemption twice", lambda: pool.execute_request(r), "no request")
pool.execute_request(d)
expect_fail("execute the same deposit twice", lambda: pool.execute_request(d), "no request")
print(f"escrow now {pool.balanceOf(pool.address)}, pending {pool.pending_assets()}")

# receivers that are the pool itself (own goals, checked for conservation)
with boa.env.prank(adv):
    r2 = pool.request_redeem(10**9, pool.address)
    d2 = pool.request_deposit(proto.units(500), pool.address)
boa.env.time_travel(seconds=pool.LP_DELAY())
bal0 = proto.token.balanceOf(pool.address)
p2 = pool.execute_request(r2)
s2 = pool.execute_request(d2)
print(f"redemption to receiver=pool pays {fmt(proto, p2)} to itself (pool balance "
      f"{fmt(proto, bal0)} -> {fmt(proto, proto.token.balanceOf(pool.address))}): a donation; "
      f"deposit to receiver=pool mints {s2 / 1e6:,.2f} shares to the pool (stuck: a donation)")
bal, cp = proto.token.balanceOf(pool.address), pool.cash() + pool.pending_assets()
print(f"conservation: balance {bal} == cash+pending {cp}: {bal == cp}")

# gas: what a requester pays vs what the executor (keeper) pays
with boa.env.prank(adv):
    g = []
    pool.request_redeem(1, adv)
    g.append(pool._computation.get_gas_used())
    pool.request_deposit(10, adv)
    g.append(pool._computation.get_gas_used())
boa.env.time_travel(seconds=pool.LP_DELAY())
pool.execute_request(pool.request_count() - 2)
g.append(pool._computation.get_gas_used())
pool.execute_request(pool.request_count() - 1)
g.append(pool._computation.get_gas_used())
print(f"execution gas (excl. 21k intrinsic): request_redeem {g[0]:,}, request_deposit {g[1]:,}, "
      f"execute redemption {g[2]:,}, execute deposit {g[3]:,}")

print("\nchecks:")
for label, res, why in rows:
    print(f"  {label:<62} {res} {why}")
