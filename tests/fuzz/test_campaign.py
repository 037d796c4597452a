"""The campaign CLI (ringfence-fuzz, ringfence/fuzz/campaign.py): a clean run, and a failure
turned into a replay test file that imports, names the engine and replays its steps."""

from __future__ import annotations

from hypothesis.stateful import invariant

from ringfence.fuzz import campaign
from ringfence.fuzz.machine import deployment

# Deploy at import (collection), outside the per-test anchors of boa's pytest plugin, so
# both tests share one deployment (ringfence.fuzz.machine.deployment redeploys one rolled back).
deployment(6, False)


def _standard6(capsys, steps: int, seed: int, examples: int, run_steps: int):
    """(exit code, printed output) of a standard-token campaign."""
    code = campaign.main(
        ["--steps", str(steps), "--seconds", "120", "--seed", str(seed),
         "--machine", "standard6", "--examples", str(examples), "--run-steps", str(run_steps)]
    )  # fmt: skip
    return code, capsys.readouterr().out


def test_campaign__clean_run__exit_0_and_rule_table(capsys):
    code, out = _standard6(capsys, steps=200, seed=5, examples=4, run_steps=25)
    assert code == 0
    assert "engine revm" in out
    assert "no invariant violated" in out
    assert "open_tradeable_position" in out


def test_campaign__failure__shrunk_replay_file_written(tmp_path, monkeypatch, capsys):
    original = campaign.machine_class

    def failing(name, evm=None):
        class Failing(original(name, evm)):
            @invariant()
            def trader_never_funded(self):
                assert self.m.free[self.d.traders[0]] == 0, "trader 0 has a free balance"

        return Failing

    monkeypatch.setattr(campaign, "machine_class", failing)
    monkeypatch.setattr(campaign, "REGRESSIONS", tmp_path)
    code, out = _standard6(capsys, steps=2000, seed=9, examples=20, run_steps=10)
    assert code == 1
    assert "trader 0 has a free balance" in out
    (path,) = tmp_path.glob("test_regression_standard6_*.py")
    source = path.read_text()
    assert 'EVM = "revm"' in source
    assert "xfail(strict=True" in source
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)
    # The replay runs on the real machine (no extra invariant): the steps hold there.
    (test,) = [v for k, v in namespace.items() if k.startswith("test_regression_")]
    test()


def test_deployment__rolled_back_by_a_snapshot__deployed_again():
    import boa

    with boa.env.anchor():
        inside = deployment(18, False)
        assert boa.env.get_code(inside.pool.address)
    again = deployment(18, False)
    assert again is not inside
    assert again.pool.totalSupply() > 0
    assert deployment(18, False) is again


def _campaign_process(*args: str):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [str(Path(sys.executable).with_name("ringfence-fuzz")), *args],
        capture_output=True, text=True, timeout=600, cwd=root,
    )  # fmt: skip


def test_campaign__params_file__fuzzes_and_prints_its_parameters(tmp_path):
    # operator trial point 6: the campaign never printed what it fuzzed, and it was not
    # the operator's parameter file
    import yaml

    from ringfence.paths import ROOT

    doc = yaml.safe_load((ROOT / "deploy" / "local.yaml").read_text())
    doc["risk"]["ETH"]["im_factor"] = 1.5
    doc["token"]["decimals"] = 8
    params = tmp_path / "mine.yaml"
    params.write_text(yaml.safe_dump(doc))
    run = _campaign_process(
        "--steps", "150", "--seconds", "60", "--seed", "4", "--examples", "3",
        "--run-steps", "25", "--params", str(params),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"parameters fuzzed ({params}, risk.ETH):" in run.stdout
    assert "  im_factor            1500000000000000000" in run.stdout
    assert "machines token8" in run.stdout and "no invariant violated" in run.stdout


def test_campaign__params_file_that_does_not_load__one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("risk: {ETH: {im_factr: 1.5}}\n")
    run = _campaign_process("--steps", "10", "--seconds", "5", "--params", str(bad))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: error: ")
