"""B2 - "free cash 0 at maturity" as a cancellation, i.e. a standing exit option (attack 2).

The adversary (LP, 1,000,000 of a 2,000,000 pool, plus a trader account) keeps a redemption
request for its whole stake. At maturity it looks at the pending oracle report:
  * NAV drop pending (spot +15 %): let it execute -> exit before the drop;
  * NAV rise pending (spot -15 %): in one transaction open a deep-OTM 2400C lock that takes
    the free cash to ~0, execute its own request (shares returned whole), close the lock;
    the report lands and its shares ride the rise. Then it re-requests.
The benchmark without cancellation: the request executes at maturity in both cases.
Printed: the lock's round-trip cost vs what the cancellation keeps in the rise case.
"""
import boa
from common import ETH, WAD, addr, close, fmt, open_vault, standard_book, try_call, value, wallet


def run(cancel, spot_after, lock_n):
    proto, adv, trader = standard_book()
    pool = proto.pool
    t = addr("adv_trader")
    proto.fund(t, proto.units(3_000_000))
    shares = pool.balanceOf(adv)
    w0 = wallet(proto, adv) + wallet(proto, t) + value(proto, adv)
    with boa.env.prank(adv):
        rid = pool.request_redeem(shares, adv)
    boa.env.time_travel(seconds=pool.LP_DELAY())
    free_before = pool.free_cash()
    paid = None
    if cancel:
        lock = open_vault(proto, t, [(2400, True, lock_n)], 400_000)
        free_locked = pool.free_cash()
        paid = pool.execute_request(rid, sender=t)
        close(proto, t, lock)
    else:
        free_locked = free_before
        paid = pool.execute_request(rid, sender=addr("keeper"))
    proto.oracle.set_price(ETH, spot_after * WAD)  # the report lands
    w1 = wallet(proto, adv) + wallet(proto, t) + value(proto, adv)
    return w1 - w0, paid, free_before, free_locked, value(proto, proto.lp)


if __name__ == "__main__":
    for spot_after, label in ((1700, "NAV rise pending (spot -15 %)"), (1900, "NAV rise pending (spot -5 %)")):
        base, paid_b, fb, _, lp_b = run(False, spot_after, 0)
        for n in (3641, 3640, 3000):
            ok, res = try_call(lambda: run(True, spot_after, n))
            if not ok:
                print(f"  lock {n}: {res}")
                continue
            pnl, paid, fb, fl, lp_c = res
            print(f"{label}, lock {n} x 2400C: free cash {fb/1e6:,.2f} -> {fl/1e6:,.2f}; "
                  f"paid with cancel {paid/1e6:,.2f} (keeper, no cancel: {paid_b/1e6:,.2f}); adversary P&L cancel "
                  f"{pnl/1e6:,.2f} vs no cancel {base/1e6:,.2f}: GAIN {(pnl-base)/1e6:+,.2f}; honest LP {(lp_c-lp_b)/1e6:+,.2f}")
