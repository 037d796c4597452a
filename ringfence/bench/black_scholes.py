"""Bench section ``black_scholes``: gas and accuracy of the fixed-point library.

Over the grids below (documented in docs/math.md) it measures ``price_and_greeks_gas``
(msg.gas around the internal call) and the error of every output against the 50-digit
mpmath reference on the exact integer inputs, normalised like the tolerances
(``ringfence.bs_reference.normalised_errors``):

- ``grid()``: the pre-extension domain, edges included (the figures before and after the
  total-domain extension are comparable point for point);
- ``extension_grid()``: the rest of the total domain -- prices down to 1 wei, strike/spot
  from 1e-30 to 1e30, vols above 10.0 up to 2**256 - 1 -- where nothing may revert;
- ``scenario_legs()`` / ``scenario_wide_legs()``: legs for ``_scenario_grid`` (six points
  each, value and delta against the reference at the exact points), the clearing house's
  region for gas and the total domain for accuracy and reverts. Its gas is
  ``scenario_grid_gas`` (the internal call alone, spot shifts computed beforehand as the
  margin engine does once per vault), compared with the six ``_price_and_greeks`` calls it
  replaces.

It also times the float64 numpy model the keeper uses for pre-screening.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time

import numpy as np

from ringfence import bs_reference
from ringfence.black_scholes import price_and_greeks as numpy_price_and_greeks
from ringfence.paths import contract_path

NAME = "black_scholes"

WAD = 10**18
YEAR = 31_536_000
DAY = 86_400

#: Grid, in the contract's integer units (WAD, seconds). Points outside the
#: pre-extension domain (strike outside [1e12, 1e30] wei) are skipped.
SPOTS = (10**12, 10**18, 42 * 10**18, 10**30)  # 1e-6, 1, 42, 1e12 quote
MONEYNESS = ((1, 100), (4, 5), (1, 1), (5, 4), (100, 1))  # strike / spot
TAUS = (0, 1, DAY, YEAR, 10 * YEAR)
VOLS = (0, 10**12, 3 * 10**17, 10 * WAD)  # 0, 1e-6, 0.3, 10.0
RATES = (-(10**17), 5 * 10**16, WAD)  # -0.1, 0.05, 1.0

#: Extension grid: every combination outside the pre-extension domain.
EXT_SPOTS = (1, 10**12 - 1, 10**18, 10**30)
EXT_MONEYNESS = ((1, 10**30), (1, 10**6), (1, 101), (1, 1), (101, 1), (10**6, 1), (10**30, 1))
EXT_TAUS = (0, 1, DAY, YEAR, 10 * YEAR)
EXT_VOLS = (0, 10**12, 3 * 10**17, 10 * WAD + 1, 10**24, 2**256 - 1)
EXT_RATES = (-(10**17), WAD)

#: Scenario grid, near the money: ATM +-20 % of spot 2,000, 1 day to 1 year, vol 30 % to
#: 150 % shocked x1.5 / x0.5, spot shocks of 10 % and 25 %, rate 5 %.
SCENARIO_STRIKES = (1_600, 1_900, 2_000, 2_100, 2_400)
SCENARIO_TAUS = (DAY, 7 * DAY, 30 * DAY, YEAR)
SCENARIO_VOLS = (3 * 10**17, 8 * 10**17, 3 * WAD // 2)
SCENARIO_SHOCKS = (WAD // 10, WAD // 4)
#: Scenario grid over the total domain (accuracy, reverts, gas off the money).
WIDE_SPOTS = (1, 10**18, 10**30)
WIDE_MONEYNESS = ((1, 10**30), (1, 10**6), (1, 1), (10**6, 1), (10**30, 1))
WIDE_TAUS = (0, 1, YEAR, 10 * YEAR)
WIDE_VOLS = ((3 * 10**17, 0), (10 * WAD + 1, 10**12), (10**24, 2**256 - 1))
WIDE_SHOCKS = ((0, 0), (WAD // 4, WAD // 4), (10 * WAD, WAD - 1))

NUMPY_BATCH = 1_000_000


def grid() -> list[tuple[bool, int, int, int, int, int]]:
    """Every (is_call, spot, strike, tau, vol, rate) point of the pre-extension grid."""
    points = []
    for is_call, spot, (num, den), tau, vol, rate in itertools.product(
        (True, False), SPOTS, MONEYNESS, TAUS, VOLS, RATES
    ):
        strike = spot * num // den
        if bs_reference.in_core_domain(spot, strike, tau, vol, rate):
            points.append((is_call, spot, strike, tau, vol, rate))
    return points


def extension_grid() -> list[tuple[bool, int, int, int, int, int]]:
    """Every point of the extension grid: inside the total domain, outside the old one."""
    points = set()
    for is_call, spot, (num, den), tau, vol, rate in itertools.product(
        (True, False), EXT_SPOTS, EXT_MONEYNESS, EXT_TAUS, EXT_VOLS, EXT_RATES
    ):
        strike = min(max(spot * num // den, 1), 10**30)
        point = (is_call, spot, strike, tau, vol, rate)
        if not bs_reference.in_core_domain(*point[1:]):
            points.add(point)
    return sorted(points)


Leg = tuple[bool, int, int, int, int, int, int, int, int]


def scenario_legs() -> list[Leg]:
    """(is_call, spot, strike, tau, rate, spot_up, spot_down, vol_up, vol_down), near the
    money: the legs the scenario grid's gas is measured on."""
    return [
        (is_call, 2_000 * WAD, strike * WAD, tau, 5 * 10**16, shock, shock, vol * 3 // 2, vol // 2)
        for is_call, strike, tau, vol, shock in itertools.product(
            (True, False), SCENARIO_STRIKES, SCENARIO_TAUS, SCENARIO_VOLS, SCENARIO_SHOCKS
        )
    ]


def scenario_wide_legs() -> list[Leg]:
    """Scenario-grid legs over the total domain: extreme prices, ratios, vols and shocks."""
    legs = set()
    for is_call, spot, (num, den), tau, vols, shocks in itertools.product(
        (True, False), WIDE_SPOTS, WIDE_MONEYNESS, WIDE_TAUS, WIDE_VOLS, WIDE_SHOCKS
    ):
        strike = min(max(spot * num // den, 1), 10**30)
        legs.add((is_call, spot, strike, tau, 5 * 10**16, *shocks, *vols))
    return sorted(legs)


def _fused_gas(mock, leg: Leg) -> int:
    """Gas of the six `_price_and_greeks` calls the grid replaces (spots floored to wei)."""
    is_call, spot, strike, tau, rate, up, down, vol_up, vol_down = leg
    spots = (spot * (WAD - down) // WAD, spot, spot * (WAD + up) // WAD)
    return sum(
        mock.price_and_greeks_gas(is_call, s, strike, tau, vol, rate)
        for vol in (vol_up, vol_down)
        for s in spots
    )


def _grid_errors(mock, legs: list[Leg]) -> tuple[dict[str, float], dict[str, list], int]:
    """Worst normalised (value, delta) error over every point of `legs`, and reverts."""
    worst = {"price": 0.0, "delta": 0.0}
    worst_at: dict[str, list] = {"price": [], "delta": []}
    reverts = 0
    for leg in legs:
        try:
            values, deltas = mock.scenario_grid(*leg)
        except Exception:  # a revert anywhere in the domain is a finding, counted
            reverts += 1
            continue
        spots = bs_reference.scenario_spots(leg[1], leg[5], leg[6])
        for i, reference in enumerate(bs_reference.scenario_grid(*leg)):
            errors = bs_reference.normalised_errors(
                spots[i % 3], leg[2], (values[i], deltas[i]), reference
            )
            for name, error in errors.items():
                if error > worst[name] or not worst_at[name]:
                    worst[name] = max(worst[name], error)
                    worst_at[name] = [*leg, i]
    return worst, worst_at, reverts


def _scenario(mock) -> dict:
    legs = scenario_legs()
    gas = [mock.scenario_grid_gas(*leg) for leg in legs]
    fused = [_fused_gas(mock, leg) for leg in legs]
    ratios = [g / f for g, f in zip(gas, fused, strict=True)]
    wide = scenario_wide_legs()
    worst, worst_at, reverts = _grid_errors(mock, legs + wide)
    wide_gas = [mock.scenario_grid_gas(*leg) for leg in wide if leg[3] > 0]
    result = {
        "grid_legs": len(legs),
        "grid_gas_median": int(statistics.median(gas)),
        "grid_gas_max": max(gas),
        "grid_gas_min": min(gas),
        "grid_fused_gas_median": int(statistics.median(fused)),
        "grid_ratio_median": round(statistics.median(ratios), 3),
        "grid_ratio_max": round(max(ratios), 3),
        "grid_shifts_gas": mock.scenario_shifts_gas(WAD // 4, WAD // 4),
        "grid_target_gas": 12_000,
        "grid_target_pass": max(gas) <= 12_000,
        "grid_wide_legs": len(wide),
        "grid_wide_reverts": reverts,
        "grid_wide_gas_median": int(statistics.median(wide_gas)),
        "grid_wide_gas_max": max(wide_gas),
    }
    for name in ("price", "delta"):
        result[f"grid_max_err_{name}"] = worst[name]
        result[f"grid_pass_{name}"] = worst[name] <= bs_reference.TOLERANCES[name]
        result[f"grid_worst_input_{name}"] = worst_at[name]
    return result


def _is_central(point: tuple[bool, int, int, int, int, int]) -> bool:
    """Both |d1| and |d2| below 8: the full path, with both CDF polynomials evaluated."""
    _, spot, strike, tau, vol, rate = point
    if tau == 0 or vol == 0:
        return False
    t = tau / YEAR
    v = vol / WAD
    d1 = (math.log(spot / strike) + (rate / WAD + v * v / 2) * t) / (v * math.sqrt(t))
    return abs(d1) < 8 and abs(d1 - v * math.sqrt(t)) < 8


def _numpy_throughput() -> float:
    rng = np.random.default_rng(0)
    n = NUMPY_BATCH
    spot = 10 ** rng.uniform(-6, 12, n)
    strike = spot * 10 ** rng.uniform(-2, 2, n)
    args = (
        rng.random(n) < 0.5,
        spot,
        strike,
        rng.uniform(0, 10, n),
        rng.uniform(0, 10, n),
        rng.uniform(-0.1, 1, n),
    )
    numpy_price_and_greeks(*args)  # warm-up
    start = time.perf_counter()
    numpy_price_and_greeks(*args)
    return n / (time.perf_counter() - start)


def _measure(mock, points: list) -> tuple[list[int], dict[str, float], dict[str, list], int]:
    """(gas per point, worst normalised error and its input per output, reverts)."""
    gas_all: list[int] = []
    worst = {name: 0.0 for name in bs_reference.TOLERANCES}
    worst_at: dict[str, list] = {name: [] for name in bs_reference.TOLERANCES}
    reverts = 0
    for point in points:
        try:
            outputs = mock.price_and_greeks(*point)
            gas_all.append(mock.price_and_greeks_gas(*point))
        except Exception:  # a revert anywhere in the domain is a finding, counted
            reverts += 1
            continue
        errors = bs_reference.normalised_errors(
            point[1], point[2], outputs, bs_reference.price_and_greeks(*point)
        )
        for name, error in errors.items():
            if error > worst[name] or not worst_at[name]:
                worst[name] = max(worst[name], error)
                worst_at[name] = list(point)
    return gas_all, worst, worst_at, reverts


def run() -> dict:
    import boa

    boa.env.enable_fast_mode()
    mock = boa.load(str(contract_path("mocks/black_scholes_mock.vy")))
    points = grid()
    gas_all, worst, worst_at, _ = _measure(mock, points)
    gas_live = [g for g, p in zip(gas_all, points, strict=True) if p[3] > 0 and p[4] > 0]
    gas_central = [g for g, p in zip(gas_all, points, strict=True) if _is_central(p)]
    result: dict = {
        "points": len(points),
        "gas_median": int(statistics.median(gas_all)),
        "gas_max": max(gas_all),
        "gas_median_live": int(statistics.median(gas_live)),
        "gas_max_live": max(gas_live),
        "gas_median_central": int(statistics.median(gas_central)),
        "gas_max_central": max(gas_central),
        "points_central": len(gas_central),
        "numpy_options_per_second": round(_numpy_throughput()),
    }
    for name, tolerance in bs_reference.TOLERANCES.items():
        result[f"max_err_{name}"] = worst[name]
        result[f"tolerance_{name}"] = tolerance
        result[f"pass_{name}"] = worst[name] <= tolerance
        result[f"worst_input_{name}"] = worst_at[name]
    result["gas_pass"] = result["gas_median"] <= 6_000 and result["gas_max"] <= 8_000

    ext_points = extension_grid()
    ext_gas, ext_worst, ext_worst_at, ext_reverts = _measure(mock, ext_points)
    result |= {
        "ext_points": len(ext_points),
        "ext_reverts": ext_reverts,
        "ext_gas_median": int(statistics.median(ext_gas)),
        "ext_gas_max": max(ext_gas),
    }
    for name, tolerance in bs_reference.TOLERANCES.items():
        result[f"ext_max_err_{name}"] = ext_worst[name]
        result[f"ext_pass_{name}"] = ext_worst[name] <= tolerance
        result[f"ext_worst_input_{name}"] = ext_worst_at[name]
    result |= _scenario(mock)
    return result


def rows(result: dict) -> list[tuple[str, str]]:
    out = [
        ("grid points", str(result["points"])),
        ("gas median / max (all)", f"{result['gas_median']:,} / {result['gas_max']:,}"),
        (
            "gas median / max (tau, vol > 0)",
            f"{result['gas_median_live']:,} / {result['gas_max_live']:,}",
        ),
        (
            f"gas median / max (|d1|, |d2| < 8: {result['points_central']} pts)",
            f"{result['gas_median_central']:,} / {result['gas_max_central']:,}",
        ),
        ("gas within 6,000 / 8,000", "yes" if result["gas_pass"] else "NO"),
    ]
    for name in bs_reference.TOLERANCES:
        verdict = "pass" if result[f"pass_{name}"] else "FAIL"
        out.append(
            (
                f"max err {name} (tol {result[f'tolerance_{name}']:.0e})",
                f"{result[f'max_err_{name}']:.2e} {verdict}",
            )
        )
    out.append(
        ("extension: points / reverts", f"{result['ext_points']:,} / {result['ext_reverts']}")
    )
    out.append(
        (
            "extension: gas median / max",
            f"{result['ext_gas_median']:,} / {result['ext_gas_max']:,}",
        )
    )
    for name in bs_reference.TOLERANCES:
        verdict = "pass" if result[f"ext_pass_{name}"] else "FAIL"
        out.append(
            (
                f"extension: max err {name}",
                f"{result[f'ext_max_err_{name}']:.2e} {verdict}",
            )
        )
    out += [
        (
            f"grid: gas median / max ({result['grid_legs']} legs x 6)",
            f"{result['grid_gas_median']:,} / {result['grid_gas_max']:,}",
        ),
        (
            "grid: vs 6 x price_and_greeks (median)",
            f"{result['grid_fused_gas_median']:,} ({result['grid_ratio_median']:.0%})",
        ),
        (
            f"grid: within {result['grid_target_gas']:,}",
            "yes" if result["grid_target_pass"] else "NO",
        ),
        ("grid: spot shifts, once per vault", f"{result['grid_shifts_gas']:,}"),
        (
            "grid: total domain legs / reverts",
            f"{result['grid_wide_legs']:,} / {result['grid_wide_reverts']}",
        ),
        (
            "grid: total domain gas median / max",
            f"{result['grid_wide_gas_median']:,} / {result['grid_wide_gas_max']:,}",
        ),
    ]
    for name, label in (("price", "value"), ("delta", "delta")):
        verdict = "pass" if result[f"grid_pass_{name}"] else "FAIL"
        out.append(
            (
                f"grid: max err {label} (tol {bs_reference.TOLERANCES[name]:.0e})",
                f"{result[f'grid_max_err_{name}']:.2e} {verdict}",
            )
        )
    out.append(("numpy model throughput", f"{result['numpy_options_per_second']:,} options/s"))
    return out
