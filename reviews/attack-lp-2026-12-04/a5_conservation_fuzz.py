"""A5 - conservation and execution-rule fuzz: a random adversarial sequence of LP requests,
executions (in any order, by anyone), instant flows when the book is empty, trades,
closes, liquidations, price gaps, claims, token and share donations to the pool, expiry
and settlement. After every step:

  (b) token.balanceOf(pool) == cash() + pending_assets()
      pending_assets() == sum of the amounts of the unexecuted deposit requests
      pool's own share balance == unexecuted redemption shares + shares donated to it
  (d) an executed request cannot execute again; none executes before `mature`;
      a deposit mints <= min(quoted, convertToShares(amount) just before); a redemption
      pays <= min(quoted, convertToAssets(shares) just before); a refund happens only
      when NAV == 0 (with shares outstanding) or 0 shares
  nothing is created: the sum of all holders' tokens equals the token's total supply,
      and the adversary accounts never end with more than they put in unless an honest
      account lost it (reported, not asserted)

At the end: past expiry, settle every vault, execute every request, then every LP
redeems; report what is left in the pool and anything stuck.
Usage: python a5_conservation_fuzz.py [seeds] [steps]
"""

import random
import sys

import boa

from common import ETH, WAD, addr, approve_pool, try_call
from ringfence.risk_table import deploy_protocol

SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
STRIKES = (1600, 1800, 2000, 2200, 2400)


def run(seed):
    rng = random.Random(seed)
    with boa.env.anchor():
        proto = deploy_protocol(decimals=6, pool_cash=500_000)
        pool, ch, tok = proto.pool, proto.ch, proto.token
        lps = [proto.lp] + [addr(f"lp{seed}_{i}") for i in range(3)]
        traders = [addr(f"tr{seed}_{i}") for i in range(3)]
        for a in lps[1:]:
            tok.mint(a, proto.units(3_000_000))
            approve_pool(proto, a)
        approve_pool(proto, proto.lp)
        tok.mint(proto.lp, proto.units(3_000_000))
        for t in traders:
            proto.fund(t, proto.units(3_000_000))
        open_pids = []
        pending = {}  # id -> (is_deposit, amount, quoted, mature)
        donated_shares = 0
        stats = {"ok": 0, "reverted": 0, "refunds": 0, "exec": 0, "dep_exec": 0, "red_exec": 0}
        spot = 2000.0

        def check(where):
            bal = tok.balanceOf(pool.address)
            assert bal == pool.cash() + pool.pending_assets(), where
            assert pool.pending_assets() == sum(a for d, a, q, m in pending.values() if d), where
            assert pool.balanceOf(pool.address) == donated_shares + sum(
                a for d, a, q, m in pending.values() if not d
            ), where

        for step in range(STEPS):
            op = rng.choice(
                ["req_dep", "req_red", "exec", "exec", "exec_early", "exec_twice", "travel",
                 "price", "price", "vol", "open", "open", "close", "liq", "claims",
                 "instant", "donate_tok", "donate_sh"]
            )
            lp = rng.choice(lps)
            ok = True
            if op == "req_dep":
                amt = rng.choice([1, 7, 10**6, rng.randint(1, 500_000) * 10**6])
                ok, rid = try_call(lambda: pool.request_deposit(amt, lp, sender=lp))
                if ok:
                    r = pool.requests(rid)
                    pending[rid] = (True, amt, r.quoted, r.mature)
            elif op == "req_red":
                bal = pool.balanceOf(lp)
                if bal:
                    sh = max(1, int(bal * rng.choice([0.01, 0.3, 1.0])))
                    ok, rid = try_call(lambda: pool.request_redeem(sh, lp, sender=lp))
                    if ok:
                        r = pool.requests(rid)
                        pending[rid] = (False, sh, r.quoted, r.mature)
            elif op in ("exec", "exec_early") and pending:
                rid = rng.choice(list(pending))
                d, amt, q, m = pending[rid]
                now = boa.env.evm.patch.timestamp
                if op == "exec_early" and now < m:
                    ok2, why = try_call(lambda: pool.execute_request(rid, sender=lp))
                    assert not ok2 and "not mature" in why, (step, why)
                    continue
                fair = try_call(lambda: pool.convertToShares(amt) if d else pool.convertToAssets(amt))
                nav = try_call(pool.totalAssets)
                supply = pool.totalSupply()
                ok, out = try_call(lambda: pool.execute_request(rid, sender=rng.choice(traders)))
                if ok:
                    assert now >= m
                    assert out <= q and out <= fair[1], (step, out, q, fair)
                    refunded = pool.get_logs()[-1].refunded
                    if refunded:
                        stats["refunds"] += 1
                        assert out == 0
                        assert nav[1] == 0 or fair[1] == 0, (step, nav, fair)
                    stats["dep_exec" if d else "red_exec"] += 1
                    del pending[rid]
            elif op == "exec_twice":
                done = [i for i in range(pool.request_count()) if i not in pending]
                if done:
                    rid = rng.choice(done)
                    ok2, why = try_call(lambda: pool.execute_request(rid))
                    assert not ok2 and "no request" in why, (step, why)
                    continue
            elif op == "travel":
                boa.env.time_travel(seconds=rng.choice([60, 1800, 3600, 7200]))
            elif op == "price":
                spot *= rng.choice([0.97, 1.03, 0.8, 1.25, 1.0 + rng.uniform(-0.05, 0.05)])
                spot = min(max(spot, 800), 6000)
                proto.oracle.set_price(ETH, int(spot * WAD))
            elif op == "vol":
                proto.oracle.set_vol(ETH, proto.expiry, int(rng.uniform(0.3, 1.5) * WAD))
            elif op == "open":
                t = rng.choice(traders)
                k = rng.choice(STRIKES)
                c = rng.random() < 0.5
                size = rng.choice([-1, 1]) * rng.choice([1, 20, 150])
                legs = [(proto.series[(k, c)], size * WAD)]
                coll = proto.units(rng.choice([2_000, 20_000, 200_000]))
                ok, pid = try_call(lambda: ch.open_position(legs, coll, proto.units(10**7), sender=t))
                if ok:
                    open_pids.append((t, pid))
            elif op == "close" and open_pids:
                t, pid = rng.choice(open_pids)
                ok, _ = try_call(lambda: ch.close_position(pid, proto.units(10**7), sender=t))
                if ok:
                    open_pids.remove((t, pid))
            elif op == "liq" and open_pids:
                t, pid = rng.choice(open_pids)
                ok, frac = try_call(lambda: ch.liquidate(pid, sender=lp))
                if ok and frac == WAD:
                    open_pids.remove((t, pid))
            elif op == "claims":
                ok, _ = try_call(lambda: ch.pay_claims(10))
            elif op == "instant":
                if rng.random() < 0.5:
                    amt = rng.randint(1, 300_000) * 10**6
                    ok, _ = try_call(lambda: pool.deposit(amt, lp, sender=lp))
                else:
                    sh = pool.balanceOf(lp) // rng.choice([1, 3])
                    ok, _ = try_call(lambda: pool.redeem(sh, lp, lp, sender=lp))
            elif op == "donate_tok":
                tok.mint(pool.address, rng.randint(1, 1000) * 10**6)
            elif op == "donate_sh":
                sh = pool.balanceOf(lp) // 50
                if sh:
                    pool.transfer(pool.address, sh, sender=lp)
                    donated_shares += sh
            stats["ok" if ok else "reverted"] += 1
            check(f"seed {seed} step {step} op {op}")

        # wind down: expiry, settlement, every request, every LP out
        boa.env.time_travel(seconds=max(0, proto.expiry - boa.env.evm.patch.timestamp) + 1)
        proto.oracle.set_settlement_price(ETH, proto.expiry, int(spot * WAD))
        for t, pid in list(open_pids):
            ok, _ = try_call(lambda: ch.settle(pid, sender=t))
            assert ok, ("settle", pid)
        check("after settlement")
        assert not pool.active_series()
        for _ in range(3):
            try_call(lambda: ch.pay_claims(50))
        boa.env.time_travel(seconds=3600)
        stuck = []
        for rid in sorted(pending):
            ok, out = try_call(lambda: pool.execute_request(rid))
            if ok:
                del pending[rid]
            else:
                stuck.append((rid, out))
        check("after executing all")
        for a in lps:
            sh = pool.balanceOf(a)
            if sh:
                try_call(lambda: pool.redeem(sh, a, a, sender=a))
        check("end")
        print(f"seed {seed}: {STEPS} steps, {stats}; end: supply {pool.totalSupply()} "
              f"(donated to pool {donated_shares}), cash {pool.cash()}, owed {pool.owed()}, "
              f"pending {pool.pending_assets()}, stuck requests {stuck}")


if __name__ == "__main__":
    for s in range(SEEDS):
        run(s)
    print("all invariants held")
