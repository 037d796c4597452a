"""Config loading, and configuration errors as ONE line with exit code 2 from the CLI."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from oracle.cli import cli
from oracle.config import ReplaySourceConfig, SimSourceConfig, load_config
from oracle.errors import ConfigError
from oracle.keystore import new_keystore
from oracle.sources.replay import load_replay
from ringfence.paths import ROOT

EXAMPLE = ROOT / "oracle" / "examples" / "local.yaml"
PASSWORD = "pusher test password"


def base(tmp_path: Path, **over) -> dict:
    cfg = {
        "chain_id": 31337,
        "rpc_urls": ["http://127.0.0.1:1"],
        "oracle": {"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
        "signer": {"keystore": "keys/k.json"},
        "feeds": [{"underlying": "ETH", "sources": [{"kind": "sim", "seed": 1}]}],
    }
    cfg.update(over)
    return cfg


def write(tmp_path: Path, cfg: dict | str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(cfg if isinstance(cfg, str) else yaml.safe_dump(cfg))
    return path


def test_load__example_config__parses_and_paths_resolve():
    cfg = load_config(EXAMPLE)
    assert [f.underlying for f in cfg.feeds] == ["ETH", "BTC"]
    replay, sim = cfg.feeds[0].sources
    assert isinstance(replay, ReplaySourceConfig) and isinstance(sim, SimSourceConfig)
    assert Path(replay.path) == EXAMPLE.parent / "eth_replay.csv"
    assert Path(cfg.signer.keystore) == EXAMPLE.parent / "keys" / "keeper.json"
    assert len(load_replay(replay.path)) == 9


def test_load__defaults__filled_in(tmp_path):
    cfg = load_config(write(tmp_path, base(tmp_path)))
    assert cfg.feeds[0].heartbeat == 3_600 and cfg.sending.replace_after_blocks == 3
    assert cfg.signer.password_env == "ORACLE_KEYSTORE_PASSWORD"


@pytest.mark.parametrize(
    "over,message",
    [
        ({"chain_id": "x"}, "config.chain_id: expected an integer"),
        ({"rpc_urls": []}, "at least one RPC URL"),
        ({"feeds": []}, "at least one feed"),
        ({"colour": "blue"}, "unknown option 'colour'"),
        ({"signer": {"keystore": "k", "password": "hunter2"}}, "passwords never go in the config"),
        (
            {"feeds": [{"underlying": "ETH", "sources": [{"kind": "oracle-of-delphi"}]}]},
            "unknown source kind",
        ),
        (
            {"feeds": [{"underlying": "ETH", "sources": [{"kind": "replay"}]}]},
            "config.feeds[0].sources[0].path: required option missing",
        ),
        ({"feeds": [{"underlying": "ETH", "sources": [{"kind": "sim"}]}] * 2}, "configured twice"),
        ({"sending": {"priority_fee_gwei": 500}}, "exceeds max_fee_ceiling_gwei"),
    ],
)
def test_load__bad_option__config_error_names_it(tmp_path, over, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, base(tmp_path, **over)))
    assert message in str(err.value)


def test_load__invalid_yaml__config_error_with_line(tmp_path):
    with pytest.raises(ConfigError, match=r"line \d+ invalid YAML"):
        load_config(write(tmp_path, "chain_id: 1\nrpc_urls: [a, b\nfeeds: []\n"))


def test_feed__unknown_name__config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown feed 'DOGE'"):
        load_config(write(tmp_path, base(tmp_path))).feed("DOGE")


def invoke(args, env=None):
    return CliRunner().invoke(cli, args, env=env or {})


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oracle: error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_push__missing_config__one_line_exit_2(tmp_path):
    line = one_line_error(invoke(["push", "--config", str(tmp_path / "none.yaml")]))
    assert "No such file" in line


def test_push__unknown_option__one_line_exit_2(tmp_path):
    line = one_line_error(invoke(["push", "--config", str(write(tmp_path, base(tmp_path, foo=1)))]))
    assert "unknown option 'foo'" in line


def test_push__wrong_password__one_line_exit_2(tmp_path):
    entry = new_keystore(tmp_path / "keys", PASSWORD)
    cfg = base(tmp_path, signer={"keystore": str(entry.path)})
    line = one_line_error(
        invoke(
            ["push", "--config", str(write(tmp_path, cfg))],
            env={"ORACLE_KEYSTORE_PASSWORD": "wrong"},
        )
    )
    assert "wrong password" in line


def test_push__bad_replay_row__one_line_exit_2(tmp_path):
    (tmp_path / "r.csv").write_text("timestamp,underlying,spot\n1700000000,ETH,-1\n")
    cfg = base(
        tmp_path, feeds=[{"underlying": "ETH", "sources": [{"kind": "replay", "path": "r.csv"}]}]
    )
    entry = new_keystore(tmp_path / "keys", PASSWORD)
    cfg["signer"] = {"keystore": str(entry.path)}
    line = one_line_error(
        invoke(
            ["push", "--config", str(write(tmp_path, cfg))],
            env={
                "ORACLE_KEYSTORE_PASSWORD": PASSWORD,
            },
        )
    )
    assert "r.csv:2: spot must be > 0" in line  # files are checked before any network


def test_push__every_rpc_unreachable__one_line_exit_2_via_console_script(tmp_path):
    """The real entry point (subprocess), not just click: exit 2, one stderr line."""
    entry = new_keystore(tmp_path / "keys", PASSWORD)
    cfg = base(
        tmp_path,
        signer={"keystore": str(entry.path)},
        rpc_urls=["http://127.0.0.1:1", "http://127.0.0.1:2"],
        rpc_timeout=1.0,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "oracle", "push", "--config", str(write(tmp_path, cfg))],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ORACLE_KEYSTORE_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "oracle: error: every RPC endpoint is unreachable"
    )
    assert "127.0.0.1:1" in lines[0] and "127.0.0.1:2" in lines[0]


def test_push_help__documents_every_option():
    out = invoke(["push", "--help"]).output
    for option in (
        "chain_id",
        "rpc_urls",
        "password_env",
        "deviation_bps",
        "vol_deviation",
        "heartbeat",
        "max_fee_ceiling_gwei",
        "replace_after_blocks",
        "jump_intensity",
        "max_fit_rmse",
        "on_end",
        "--dry-run",
        "--metrics-port",
    ):
        assert option in out


def test_build_source__every_kind_in_the_example__constructed():
    from oracle.service import build_source
    from oracle.sources.deribit import DeribitSource
    from oracle.sources.replay import ReplaySource
    from oracle.sources.sim import SimSource

    cfg = load_config(EXAMPLE)
    built = [build_source(f, s) for f in cfg.feeds for s in f.sources]
    assert [type(b) for b in built] == [ReplaySource, SimSource, DeribitSource]
    assert built[1].params.regimes == [0.55, 0.95] and built[1].params.seed == 7


def test_shipped_local_example__reads_the_oracle_from_the_deploy_record():
    # operator trial point 2: the example's hard-coded address was the token, not the Oracle
    from oracle.config import load_config
    from ringfence.paths import ROOT

    cfg = load_config(ROOT / "oracle" / "examples" / "local.yaml")
    assert cfg.oracle.address is None
    assert Path(cfg.oracle.deployment).resolve() == ROOT / "deployments" / "local-31337.json"


def test_rpc_urls__ape_network_choice__resolved_like_every_other_tool(tmp_path, monkeypatch):
    # operator trial point 3: the same `ethereum:local:foundry` + APE_FOUNDRY_HOST as the
    # deploy, the keeper, the Silverback bot and `ringfence`
    from ringfence.paths import ROOT

    monkeypatch.setenv("APE_FOUNDRY_HOST", "http://127.0.0.1:23545")
    doc = yaml.safe_load((ROOT / "oracle" / "examples" / "local.yaml").read_text())
    doc["rpc_urls"] = ["ethereum:local:foundry", "http://backup:8545"]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc))
    from oracle.config import load_config

    assert load_config(path).rpc_urls == ["http://127.0.0.1:23545", "http://backup:8545"]
    doc["rpc_urls"] = ["nonsense"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(Exception, match="config.rpc_urls: network 'nonsense'"):
        load_config(path)
