"""The deploy script on anvil: every contract deployed, wired, recorded — and usable."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringfence import deployer as deployment
from ringfence import records
from ringfence.deploy_config import load
from ringfence.oracle_types import underlying_id
from ringfence.paths import ROOT

ETH = underlying_id("ETH")


@pytest.fixture(scope="module")
def config():
    return load(ROOT / "deploy" / "local.yaml")


@pytest.fixture(scope="module")
def deployed(project, chain, accounts, config, deployer):
    record = deployment.deploy(
        project, chain, accounts, deployer, config, "local", log=lambda *_: None
    )
    contracts = {
        name: project.ClearingHouse.at(entry["address"])
        if name == "ClearingHouse"
        else entry["address"]
        for name, entry in record["contracts"].items()
    }
    return record, contracts


def test_deploy__local__every_contract_has_code_and_block(chain, deployed):
    record, _ = deployed
    expected = {
        "MockToken",
        "SurfaceChecker",
        "OracleGovernor",
        "Oracle",
        "MarginEngine",
        "Registry",
        "ClearingHouse",
        "ClearingHouseView",
        "LiquidityPool",
    }
    assert expected <= set(record["contracts"])
    assert "Chainlink:ETH" in record["contracts"]
    for entry in record["contracts"].values():
        assert len(chain.provider.get_code(entry["address"])) > 0
        assert entry["block"] is not None and entry["block"] >= record["block"]
        assert entry["abi_source"].startswith("contracts/")
        assert any(item.get("type") == "function" for item in entry["abi"])


def test_deploy__local__contracts_wired_together(project, deployed, config):
    record, contracts = deployed
    addresses = {name: entry["address"] for name, entry in record["contracts"].items()}
    clearing = contracts["ClearingHouse"]
    oracle = project.Oracle.at(addresses["Oracle"])
    engine = project.MarginEngine.at(addresses["MarginEngine"])
    registry = project.Registry.at(addresses["Registry"])
    view = project.ClearingHouseView.at(addresses["ClearingHouseView"])
    pool = project.LiquidityPool.at(addresses["LiquidityPool"])
    assert clearing.pool() == addresses["LiquidityPool"]
    assert clearing.TOKEN() == addresses["MockToken"]
    assert clearing.REGISTRY() == addresses["Registry"] == view.REGISTRY() == pool.REGISTRY()
    assert view.CLEARING_HOUSE() == addresses["ClearingHouse"] == pool.CLEARING_HOUSE()
    assert engine.ORACLE() == addresses["Oracle"] == clearing.ORACLE()
    assert oracle.SURFACE_CHECKER() == addresses["SurfaceChecker"]
    governor = project.OracleGovernor.at(addresses["OracleGovernor"])
    assert oracle.GOVERNOR() == addresses["OracleGovernor"] and governor.oracle() == oracle.address
    assert governor.owner() == record["deployer"]
    assert oracle.is_signer(record["roles"]["oracle_signer"])
    assert registry.guardian() == record["roles"]["guardian"]
    assert registry.owner() == record["deployer"]
    assert len(record["series_ids"]) == 5 * 2 + 3 * 2
    series = registry.series(record["series_ids"][0])
    assert series.underlying == ETH and series.expiry in record["expiries"]["ETH"]


def test_deploy__local__first_prices_pushed_and_pool_seeded(project, deployed, config):
    record, contracts = deployed
    addresses = {name: entry["address"] for name, entry in record["contracts"].items()}
    oracle = project.Oracle.at(addresses["Oracle"])
    pool = project.LiquidityPool.at(addresses["LiquidityPool"])
    assert oracle.price(ETH) == config.feeds[0].initial_spot
    expiry = record["expiries"]["ETH"][0]
    vol = oracle.vol(ETH, config.feeds[0].initial_spot, expiry)
    assert abs(vol - config.feeds[0].initial_vol) <= 10**9  # flat surface, sqrt rounding
    assert pool.totalAssets() >= config.local_pool_seed


def test_deploy__local__trader_can_open_and_close_a_straddle(project, accounts, deployed, config):
    record, contracts = deployed
    clearing = contracts["ClearingHouse"]
    token = project.MockToken.at(record["contracts"]["MockToken"]["address"])
    trader = accounts[config.local_roles["trader"]]
    unit = 10**config.token.decimals
    registry = project.Registry.at(record["contracts"]["Registry"]["address"])
    view = project.ClearingHouseView.at(record["contracts"]["ClearingHouseView"]["address"])
    call_id, put_id = _atm_pair(registry, record, strike=3000 * 10**18)

    token.approve(clearing.address, 10_000 * unit, sender=trader)
    clearing.deposit(10_000 * unit, sender=trader)
    receipt = clearing.open_position(
        [(call_id, 10**18), (put_id, 10**18)], 2_000 * unit, 100 * unit, sender=trader
    )
    position_id = receipt.return_value
    equity, initial, maintenance = clearing.health(position_id)
    assert 0 < maintenance <= initial <= equity
    assert not view.is_liquidatable(position_id)

    clearing.close_position(position_id, 100 * unit, sender=trader)
    assert clearing.health(position_id) == (0, 0, 0)
    assert 0 < clearing.free_balance(trader) <= 10_000 * unit


def _atm_pair(registry, record, strike):
    call_id = put_id = None
    for series_id in record["series_ids"]:
        series = registry.series(series_id)
        if series.strike == strike and series.expiry == record["expiries"]["ETH"][0]:
            if series.is_call:
                call_id = series_id
            else:
                put_id = series_id
    assert call_id and put_id
    return call_id, put_id


def test_write__record__json_with_addresses_and_abis(tmp_path, deployed):
    record, _ = deployed
    path = deployment.write(record, records.record_path("local", record["chain_id"], tmp_path))
    written = json.loads(path.read_text())
    assert path.name == f"local-{record['chain_id']}.json" and written["complete"] is True
    assert written["contracts"]["Oracle"]["address"] == record["contracts"]["Oracle"]["address"]
    assert written["parameters"]["token"]["decimals"] == 6


APE = str(Path(sys.executable).parent / "ape")
LOCAL_YAML = (ROOT / "deploy" / "local.yaml").read_text()


def ape_deploy(*args: str, node=None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`ape run deploy <args>`; on ``node`` (an anvil on its own port) when given."""
    network = ["--network", "ethereum:local:foundry"]
    if node is not None:
        network += ["--provider-settings", json.dumps({"host": node.url})]
    return subprocess.run(
        [APE, "run", "deploy", *args, *network],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


@pytest.fixture
def node():
    from keeper import devnet

    anvil = devnet.start_anvil()
    yield anvil
    anvil.stop()


def test_cli__missing_parameter_file__one_line_error_and_nonzero_exit(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = ape_deploy("contracts", "--account", "TEST::0", "--params", str(missing))
    assert result.returncode != 0
    assert f"parameter file {missing} does not exist" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


BAD_PARAMETERS = [
    ("im_factor: 1.25 ", "im_factor: 0.5 ", "risk.ETH.im_factor: 0.5 is outside the contract's"),
    (
        "      max_age: 3600 ",
        "      max_agee: 60 ",
        "max_agee: unknown key (did you mean 'max_age'?)",
    ),
    ("guardian: guardian ", "bogus_key: 1\nguardian: guardian ", "bogus_key: unknown key"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_PARAMETERS)
def test_cli__bad_parameter__one_line_and_nothing_sent(node, tmp_path, old, new, expected):
    assert old in LOCAL_YAML
    params = tmp_path / "bad.yaml"
    params.write_text(LOCAL_YAML.replace(old, new))
    result = ape_deploy("contracts", "--account", "TEST::0", "--params", str(params), node=node)
    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1 and expected in lines[0], lines
    assert node.w3.eth.block_number == 0  # not one transaction


def test_cli__dry_run__prints_the_plan_and_sends_nothing(node):
    result = ape_deploy("contracts", "--account", "TEST::0", "--dry-run", node=node)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Plan: Ringfence on ethereum:local (chain id 31337)" in result.stdout
    assert "im_factor 1.25" in result.stdout and "16 series" in result.stdout
    assert result.stdout.rstrip().endswith("dry run: parameters valid; nothing was sent")
    assert node.w3.eth.block_number == 0


def test_cli__record_per_chain__archived_not_overwritten_and_show_checks_the_chain(node, tmp_path):
    records_dir = tmp_path / "deployments"
    first = ape_deploy(
        "contracts", "--account", "TEST::0", "--deployments", str(records_dir), node=node
    )
    assert first.returncode == 0, first.stdout + first.stderr
    path = records_dir / "local-31337.json"
    one = json.loads(path.read_text())
    assert one["complete"] is True and one["chain_id"] == 31337 and len(one["contracts"]) == 10

    second = ape_deploy(
        "contracts", "--account", "TEST::0", "--deployments", str(records_dir), node=node
    )
    assert second.returncode == 0, second.stdout + second.stderr
    archived = [p for p in records_dir.iterdir() if p.name.startswith("local-31337.2")]
    assert len(archived) == 1 and f"previous record archived to {archived[0]}" in second.stdout
    assert json.loads(archived[0].read_text()) == one  # the first record, untouched
    two = json.loads(path.read_text())
    assert two["contracts"]["Oracle"]["address"] != one["contracts"]["Oracle"]["address"]

    shown = ape_deploy("show", "--deployments", str(records_dir), node=node)
    assert shown.returncode == 0 and two["contracts"]["Oracle"]["address"] in shown.stdout

    # a record whose chain id is not the node's
    path.write_text(json.dumps({**two, "chain_id": 11155111}))
    refused = ape_deploy("show", "--deployments", str(records_dir), node=node)
    assert refused.returncode != 0
    assert error_lines(refused) == [
        f"ERROR:    deployment {path} is for chain id 11155111, the node at local is chain id 31337"
    ]


def test_cli__show_on_a_fresh_chain_with_the_same_id__refused(node, tmp_path):
    from keeper import devnet

    records_dir = tmp_path / "deployments"
    done = ape_deploy(
        "contracts", "--account", "TEST::0", "--deployments", str(records_dir), node=node
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fresh = devnet.start_anvil()
    try:
        refused = ape_deploy("show", "--deployments", str(records_dir), node=fresh)
    finally:
        fresh.stop()
    assert refused.returncode != 0
    lines = error_lines(refused)
    assert len(lines) == 1 and "none of its 10 contracts has code on this node" in lines[0]


def test_cli__interrupted_mid_deploy__record_of_what_exists_marked_incomplete(node, tmp_path):
    records_dir = tmp_path / "deployments"
    path = records_dir / "local-31337.json"
    command = [
        APE, "run", "deploy", "contracts", "--account", "TEST::0",
        "--deployments", str(records_dir), "--network", "ethereum:local:foundry",
        "--provider-settings", json.dumps({"host": node.url}),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert path.exists(), "no record written after the first contract"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out + err).decode()
    assert "interrupted: " in err.decode() and "recorded (incomplete)" in err.decode()
    record = json.loads(path.read_text())
    assert record["complete"] is False and record["error"] == "interrupted"
    assert 1 <= len(record["contracts"]) < 9
    for entry in record["contracts"].values():
        assert len(node.w3.eth.get_code(entry["address"])) > 0
