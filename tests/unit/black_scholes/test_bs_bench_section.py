"""The bench framework (`ringfence.bench`) and its `black_scholes` section, without running it."""

import json

import pytest

from ringfence import bench
from ringfence import bs_reference as ref
from ringfence.bench import black_scholes as section

WAD = ref.WAD


def test_discover__package_modules__black_scholes_section_found():
    sections = bench.discover()
    assert sections["black_scholes"] is section
    assert all(not name.startswith("_") for name in sections)


def test_select__unknown_name__raises_with_available_sections():
    with pytest.raises(bench.BenchError, match="unknown bench section"):
        bench.select(bench.discover(), ["no_such_section"])


def test_merge_report__subset_run__keeps_other_sections(tmp_path):
    path = tmp_path / "reports" / "bench.json"
    bench.merge_report({"other": {"x": 1}, "black_scholes": {"gas_median": 1}}, path)
    bench.merge_report({"black_scholes": {"gas_median": 2}}, path)
    assert json.loads(path.read_text()) == {
        "other": {"x": 1},
        "black_scholes": {"gas_median": 2},
    }


def test_grid__every_point__inside_old_domain_and_spanning_edges():
    points = section.grid()
    assert len(points) == 1_920
    assert all(ref.in_core_domain(*p[1:]) for p in points)
    spots = {p[1] for p in points}
    assert min(spots) == ref.CORE_MIN_PRICE and max(spots) == ref.MAX_PRICE
    assert {p[3] for p in points} >= {0, 1, ref.MAX_TAU}
    assert {p[4] for p in points} >= {0, 10**12, ref.CORE_MAX_VOL}
    assert {p[5] for p in points} >= {ref.MIN_RATE, ref.MAX_RATE}
    ratios = {p[2] * 100 // p[1] for p in points}
    assert {1, 10_000} <= ratios


def test_extension_grid__every_point__total_domain_outside_old_one():
    points = section.extension_grid()
    assert all(ref.domain_error(*p[1:]) is None for p in points)
    assert not any(ref.in_core_domain(*p[1:]) for p in points)
    assert {p[1] for p in points} >= {1, ref.MAX_PRICE}
    assert {p[2] for p in points} >= {1, ref.MAX_PRICE}
    assert {p[4] for p in points} >= {10 * WAD + 1, 10**24, 2**256 - 1}


def test_rows__sample_result__one_row_per_metric():
    result = {
        "points": 10,
        "gas_median": 4_000,
        "gas_max": 6_000,
        "gas_median_live": 4_500,
        "gas_max_live": 6_000,
        "gas_median_central": 5_800,
        "gas_max_central": 6_000,
        "points_central": 4,
        "gas_pass": True,
        "numpy_options_per_second": 10**6,
        "ext_points": 3,
        "ext_reverts": 0,
        "ext_gas_median": 4_100,
        "ext_gas_max": 7_000,
        "grid_legs": 240,
        "grid_gas_median": 16_000,
        "grid_gas_max": 16_500,
        "grid_fused_gas_median": 33_000,
        "grid_ratio_median": 0.48,
        "grid_target_gas": 12_000,
        "grid_target_pass": False,
        "grid_shifts_gas": 3_000,
        "grid_wide_legs": 5,
        "grid_wide_reverts": 0,
        "grid_wide_gas_median": 9_000,
        "grid_wide_gas_max": 17_000,
        "grid_max_err_price": 1e-17,
        "grid_pass_price": True,
        "grid_max_err_delta": 1e-17,
        "grid_pass_delta": True,
    }
    for name, tolerance in ref.TOLERANCES.items():
        result |= {f"max_err_{name}": tolerance / 10, f"tolerance_{name}": tolerance}
        result |= {f"ext_max_err_{name}": tolerance / 100, f"ext_pass_{name}": True}
        result[f"pass_{name}"] = True
    rows = section.rows(result)
    assert ("gas median / max (all)", "4,000 / 6,000") in rows
    assert ("extension: points / reverts", "3 / 0") in rows
    assert ("grid: gas median / max (240 legs x 6)", "16,000 / 16,500") in rows
    assert ("grid: within 12,000", "NO") in rows
    assert sum("pass" in value for _, value in rows) == 2 * len(ref.TOLERANCES) + 2


def test_scenario_legs__near_the_money_and_total_domain__valid_grid_inputs():
    legs = section.scenario_legs()
    assert len(legs) == 240
    assert all(0.8 <= leg[2] / leg[1] <= 1.2 for leg in legs)
    wide = section.scenario_wide_legs()
    assert all(ref.domain_error(leg[1], leg[2], leg[3], leg[7], leg[4]) is None for leg in wide)
    assert {leg[1] for leg in wide} >= {1, ref.MAX_PRICE}
    assert {(leg[5], leg[6]) for leg in wide} >= {(10 * WAD, WAD - 1)}
