"""`keeper run` start-up: every configuration error is one line and a non-zero exit."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from keeper_helpers import WAD, KeeperProcess, run_keeper_once, seed_puts, split

from keeper import devnet


def _assert_one_line_error(result, expected: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("keeper: error: ") and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_run__missing_deployment_file__one_line_error(node, tmp_path):
    missing = tmp_path / "nope.json"
    result = run_keeper_once(
        "run", "--network", node.url, "--deployment", str(missing), "--account", "TEST::4"
    )
    _assert_one_line_error(result, f"deployment file {missing}")


def test_run__unreachable_rpc__one_line_error(deployment):
    url = f"http://127.0.0.1:{devnet.free_port()}"
    result = run_keeper_once("run", "--network", url, "--deployment", str(deployment))
    _assert_one_line_error(result, f"RPC {url} unreachable")
    assert result.stderr.strip() == f"keeper: error: RPC {url} unreachable: connection refused"


def test_run__deployment_of_another_chain__one_line_error(net, tmp_path):
    record = {**net.record, "chain_id": 1}
    path = tmp_path / "mainnet.json"
    path.write_text(json.dumps(record))
    result = run_keeper_once("run", "--network", net.node.url, "--deployment", str(path))
    _assert_one_line_error(result, "is for chain id 1")


def _run_with_keystore(node, deployment, tmp_path, key, password, given):
    """`keeper run` with a keystore of `key` encrypted under `password`, `given` as the
    password file's content."""
    keystore = Account.encrypt(key, password, kdf="pbkdf2", iterations=1_000)
    (tmp_path / "ks.json").write_text(json.dumps(keystore))
    (tmp_path / "pw.txt").write_text(given + "\n")
    return run_keeper_once(
        "run", "--network", node.url, "--deployment", str(deployment),
        "--account", str(tmp_path / "ks.json"), "--password-file", str(tmp_path / "pw.txt"),
    )  # fmt: skip


def test_run__wrong_keystore_password__one_line_error(node, deployment, tmp_path):
    result = _run_with_keystore(node, deployment, tmp_path, devnet.test_key(4), "right", "wrong")
    _assert_one_line_error(result, "wrong password")


def test_run__unfunded_keystore_signer__one_line_error(node, deployment, tmp_path):
    # operator trial point 9: an account that cannot pay for gas started and failed later
    fresh = Account.create()
    result = _run_with_keystore(node, deployment, tmp_path, fresh.key, "pw", "pw")
    _assert_one_line_error(result, f"signer {fresh.address} has no ETH on chain id 31337")


def test_run__test_account_beyond_the_node__one_line_error(node, deployment):
    result = run_keeper_once(
        "run", "--network", node.url, "--deployment", str(deployment), "--account", "TEST::99"
    )
    _assert_one_line_error(result, "TEST::0 to TEST::9")


@pytest.mark.parametrize("shard", ["2/2", "one/two", "0/0"])
def test_run__bad_shard__one_line_error(deployment, node, shard):
    result = run_keeper_once(
        "run", "--network", node.url, "--deployment", str(deployment), "--shard", shard
    )
    _assert_one_line_error(result, "--shard")


def test_run__test_account_on_a_non_dev_chain__refused(tmp_path):
    other = devnet.start_anvil("--chain-id", "5")
    try:
        net = devnet.deploy(other)
        path = net.write(tmp_path / "chain5.json")
        result = run_keeper_once(
            "run", "--network", other.url, "--deployment", str(path), "--account", "TEST::4"
        )
        _assert_one_line_error(result, "test accounts only on chain id 31337/1337")
    finally:
        other.stop()


def test_run__no_account__dry_run_sends_nothing_but_says_what_it_would(net, deployment, tmp_path):
    ids = seed_puts(net, 60)
    keeper = KeeperProcess(net.node.url, deployment, None, tmp_path / "keeper")
    try:
        keeper.wait_scanning()
        (started,) = keeper.events("started")
        assert started["dry_run"] is True and started["signer"] is None
        crash_block = devnet.push_spot(net, 2_700 * WAD)
        unhealthy, _ = split(net, ids, crash_block)
        assert unhealthy
        keeper.wait_for(
            lambda: any("dry run: would liquidate" in e["event"] for e in keeper.lines()),
            30,
            "a dry-run line",
        )
        assert not keeper.events("submitted")
        assert not devnet.events(net, "PositionLiquidated", crash_block)
    finally:
        assert keeper.stop() == 0


def test_run__metrics_port__serves_prometheus_figures(net, deployment, tmp_path):
    import requests

    seed_puts(net, 20)
    port = devnet.free_port()
    keeper = KeeperProcess(
        net.node.url, deployment, "TEST::4", tmp_path / "keeper", "--metrics-port", str(port)
    )
    try:
        keeper.wait_for(
            lambda: any(e["positions"] == 20 for e in keeper.events("scan")), 60, "indexing"
        )
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        figures = {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }
        assert figures["keeper_positions_indexed"] == 20
        assert figures["keeper_last_block"] >= 1
        assert figures["keeper_signer_balance_wei"] > 0
        assert 'keeper_vaults_total{action="liquidate",outcome="mined"}' in figures
        assert "keeper_scan_seconds" in figures and "keeper_candidates" in figures
    finally:
        assert keeper.stop() == 0


@pytest.mark.parametrize("name", ["Registry", "ClearingHouseView"])
def test_run__no_code_at_a_recorded_contract__one_line_error(net, tmp_path, name):
    record = json.loads(json.dumps(net.record))
    record["contracts"][name]["address"] = net.roles["trader"]  # an account, not a contract
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(record))
    result = run_keeper_once("run", "--network", net.node.url, "--deployment", str(path))
    _assert_one_line_error(result, f"no {name} code at {net.roles['trader']}")


def test_run__max_scans_on_an_idle_chain__exits_after_idle_polls(net, deployment, tmp_path):
    # automine anvil with no traffic: the head never moves after the first scan
    result = run_keeper_once(
        "run", "--network", net.node.url, "--deployment", str(deployment), "--dry-run",
        "--max-scans", "2", "--poll-interval", "0.2",
        "--checkpoint", str(tmp_path / "ckpt.json"),
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    stopped = [e for e in events if e["event"] == "stopped"]
    assert stopped and stopped[0]["scans"] == 1 and stopped[0]["polls"] == 2
