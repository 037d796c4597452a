"""Shared set-up for the LP-request attack scripts (titanoboa in-process, mock oracle).

Run any script as:
  cd /work/attack3 && PYTHONPATH=/work/attack3 /work/main/.venv/bin/python \
      reviews/attack-lp-2026-12-04/<script>.py
"""

import boa

from ringfence.risk_table import ETH, WAD, deploy_protocol  # noqa: F401

MAXC = 10**7  # max_cost in whole units (never binding)


def addr(name):
    return boa.env.generate_address(name)


def u(proto, x):
    return proto.units(x)


def fmt(proto, base_units):
    return f"{base_units / 10**proto.decimals:,.2f}"


def open_vault(proto, owner, legs, collateral):
    """legs: [(strike, is_call, size in units)], collateral whole units."""
    encoded = [(proto.series[(k, c)], int(size * WAD)) for k, c, size in legs]
    with boa.env.prank(owner):
        return proto.ch.open_position(encoded, proto.units(collateral), proto.units(MAXC))


def close(proto, owner, pid):
    with boa.env.prank(owner):
        return proto.ch.close_position(pid, proto.units(MAXC))


def value(proto, account):
    return proto.pool.convertToAssets(proto.pool.balanceOf(account))


def wallet(proto, account):
    """Token wallet + free balance in the clearing house, base units."""
    return proto.token.balanceOf(account) + proto.ch.free_balance(account)


def approve_pool(proto, account):
    with boa.env.prank(account):
        proto.token.approve(proto.pool.address, 2**256 - 1)


def conservation(proto):
    """(token balance of the pool, cash + pending, equal?)"""
    bal = proto.token.balanceOf(proto.pool.address)
    s = proto.pool.cash() + proto.pool.pending_assets()
    return bal, s, bal == s


def _reason(exc):
    try:
        frame = exc.stack_trace.last_frame
        r = getattr(frame, "pretty_vm_reason", None) or getattr(frame, "vm_error", None)
        if r:
            return str(r)
    except Exception:
        pass
    try:
        return str(exc).splitlines()[0][:160]
    except Exception:
        return type(exc).__name__


def try_call(fn):
    """(True, result) or (False, revert reason string)."""
    try:
        return True, fn()
    except Exception as exc:  # boa's BoaError
        return False, _reason(exc)


def standard_book(pool_cash=1_000_000, adversary_lp=1_000_000):
    """Issue 16's book: honest LP `proto.lp` with `pool_cash`, the adversary LP with
    `adversary_lp` (instant, book empty), a trader long 300 x 2000C and 300 x 2200C."""
    proto = deploy_protocol(decimals=6, pool_cash=pool_cash)
    adv = addr("adversary")
    trader = addr("trader")
    proto.token.mint(adv, proto.units(10_000_000))
    approve_pool(proto, adv)
    if adversary_lp:
        with boa.env.prank(adv):
            proto.pool.deposit(proto.units(adversary_lp), adv)
    proto.fund(trader, proto.units(2_000_000))
    for strike in (2000, 2200):
        open_vault(proto, trader, [(strike, True, 300)], 200_000)
    return proto, adv, trader


class BoaChain:
    """keeper.rpc.Chain's `call` over titanoboa (eth_call semantics: no state change)."""

    def call(self, to, data, sender=None, gas=None, block="latest"):
        raw = bytes.fromhex(data[2:])
        with boa.env.anchor():
            c = boa.env.raw_call(to, sender=sender, data=raw)
        if c.is_error:
            raise RuntimeError("reverted")
        return "0x" + bytes(c.output).hex()
