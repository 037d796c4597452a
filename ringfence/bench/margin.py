"""Bench section ``margin``: does the on-chain MM cover the full-revaluation loss?

A seeded adversarial search in the spirit of the review's attacker: random vaults of 1-4
legs from series of tenors one hour to one year (near-expiry longs beside shorts
included), strikes from half to twice spot, long and short, on markets of 30-150 % vol,
and for each the ratio of its true full-revaluation loss over its own scenarios
(``ringfence.scenario_loss.worst_loss``) to the MM the margin engine computes on titanoboa
(``MarginEngine.evaluate`` with the default risk parameters). SPEC §4.9 asks for a worst
ratio of at most 1.0; the median ratio says how tight the bound is (1.0 = exact). The
reference is float64 Black-Scholes against the contract's fixed point, so ratios within
1e-12 of 1.0 (an exact bound, e.g. a long vault capped at its mark) count as 1.0.
"""

from __future__ import annotations

import random
import statistics

NAME = "margin"
VAULTS = 300
SEED = 20261202
HOUR, DAY = 3_600, 86_400
TENORS = (HOUR, 4 * HOUR, DAY, 3 * DAY, 7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY)
MONEYNESS = (0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.2, 1.5, 2.0)
SIZES = (-50.0, -5.0, -1.0, -0.1, 0.1, 1.0, 5.0, 50.0)
VOLS = (0.3, 0.6, 0.8, 1.5)
FLOAT_TOLERANCE = 1e-12


def run() -> dict:
    import boa

    from ringfence.risk_table import DEFAULT_PARAMS, ETH, WAD, deploy_protocol, params_tuple
    from ringfence.scenario_loss import ScenarioLeg, ScenarioParams, worst_loss

    rng = random.Random(SEED)
    ratios = []
    worst = (0.0, None)
    with boa.swap_env(boa.Env()):
        proto = deploy_protocol(decimals=6)
        now = boa.env.evm.patch.timestamp
        params = ScenarioParams.from_wad(DEFAULT_PARAMS)
        for _ in range(VAULTS):
            spot = rng.choice((200.0, 2000.0, 40_000.0))
            vols = {tenor: rng.choice(VOLS) for tenor in TENORS}
            proto.oracle.set_price(ETH, int(spot * WAD))
            for tenor, vol in vols.items():
                proto.oracle.set_vol(ETH, now + tenor, int(vol * WAD))
            chosen = rng.sample(
                [(t, m, c) for t in TENORS for m in MONEYNESS for c in (True, False)],
                rng.randint(1, 4),
            )
            legs = [(t, m, c, rng.choice(SIZES)) for t, m, c in chosen]
            priced = [
                ((int(m * spot * WAD), now + t, c), int(size * WAD)) for t, m, c, size in legs
            ]
            mm = proto.engine.evaluate(ETH, priced, params_tuple(DEFAULT_PARAMS)).maintenance
            scenario = [ScenarioLeg(c, m * spot, t, vols[t], size) for t, m, c, size in legs]
            loss = worst_loss(scenario, spot, params)
            if mm == 0:
                continue
            ratio = loss / (mm / WAD)
            ratios.append(ratio)
            if ratio > worst[0]:
                worst = (ratio, {"spot": spot, "legs": legs, "mm": mm / WAD, "loss": loss})
    return {
        "vaults": len(ratios),
        "seed": SEED,
        "worst_loss_over_mm": worst[0],
        "median_loss_over_mm": statistics.median(ratios),
        "share_at_least_0_9": sum(r >= 0.9 for r in ratios) / len(ratios),
        "worst_vault": worst[1],
        "within_target": worst[0] <= 1.0 + FLOAT_TOLERANCE,
    }


def rows(result: dict) -> list[tuple[str, str]]:
    verdict = "ok" if result["within_target"] else "OVER"
    return [
        ("random vaults (1-4 legs, 1 h - 1 y)", f"{result['vaults']:,} (seed {result['seed']})"),
        ("worst full-revaluation loss / MM", f"{result['worst_loss_over_mm']:.6f} ({verdict})"),
        ("median loss / MM (1 = exact bound)", f"{result['median_loss_over_mm']:.3f}"),
        ("share of vaults with loss >= 0.9 MM", f"{result['share_at_least_0_9']:.1%}"),
    ]
