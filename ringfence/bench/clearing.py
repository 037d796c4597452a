"""Bench section ``clearing``: gas of the clearing house's operations on titanoboa.

Every figure is measured twice, on two otherwise identical deployments (6-decimal quote
token, MarginEngine, ClearingHouse and LiquidityPool with the default risk parameters;
ETH at 2000, vol 80 %, 30-day calls and puts at 1600/1800/2000/2200/2400):

- ``gas``: with the real ``contracts/Oracle.vy`` (``ringfence.bench._real_oracle``), fed
  by EIP-712 reports of one registered signer: spot with its staleness check, and a
  skewed raw-SVI smile (ATM vol 80 %) that ``vol(u, K, T)`` evaluates with ``ln`` and
  ``isqrt``. This is what users of the deployed system pay, so the issue's ceilings and
  ``within_ceilings`` are judged on these figures;
- ``gas_oracle_mock``: with the oracle mock of ``ringfence.risk_table.deploy_protocol``
  (one packed slot per spot read, flat vol), for comparison: the difference is the
  oracle's share of each operation.

Before each measured transaction a *warm-up* vault on the same series already exists, so
the pool's per-series book slots are non-zero (steady state), and the py-evm state is
committed (``lock_changes``) so storage writes are priced as on a real chain (see the
``oracle`` section). Every measurement is one fresh transaction, so every account and
slot it touches is cold.

- ``*_tx`` = 21,000 + calldata (16 / 4 gas per non-zero / zero byte) + execution gas,
  the cost of the transaction on chain (refunds for cleared slots not subtracted);
- ``health_*`` are views: their figure is the execution gas of one ``eth_call``.

Ceilings (``within_ceilings`` reports each): the margin issue's open_1leg <= 240,000,
health_1leg <= 70,000, health_4leg <= 200,000, liquidate_many per position <= 80,000, and
the older liquidate_full_1leg <= 150,000.
"""

from __future__ import annotations

import boa

from ringfence.bench._real_oracle import deploy_protocol_real_oracle
from ringfence.risk_table import ETH, WAD, deploy_protocol

NAME = "clearing"

INTRINSIC_GAS = 21_000
# The margin issue's targets (full revaluation on a scenario grid), and the older
# whole-liquidation ceiling, kept so that its cost stays visible.
CEILINGS = {
    "open_1leg": 240_000,
    "liquidate_full_1leg": 150_000,
    "liquidate_many_per_position_50": 80_000,
    "health_1leg": 70_000,
    "health_4leg": 200_000,
}
CONDOR = [(1600, False, 1), (1800, False, -1), (2200, True, -1), (2400, True, 1)]


def _calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


class _Meter:
    """Measure one call as a fresh transaction on a committed state."""

    def __init__(self):
        self.last_calldata = b""

    def __call__(self, fn, *args, sender=None):
        boa.env.evm.vm.state.lock_changes()
        boa.env.reset_gas_used()
        data = fn.prepare_calldata(*args)
        if sender is None:
            result = fn(*args)
        else:
            with boa.env.prank(sender):
                result = fn(*args)
        execution = boa.env.get_gas_used()
        return result, execution, INTRINSIC_GAS + _calldata_gas(data) + execution


def _legs(proto, legs):
    return [(proto.series[(k, c)], int(s * WAD)) for k, c, s in legs]


def _measure(proto, feed) -> dict[str, int]:
    """Every clearing figure on a deployed protocol whose oracle `feed` moves prices.

    `feed` has ``set_price(u, price)`` and ``set_settlement_price(u, expiry, price)``:
    the oracle mock itself, or a :class:`~ringfence.bench._real_oracle.SignedFeed`.
    """
    meter = _Meter()
    out: dict[str, int] = {}
    ch = proto.ch
    trader = boa.env.generate_address("trader")
    keeper = boa.env.generate_address("keeper")
    proto.fund(trader, proto.units(10_000_000))
    big = proto.units(1_000_000)

    def open_(legs, collateral):
        with boa.env.prank(trader):
            return ch.open_position(_legs(proto, legs), proto.units(collateral), big)

    # steady state: the series books are already non-zero
    open_([(2000, True, -1)], 1_000)
    open_(CONDOR, 2_000)

    pid, _, out["open_1leg"] = meter(
        ch.open_position,
        _legs(proto, [(2000, True, -1)]),
        proto.units(1_000),
        big,
        sender=trader,
    )
    condor, _, out["open_4leg"] = meter(
        ch.open_position, _legs(proto, CONDOR), proto.units(2_000), big, sender=trader
    )
    _, _, out["add_collateral"] = meter(ch.add_collateral, pid, proto.units(10), sender=trader)
    _, _, out["remove_collateral"] = meter(
        ch.remove_collateral, pid, proto.units(10), sender=trader
    )
    _, out["health_1leg"], _ = meter(ch.health, pid)
    _, out["health_4leg"], _ = meter(ch.health, condor)
    _, _, out["close_1leg"] = meter(ch.close_position, pid, big, sender=trader)

    # liquidations: a short call just below maintenance (partial) and far below (full)
    partial = open_([(2000, True, -4)], 1_200)
    full = open_([(2000, True, -1)], 300)
    spot = 2000
    while not proto.view.is_liquidatable(partial):
        spot += 5
        feed.set_price(ETH, spot * WAD)
    fraction, _, out["liquidate_partial_1leg"] = meter(ch.liquidate, partial, sender=keeper)
    feed.set_price(ETH, 2400 * WAD)
    whole, _, out["liquidate_full_1leg"] = meter(ch.liquidate, full, sender=keeper)
    if not (0 < fraction < WAD and whole == WAD):
        raise RuntimeError("clearing bench: liquidation scenario did not run as designed")

    # liquidate_many over 50 unhealthy one-leg vaults
    feed.set_price(ETH, 2000 * WAD)
    batch = [open_([(2000, True, -0.1)], 30) for _ in range(50)]
    feed.set_price(ETH, 2600 * WAD)
    count, _, total = meter(ch.liquidate_many, batch, sender=keeper)
    if count != 50:
        raise RuntimeError(f"clearing bench: liquidate_many liquidated {count} of 50")
    out["liquidate_many_per_position_50"] = total // 50

    # settlement after expiry: one vault, then settle_many over 50
    feed.set_price(ETH, 2000 * WAD)
    to_settle = open_([(2000, True, 1)], 500)
    many = [open_([(2000, True, 0.1)], 50) for _ in range(50)]
    boa.env.time_travel(seconds=proto.expiry - boa.env.evm.patch.timestamp + 60)
    feed.set_settlement_price(ETH, proto.expiry, 2100 * WAD)
    _, _, out["settle_1leg"] = meter(ch.settle, to_settle, sender=keeper)
    count, _, total = meter(ch.settle_many, many, sender=keeper)
    if count != 50:
        raise RuntimeError(f"clearing bench: settle_many settled {count} of 50")
    out["settle_many_per_position_50"] = total // 50
    return out


def run() -> dict:
    with boa.swap_env(boa.Env()):
        real = deploy_protocol_real_oracle(decimals=6)
        gas = _measure(real.proto, real.feed)
    with boa.swap_env(boa.Env()):
        proto = deploy_protocol(decimals=6)
        gas_mock = _measure(proto, proto.oracle)
    return {
        "gas": gas,
        "gas_oracle_mock": gas_mock,
        "within_ceilings": {k: gas[k] <= v for k, v in CEILINGS.items()},
    }


LABELS = [
    ("open_1leg", "open, 1 leg (tx gas)"),
    ("open_4leg", "open, 4-leg iron condor (tx gas)"),
    ("add_collateral", "add_collateral (tx gas)"),
    ("remove_collateral", "remove_collateral (tx gas)"),
    ("close_1leg", "close, 1 leg (tx gas)"),
    ("liquidate_partial_1leg", "liquidate partial, 1 leg (tx gas)"),
    ("liquidate_full_1leg", "liquidate whole, 1 leg (tx gas)"),
    ("liquidate_many_per_position_50", "liquidate_many of 50, per position (tx gas)"),
    ("settle_1leg", "settle, 1 leg (tx gas)"),
    ("settle_many_per_position_50", "settle_many of 50, per position (tx gas)"),
    ("health_1leg", "health, 1 leg (view execution gas)"),
    ("health_4leg", "health, 4 legs (view execution gas)"),
]


def rows(result: dict) -> list[tuple[str, str]]:
    """One row per figure: the real-oracle gas, its ceiling verdict, the mock figure."""
    out = []
    for key, label in LABELS:
        value = f"{result['gas'][key]:,}"
        ceiling = CEILINGS.get(key)
        if ceiling is not None:
            ok = result["within_ceilings"][key]
            value += f"  (ceiling {ceiling:,}: {'ok' if ok else 'OVER'})"
        value += f"  [oracle mock: {result['gas_oracle_mock'][key]:,}]"
        out.append((label, value))
    return out
