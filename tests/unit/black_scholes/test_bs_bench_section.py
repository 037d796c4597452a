"""The bench framework (`ringfence.bench`) and its `black_scholes` section, without running it."""

import json

import pytest

from ringfence import bench
from ringfence import bs_reference as ref
from ringfence.bench import black_scholes as section


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


def test_grid__every_point__inside_domain_and_spanning_edges():
    points = section.grid()
    assert all(ref.domain_error(*p[1:]) is None for p in points)
    spots = {p[1] for p in points}
    assert min(spots) == ref.MIN_PRICE and max(spots) == ref.MAX_PRICE
    assert {p[3] for p in points} >= {0, 1, ref.MAX_TAU}
    assert {p[4] for p in points} >= {0, 10**12, ref.MAX_VOL}
    assert {p[5] for p in points} >= {ref.MIN_RATE, ref.MAX_RATE}
    ratios = {p[2] * 100 // p[1] for p in points}
    assert {1, 10_000} <= ratios


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
    }
    for name, tolerance in ref.TOLERANCES.items():
        result |= {f"max_err_{name}": tolerance / 10, f"tolerance_{name}": tolerance}
        result[f"pass_{name}"] = True
    rows = section.rows(result)
    assert ("gas median / max (all)", "4,000 / 6,000") in rows
    assert sum("pass" in value for _, value in rows) == len(ref.TOLERANCES)
