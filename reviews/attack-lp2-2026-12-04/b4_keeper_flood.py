"""B4 - keeper queue (attack 6): a flood of cheap 1-share requests ahead of a big one.

Each flood request is a redemption of 1 base unit of share (quoted 1 while the share price
is >= 1): it always executes (pays 1, burns 1), costs the attacker no capital, and costs the
keeper one execute transaction. LpQueue hands out 20 per scan, oldest untried first, so a
request made after N flood requests waits N/20 scans; meanwhile anyone (the adversary) can
execute it at the moment of its choice. Also measured: gas of a flood request vs the
keeper's execution; a front-run execution makes the keeper's (simulated-ok) tx revert.
"""
import boa
from common import addr, approve_pool, fmt, standard_book, try_call
from keeper.lp import LpQueue


from common import BoaChain  # noqa: E402


def gas_of(fn):
    fn()
    return boa.env.evm.vm.state.computation_class and boa.env.last_gas_used if hasattr(boa.env, "last_gas_used") else None


proto, adv, trader = standard_book()
pool = proto.pool
queue = LpQueue(BoaChain(), pool.address)
spam = [addr(f"s{i}") for i in range(10)]
with boa.env.prank(adv):
    for s in spam:
        pool.transfer(s, 1000)
N = 200
g_req = []
for i in range(N):
    s = spam[i % 10]
    with boa.env.prank(s):
        pool.request_redeem(1, s)
    if i == 0:
        g_req.append(pool._computation.get_gas_used() if hasattr(pool, "_computation") else None)
with boa.env.prank(proto.lp):
    honest = pool.request_redeem(pool.balanceOf(proto.lp) // 10, proto.lp)
boa.env.time_travel(seconds=3600)
scans = 0
keeper_txs = 0
while pool.requests(honest).mature != 0 and scans < 50:
    due = queue.due(boa.env.evm.patch.timestamp)
    for rid in due:
        ok, _ = try_call(lambda: pool.execute_request(rid, sender=addr("keeper")))
        keeper_txs += ok
    scans += 1
    boa.env.time_travel(seconds=12)  # one block per scan
print(f"{N} flood requests (1 share each) ahead of an honest redemption: the keeper reached it after "
      f"{scans} scans ({scans*12} s of blocks), {keeper_txs} keeper transactions paid for the flood")
# gas: one request vs one execution (titanoboa gas meter)
with boa.env.prank(spam[0]):
    rid = pool.request_redeem(1, spam[0])
gr = pool._computation.get_gas_used()
boa.env.time_travel(seconds=3600)
pool.execute_request(rid, sender=addr("keeper"))
ge = pool._computation.get_gas_used()
print(f"gas (call frame): request_redeem(1) {gr:,}, execute_request {ge:,}; attacker pays ~{gr/ge:.1f}x the keeper per flood request")
# front-run: keeper simulates ok, the attacker executes first, the keeper's tx reverts
with boa.env.prank(spam[1]):
    rid = pool.request_redeem(1, spam[1])
boa.env.time_travel(seconds=3600)
due = queue.due(boa.env.evm.patch.timestamp)
pool.execute_request(rid, sender=addr("frontrunner"))
ok, why = try_call(lambda: pool.execute_request(rid, sender=addr("keeper")))
print(f"front-run: keeper handed {rid in due}, then its tx: ok={ok} ({why}) - gas wasted, symmetric to the front-runner's")
# a request that reverts in simulation forever? only breaker/stale (global): try the breaker
with boa.env.prank(spam[2]):
    rid = pool.request_redeem(1, spam[2])
boa.env.time_travel(seconds=3600)
from common import ETH
proto.oracle.set_breaker_held(ETH, True)
print("breaker held:", try_call(lambda: pool.execute_request(rid, sender=addr("keeper"))))
proto.oracle.set_breaker_held(ETH, False)
print("breaker released:", try_call(lambda: pool.execute_request(rid, sender=addr("keeper"))))
