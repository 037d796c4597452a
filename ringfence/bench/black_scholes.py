"""Bench section ``black_scholes``: gas and accuracy of the fixed-point library.

Over the grids below (documented in docs/math.md) it measures ``price_and_greeks_gas``
(msg.gas around the internal call) and the error of every output against the 50-digit
mpmath reference on the exact integer inputs, normalised like the tolerances
(``ringfence.bs_reference.normalised_errors``):

- ``grid()``: the pre-extension domain, edges included (the figures before and after the
  total-domain extension are comparable point for point);
- ``extension_grid()``: the rest of the total domain -- prices down to 1 wei, strike/spot
  from 1e-30 to 1e30, vols above 10.0 up to 2**256 - 1 -- where nothing may revert.

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
    out.append(("numpy model throughput", f"{result['numpy_options_per_second']:,} options/s"))
    return out
