"""B1 - rounding farm, partial fills, deposit side, conservation (attacks 1, 3, 5).

An attacker makes many tiny / odd-sized deposit and redemption requests while the book is
open, the NAV moves both ways and the free cash is driven to small values (a trader opens
and closes locks). After every execution we check:
  * the requester's fill is at today's price or worse:
      deposit:    shares_out * P_exec <= assets_used   (P = (A+1)/(S+1))
      redemption: paid <= shares_burnt * P_exec
  * the price per share of the non-requesting holders never falls by an execution
  * conservation: token balance == cash + pending; pending == sum of open deposit amounts;
    pool's own share balance == sum of escrowed shares of open redemptions
and at the end the attacker's round-trip P&L (everything requested back out).
"""
import random
import boa
from common import ETH, WAD, addr, approve_pool, close, fmt, open_vault, standard_book, try_call
from fractions import Fraction as F


def price(pool):
    return F(pool.totalAssets() + 1, pool.totalSupply() + 1)


def run(seed, steps=400):
    rnd = random.Random(seed)
    proto, adv, trader = standard_book()
    pool = proto.pool
    atk = [addr(f"atk{i}") for i in range(3)]
    for a in atk:
        proto.token.mint(a, proto.units(2_000_000))
        approve_pool(proto, a)
    lock_t = addr("locker")
    proto.fund(lock_t, proto.units(3_000_000))
    open_reqs = {}  # id -> (is_dep, owner, amount)
    lock = None
    worst = {"dep": F(0), "red": F(0), "pps_drop": F(0)}
    fails = {}
    n_exec = 0
    start_wealth = {a: proto.token.balanceOf(a) for a in atk}
    for step in range(steps):
        r = rnd.random()
        if r < 0.12:  # move the market
            proto.oracle.set_price(ETH, int(rnd.uniform(1700, 2350) * WAD))
        elif r < 0.18:
            proto.oracle.set_vol(ETH, proto.expiry, int(rnd.uniform(0.5, 1.1) * WAD))
        elif r < 0.26:  # lock / unlock free cash
            if lock is None:
                n = rnd.choice([200, 1000, 1500, 1800, 2000])
                ok, res = try_call(lambda: open_vault(proto, lock_t, [(2400, True, n)], 400_000))
                if ok:
                    lock = res
            else:
                close(proto, lock_t, lock)
                lock = None
        elif r < 0.50:  # tiny/odd deposit request
            a = rnd.choice(atk)
            amt = rnd.choice([1, 2, 3, 7, 999, 10**6 + 1, rnd.randint(1, 10**9)])
            with boa.env.prank(a):
                ok, rid = try_call(lambda: pool.request_deposit(amt, a))
            if ok:
                open_reqs[rid] = (True, a, amt)
        elif r < 0.72:  # tiny/odd redemption request
            a = rnd.choice(atk)
            bal = pool.balanceOf(a)
            if bal:
                amt = min(bal, rnd.choice([1, 2, 3, 5, rnd.randint(1, max(1, bal))]))
                with boa.env.prank(a):
                    ok, rid = try_call(lambda: pool.request_redeem(amt, a))
                if ok:
                    open_reqs[rid] = (False, a, amt)
        elif r < 0.80:
            boa.env.time_travel(seconds=rnd.choice([600, 1800, 3600]))
        else:  # execute a mature request, worst order
            mature = [i for i in open_reqs if pool.requests(i).mature <= boa.env.evm.patch.timestamp]
            if not mature:
                continue
            rid = rnd.choice(mature)
            is_dep, a, amt = open_reqs[rid]
            p0 = price(pool)
            S0 = pool.totalSupply()
            sh0 = pool.balanceOf(a); tk0 = proto.token.balanceOf(a)
            ok, out = try_call(lambda: pool.execute_request(rid, sender=addr("x")))
            if not ok:
                fails[out] = fails.get(out, 0) + 1
                continue
            n_exec += 1
            del open_reqs[rid]
            p1 = price(pool)
            if is_dep:
                used = amt - (proto.token.balanceOf(a) - tk0)
                got = pool.balanceOf(a) - sh0
                # requester's gain at today's price
                g = got * p0 - used
                worst["dep"] = max(worst["dep"], g)
            else:
                paid = proto.token.balanceOf(a) - tk0
                burnt = amt - (pool.balanceOf(a) - sh0)
                g = paid - burnt * p0
                worst["red"] = max(worst["red"], g)
            if p1 < p0:
                worst["pps_drop"] = max(worst["pps_drop"], (p0 - p1) / p0)
        # conservation
        bal = proto.token.balanceOf(pool.address)
        assert bal == pool.cash() + pool.pending_assets()
        assert pool.pending_assets() == sum(x[2] for x in open_reqs.values() if x[0])
        assert pool.balanceOf(pool.address) == sum(x[2] for x in open_reqs.values() if not x[0])
    # unwind: execute everything, close lock
    if lock is not None:
        close(proto, lock_t, lock)
    boa.env.time_travel(seconds=3600)
    for rid in list(open_reqs):
        ok, out = try_call(lambda: pool.execute_request(rid, sender=addr("x")))
        if ok:
            del open_reqs[rid]
    pnl = sum(proto.token.balanceOf(a) + pool.convertToAssets(pool.balanceOf(a)) - start_wealth[a] for a in atk)
    print(f"seed {seed}: {n_exec} executions; max requester gain at today's price: deposit "
          f"{float(worst['dep']):.6f} base units, redemption {float(worst['red']):.6f}; max drop of "
          f"others' price/share at an execution {float(worst['pps_drop']):.3e}; reverts {fails}; "
          f"open left {len(open_reqs)}; attacker P&L (marked) {fmt(proto, pnl)}; "
          f"balance==cash+pending, pending==sum deposits, escrow==sum redemptions: held")


if __name__ == "__main__":
    for s in range(4):
        run(s)
