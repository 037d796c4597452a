"""The campaign CLI (tests/fuzz/campaign.py): a clean run, and a failure turned into a
replay test file that imports, names the engine and replays its steps."""

from __future__ import annotations

import campaign
from hypothesis.stateful import invariant
from ringfence_machine import deployment

# Deploy at import (collection), outside the per-test anchors of boa's pytest plugin, so
# both tests share one deployment (ringfence_machine.deployment redeploys one rolled back).
deployment(6, False)


def test_campaign__clean_run__exit_0_and_rule_table(capsys):
    code = campaign.main(
        ["--steps", "200", "--seconds", "60", "--seed", "5", "--machine", "standard6",
         "--examples", "4", "--run-steps", "25"]
    )  # fmt: skip
    out = capsys.readouterr().out
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
    code = campaign.main(
        ["--steps", "2000", "--seconds", "120", "--seed", "9", "--machine", "standard6",
         "--examples", "20", "--run-steps", "10"]
    )  # fmt: skip
    out = capsys.readouterr().out
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
