"""The CLI end to end in quick mode, and every kind of bad input as one line and exit code 2."""

import json

import pytest
import yaml

from ringfence.paths import ROOT
from ringfence.tools.backtest.book import EXPIRY_SECONDS, build_book
from ringfence.tools.backtest.cli import main
from ringfence.tools.backtest.market import build_start

PARAMS = str(ROOT / "deploy" / "local.yaml")


def _without_timings(node):
    if isinstance(node, dict):
        return {k: _without_timings(v) for k, v in node.items() if k != "seconds"}
    if isinstance(node, list):
        return [_without_timings(v) for v in node]
    return node


@pytest.fixture(scope="module")
def quick_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "quick.yaml"
    path.write_text(yaml.safe_dump({"quick_paths": 400, "seed": 11}))
    return path


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, quick_config):
    """Two quick runs of the same inputs (the second without charts)."""
    outs = [tmp_path_factory.mktemp("run"), tmp_path_factory.mktemp("again")]
    codes = [
        main(["--params", PARAMS, "--config", str(quick_config), "--quick", "--out", str(outs[0])]),
        main(["--params", PARAMS, "--config", str(quick_config), "--quick", "--out", str(outs[1]),
              "--no-charts"]),
    ]  # fmt: skip
    return codes, outs


def test_quick_run__writes_every_strategy_and_horizon(quick_runs, default_config):
    codes, (out, _) = quick_runs
    assert codes == [0, 0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"]["paths"] == 400 and summary["inputs"]["seed"] == 11
    assert summary["inputs"]["risk"]["spot_shock"] == 0.06
    assert summary["versions"]["packages"]["titanoboa"]
    assert set(summary["starts"]) == {"calm", "stressed"}
    for params in default_config.starts:
        start = summary["starts"][params.name]
        expected = [s.key for s in build_book(build_start(params, default_config.model, 0.0,
                                                          EXPIRY_SECONDS))]  # fmt: skip
        assert [s["key"] for s in start["strategies"]] == expected
        for s in start["strategies"]:
            assert s["mm"] > 0 and s["im"] >= s["mm"]
            assert s["collateral_at_mm"] == pytest.approx(s["mm"] + s["contract"]["cost"])
            assert s["capital"]["reg_t_new_money"] > 0 and s["capital"]["deribit_new_money"] > 0
            assert set(s["horizons"]) == {"1m", "1h", "1d"}
            for f in s["horizons"].values():
                k = f["kupiec"]
                assert k["trials"] == 400 and k["breaches"] == f["breaches"]
                assert f["breach_rate"] == f["breaches"] / 400
                assert k["verdict"] in ("pass", "fail", "conservative")
                assert f["worst_over_mm"] >= f["es_over_mm"] >= f["var_over_mm"]
                # a breach rate above the tail means the tail quantile is beyond MM
                assert (f["breaches"] > 2) <= (f["var_over_mm"] >= 1.0)
        assert start["book"]["im_over_reg_t"] > 0
        assert start["checks"]["max_start_value_gap_model_vs_contract"] < 1e-6 * 3000
    for chart in ("breach_rates.png", "loss_over_mm.png", "capital.png"):
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quick_run__same_inputs__same_figures(quick_runs):
    _, outs = quick_runs
    first, second = (json.loads((o / "summary.json").read_text()) for o in outs)
    assert _without_timings(first) == _without_timings(second)


def _one_line_error(capsys, argv, pattern):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("backtest: error: ")
    assert pattern in err, err


def test_cli__missing_params_file__one_line(capsys, tmp_path):
    _one_line_error(capsys, ["--params", str(tmp_path / "x.yaml")], "x.yaml does not exist")


def test_cli__missing_config_file__one_line(capsys, tmp_path):
    argv = ["--params", PARAMS, "--config", str(tmp_path / "c.yaml")]
    _one_line_error(capsys, argv, "config file")


def test_cli__typo_in_config__one_line_with_suggestion(capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  vol:\n    mean_revertion: 3\n")
    argv = ["--params", PARAMS, "--config", str(path)]
    _one_line_error(capsys, argv, "config.model.vol.mean_revertion: unknown key (did you mean")


def test_cli__typo_in_option__one_line(capsys):
    _one_line_error(capsys, ["--parms", PARAMS], "--parms")


def test_cli__bad_risk_override__one_line(capsys):
    _one_line_error(capsys, ["--params", PARAMS, "--set-risk", "vol_shok=0.1"], "--set-risk")


def test_cli__params_file_with_unknown_risk_key__one_line(capsys, tmp_path):
    data = yaml.safe_load((ROOT / "deploy" / "local.yaml").read_text())
    data["risk"]["ETH"]["spot_shok"] = 0.1
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    expected = "risk.ETH.spot_shok: unknown key (did you mean 'spot_shock'?)"
    _one_line_error(capsys, ["--params", str(path)], expected)


def test_cli__parameters_the_contract_refuses__one_line(capsys, tmp_path):
    argv = ["--params", PARAMS, "--set-risk", "spot_shock=0.9", "--quick", "--out", str(tmp_path)]
    # refused in Python, before the contract is asked, with the contract's own limit
    _one_line_error(capsys, argv, "spot_shock: 0.9 is outside the contract's range [0.01, 0.5]")


def test_cli__help__exit_zero(capsys):
    assert main(["--help"]) == 0
    assert "--params" in capsys.readouterr().out
