"""A1 - a redemption the adversary keeps waiting for cash, released at the moment of its
choice (a standing request despite the keeper).

`execute_request` reverts "pool: utilisation" while the payout exceeds the free cash; the
request then waits with its quote, and whoever controls the free cash controls when it
becomes executable. The adversary (LP with half the pool, and a trader) buys a long
2400C/1600P strangle that takes the free cash just below its redemption, requests the
redemption, lets the keeper fail at maturity, and later - when a spot +15 % report is
pending - closes the strangle and executes its request in the same transaction.

What does the timing option buy? The payout is min(quoted, value at execution), never above
the shares' value then, so the right benchmark is not "stayed" but the same request executed
by the keeper at maturity (what the adversary gets without the lock, same price path):
  path: request at t0 -> report within the hour: spot 2000 -> 2060 or 2150 (NAV down, V_m < Q)
        -> maturity (keeper) -> +3 h: spot back to 2000 (NAV recovers towards Q)
        -> +6 h: spot +15 % pending: the adversary exits just before it.
The lock lets the escrowed shares ride the recovery (capped at Q) while dodging the known
drop: gain vs keeper-at-maturity <= Q - V_m, minus the lock's cost. A second path with no
first-hour drop (V_m >= Q) shows the option is then worth nothing.
"""

import boa

from common import ETH, WAD, addr, close, fmt, open_vault, standard_book, try_call, value, wallet


def path(proto, phase):
    """The oracle path: phase 'first_hour', 'recovery', 'pending'."""
    if phase == "first_hour" and DIP:
        proto.oracle.set_price(ETH, DIP * WAD)
    elif phase == "recovery":
        proto.oracle.set_price(ETH, 2000 * WAD)
    elif phase == "pending":
        proto.oracle.set_price(ETH, 2300 * WAD)


def run(with_lock):
    proto, adv, trader = standard_book()
    pool = proto.pool
    adv_trader = addr("adversary_trader")
    proto.fund(adv_trader, proto.units(3_000_000))
    shares = pool.balanceOf(adv)
    w0 = wallet(proto, adv) + wallet(proto, adv_trader)
    lock = None
    if with_lock:
        need = (pool.free_cash() - value(proto, adv)) / 10**6 + 40_000  # free cash 40,000 below
        n = int(need * 5 / 4000) + 1
        lock = open_vault(proto, adv_trader, [(2400, True, n), (1600, False, n)], 400_000)
    with boa.env.prank(adv):
        rid = pool.request_redeem(shares, adv)
    quoted = pool.requests(rid).quoted
    path(proto, "first_hour")
    boa.env.time_travel(seconds=pool.LP_DELAY())
    v_m = pool.convertToAssets(shares)
    k_ok, k_out = try_call(lambda: pool.execute_request(rid, sender=addr("keeper")))
    boa.env.time_travel(seconds=3 * 3600)
    path(proto, "recovery")
    boa.env.time_travel(seconds=3 * 3600)
    honest_before = value(proto, proto.lp)
    if lock is not None:  # the known drop is pending: release and execute, one transaction
        close(proto, adv_trader, lock)
        e_ok, e_out = try_call(lambda: pool.execute_request(rid, sender=adv))
    else:
        e_ok, e_out = False, "-"
    path(proto, "pending")  # the report lands
    total = wallet(proto, adv) + wallet(proto, adv_trader) + value(proto, adv) - w0
    honest = value(proto, proto.lp)
    label = "lock" if with_lock else "no lock"
    print(f"  [{label:>7}] quoted {fmt(proto, quoted)}, value at maturity {fmt(proto, v_m)}; keeper at "
          f"maturity ok={k_ok} ({k_out if k_ok else k_out}); adversary at the pending report ok={e_ok} "
          f"({e_out}); adversary P&L {fmt(proto, total)}; honest LP ends {fmt(proto, honest)}")
    return total, honest


if __name__ == "__main__":
    for DIP in (2060, 2150, None):
        print(f"\npath {'with a first-hour rise of spot to ' + str(DIP) if DIP else 'without a first-hour move'}"
              f" (NAV down before maturity), recovery to 2000, then +15 % pending:")
        plain, honest_plain = run(with_lock=False)
        locked, honest_locked = run(with_lock=True)
        print(f"  GAIN of the lock over the keeper's execution at maturity: {locked / 1e6 - plain / 1e6:,.2f} "
              f"(honest LP: {honest_locked / 1e6 - honest_plain / 1e6:+,.2f})")
