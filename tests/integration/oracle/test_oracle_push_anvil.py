"""`oracle push` as a real process against anvil: values land on-chain (and `oracle show`
reads them), a dry run sends nothing, failover works, a stuck transaction is replaced at the
same nonce, and misconfigurations exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from eth_account import Account
from oracle_pusher_helpers import (
    GOVERNANCE_KEY,
    KEEPER_KEY,
    ORACLE_CLI,
    deploy_oracle,
    free_port,
    log_events,
    pusher_env,
    run_pusher,
    start_anvil,
    transact,
    write_config,
)

from ringfence.oracle_types import underlying_id

pytestmark = pytest.mark.integration

ETH = underlying_id("ETH")
WAD = 10**18


def replay_csv(path: Path, expiry: int, rows: list[tuple[float, float]]) -> Path:
    """One (spot, flat vol) observation per row, one second apart."""
    lines = ["timestamp,underlying,spot,expiry,vol"]
    for i, (spot, vol) in enumerate(rows):
        lines.append(f"{1_700_000_000 + i},ETH,{spot},,")
        lines.append(f"{1_700_000_000 + i},ETH,{spot},{expiry},{vol}")
    path.write_text("\n".join(lines) + "\n")
    return path


def push_rows(anvil, oracle_artifact, keeper_keystore, tmp_path, rows):
    """A fresh oracle, and `oracle push` of `rows` (spot, flat vol) through a replay file
    until it ends: (deployment, config path, finished process), the process checked."""
    deployed = deploy_oracle(anvil, oracle_artifact)
    replay = replay_csv(tmp_path / "eth.csv", deployed.expiry, rows)
    config = write_config(
        tmp_path, [anvil.url], deployed.address, oracle_artifact["abi_file"], keeper_keystore,
        replay,
    )  # fmt: skip
    proc = run_pusher(config)
    assert proc.returncode == 0, proc.stderr
    return deployed, config, proc


def test_push__replay_file__values_land_on_chain(anvil, oracle_artifact, keeper_keystore, tmp_path):
    deployed = deploy_oracle(anvil, oracle_artifact)
    replay = replay_csv(tmp_path / "eth.csv", deployed.expiry, [(2_000, 0.60), (2_050, 0.70)])
    config = write_config(tmp_path, [anvil.url], deployed.address, None, keeper_keystore, replay)

    # abi_file unset: the pusher reads the packaged IRingfenceOracle ABI (the default path).
    proc = run_pusher(config)

    assert proc.returncode == 0, proc.stderr
    oracle = deployed.contract.functions
    assert oracle.price(ETH).call() == 2_050 * WAD
    atm = oracle.atm_vol(ETH, deployed.expiry).call() / WAD
    assert atm == pytest.approx(0.70, abs=1e-6)
    assert oracle.vol(ETH, 2_050 * WAD, deployed.expiry).call() / WAD == pytest.approx(
        0.70, abs=1e-6
    )
    keeper = Account.from_key(KEEPER_KEY).address
    assert oracle.fresh_report_count(ETH, 0).call() == 1
    assert oracle.signer_report(keeper, ETH, 0).call()[0] == 2_050 * WAD
    events = log_events(proc.stderr)
    done = [e for e in events if e["event"] == "batch_done"]
    assert len(done) == 2 and all(e["accepted"] == 2 and e["rejected"] == 0 for e in done)

    show_config = write_config(  # same deployment; an ABI file spares a second compile
        tmp_path,
        [anvil.url],
        deployed.address,
        oracle_artifact["abi_file"],
        keeper_keystore,
        replay,
    )
    shown = subprocess.run(
        [str(ORACLE_CLI), "show", "--config", str(show_config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**pusher_env(), "COLUMNS": "160"},
    )
    assert shown.returncode == 0, shown.stderr
    spot_row = next(ln for ln in shown.stdout.splitlines() if "spot" in ln and "ETH" in ln)
    assert "2,050.0000" in spot_row and spot_row.split("│")[-3].strip() == "1"  # 1 signer
    assert "70.00% atm" in shown.stdout


def test_show__breaker_held_and_settlement__shown_beside_the_published_values(
    anvil, oracle_artifact, keeper_keystore, tmp_path
):
    """A push beyond the breaker's band (50 %) lands clamped: `oracle show` says the breaker
    holds and prints the signers' median next to the published spot, so the operator is
    never shown a pushed price the oracle does not publish."""
    deployed, config, proc = push_rows(
        anvil, oracle_artifact, keeper_keystore, tmp_path, [(2_000, 0.60), (4_000, 0.60)]
    )
    assert deployed.contract.functions.price(ETH).call() == 3_000 * WAD  # 2,000 + 50 %
    shown = subprocess.run(
        [str(ORACLE_CLI), "show", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**pusher_env(), "COLUMNS": "200"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "3,000.0000 (breaker held; signers' median 4,000.0000)" in shown.stdout


def test_push__vol_jump_past_the_band__smile_ramped_not_stalled(
    anvil, oracle_artifact, keeper_keystore, tmp_path
):
    """ATM vol 0.60 -> 2.00 with the oracle's vol band at 1.0 (deploy_oracle): the fit is
    refused once (`vol cap exceeded`), then the pusher sends the largest blend the real
    oracle accepts, so the expiry is fresh at the edge of the band (1.60) instead of stale
    until the band widens; later pushes in the same window add nothing (not due)."""
    rows = [(2_000, 0.60)] + [(2_000, 2.00)] * 4
    deployed, _, proc = push_rows(anvil, oracle_artifact, keeper_keystore, tmp_path, rows)
    oracle = deployed.contract.functions
    atm = oracle.atm_vol(ETH, deployed.expiry).call() / WAD
    assert 1.60 - 1.0 / 128 <= atm <= 1.60
    assert oracle.is_fresh(ETH, deployed.expiry).call()
    events = log_events(proc.stderr)
    rejected = [e for e in events if e["event"] == "report_rejected"]
    assert [e["reason"] for e in rejected] == ["vol cap exceeded"]
    (ramped,) = [e for e in events if e["event"] == "smile_ramped"]
    assert ramped["fit_atm_vol"] == pytest.approx(2.0, abs=1e-6)


@pytest.mark.parametrize(
    "problem,message",
    [
        ("unknown_feed", "unknown feed 'BTC': not listed on the oracle"),
        ("wrong_chain", "serves chain id 31337, config says 5"),
        ("not_signer", "is not registered on the oracle"),
        ("record_of_other_chain", "is for chain id 11155111, the node at http://127.0.0.1:"),
    ],
)
def test_push__misconfigured__one_line_exit_2(
    anvil, oracle_artifact, keeper_keystore, tmp_path, problem, message
):
    deployed = deploy_oracle(anvil, oracle_artifact)
    replay = tmp_path / "r.csv"
    replay.write_text("timestamp,underlying,spot\n1700000000,ETH,2000\n1700000000,BTC,90000\n")
    over: dict = {}
    deployment_file = None
    if problem == "unknown_feed":
        feed = {"underlying": "BTC", "sources": [{"kind": "replay", "path": str(replay)}]}
        over["feeds"] = [feed]
    elif problem == "wrong_chain":
        over["chain_id"] = 5
    elif problem == "record_of_other_chain":  # the same addresses exist here: chain id decides
        record = tmp_path / "sepolia-11155111.json"
        doc = {"chain_id": 11155111, "contracts": {"Oracle": {"address": deployed.address}}}
        record.write_text(json.dumps(doc))
        deployment_file = record
    config = write_config(
        tmp_path,
        [anvil.url],
        deployed.address,
        oracle_artifact["abi_file"],
        keeper_keystore,
        replay,
        **over,
    )
    if deployment_file is not None:
        doc = yaml.safe_load(config.read_text())
        doc["oracle"]["deployment"] = str(deployment_file)
        config.write_text(yaml.safe_dump(doc))
    if problem == "not_signer":
        transact(
            anvil.w3,
            deployed.governor.functions.add_signer(Account.create().address),
            GOVERNANCE_KEY,
        )
        transact(
            anvil.w3,
            deployed.governor.functions.remove_signer(Account.from_key(KEEPER_KEY).address),
            GOVERNANCE_KEY,
        )

    proc = run_pusher(config)

    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("oracle: error: ") and message in proc.stderr


def test_push__first_rpc_dead__fails_over_to_second(
    anvil, oracle_artifact, keeper_keystore, tmp_path
):
    deployed = deploy_oracle(anvil, oracle_artifact)
    replay = replay_csv(tmp_path / "eth.csv", deployed.expiry, [(1_900, 0.55)])
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config = write_config(
        tmp_path,
        [dead, anvil.url],
        deployed.address,
        oracle_artifact["abi_file"],
        keeper_keystore,
        replay,
    )

    dry = run_pusher(config, "--dry-run", "--once")

    assert dry.returncode == 0, dry.stderr
    simulated = [e for e in log_events(dry.stderr) if e["event"] == "dry_run"]
    assert simulated == [simulated[0]] and simulated[0]["would_accept"] == 2
    assert anvil.w3.eth.get_transaction_count(Account.from_key(KEEPER_KEY).address) == 0

    proc = run_pusher(config)

    assert proc.returncode == 0, proc.stderr
    assert deployed.contract.functions.price(ETH).call() == 1_900 * WAD
    events = log_events(proc.stderr)
    assert [e["url"] for e in events if e["event"] == "rpc_unreachable"] == [dead]
    failovers = [e for e in events if e["event"] == "rpc_failover"]
    assert failovers and failovers[0]["failed"] == dead and failovers[0]["next"] == anvil.url


def test_push__automine_off__stuck_tx_replaced_with_same_nonce(
    oracle_artifact, keeper_keystore, tmp_path
):
    node = start_anvil()
    try:
        deployed = deploy_oracle(node, oracle_artifact)
        node.rpc("evm_setAutomine", [False])
        replay = replay_csv(tmp_path / "eth.csv", deployed.expiry, [(2_100, 0.65)])
        config = write_config(
            tmp_path,
            [node.url],
            deployed.address,
            oracle_artifact["abi_file"],
            keeper_keystore,
            replay,
            sending={
                "replace_after_seconds": 1.0,
                "receipt_poll_interval": 0.2,
                "receipt_timeout": 60,
                "gas_limit": 1_500_000,
            },
        )
        proc = subprocess.Popen(
            [str(ORACLE_CLI), "push", "--config", str(config), "--once"],
            stderr=subprocess.PIPE,
            text=True,
            env=pusher_env(),
        )
        seen: list[dict] = []
        deadline = time.monotonic() + 40
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.extend(log_events(line))
            if any(e["event"] == "tx_replaced" for e in seen):
                break
        sent = next(e for e in seen if e["event"] == "tx_sent")
        replaced = next(e for e in seen if e["event"] == "tx_replaced")
        assert replaced["nonce"] == sent["nonce"]
        assert replaced["max_fee"] >= sent["max_fee"] * 1.125
        assert replaced["priority_fee"] >= sent["priority_fee"] * 1.125

        node.rpc("evm_mine")
        _, out = proc.communicate(timeout=30)
        seen.extend(log_events(out))
        assert proc.returncode == 0, out

        mined = next(e for e in seen if e["event"] == "tx_mined")
        assert mined["tx_hash"] != sent["tx_hash"]
        receipt = node.w3.eth.get_transaction_receipt(mined["tx_hash"])
        tx = node.w3.eth.get_transaction(mined["tx_hash"])
        assert receipt["status"] == 1 and tx["nonce"] == sent["nonce"]
        assert deployed.contract.functions.price(ETH).call() == 2_100 * WAD
    finally:
        node.process.terminate()
        node.process.wait(timeout=10)


def test_push__node_dies_mid_run__metrics_served_keeps_running_sigterm_exits_130(
    oracle_artifact, keeper_keystore, tmp_path
):
    node = start_anvil()
    try:
        deployed = deploy_oracle(node, oracle_artifact)
        replay = replay_csv(tmp_path / "eth.csv", deployed.expiry, [(2_000, 0.6)])
        config = write_config(
            tmp_path,
            [node.url],
            deployed.address,
            oracle_artifact["abi_file"],
            keeper_keystore,
            replay,
            poll_interval=0.3,
            feeds=[
                {
                    "underlying": "ETH",
                    "heartbeat": 600,
                    "sources": [{"kind": "sim", "seed": 3, "spot": 2_000, "step_seconds": 60}],
                }
            ],
            retry={"rounds": 1, "backoff_base": 0.1, "backoff_max": 0.2, "cycle_backoff_max": 0.5},
        )
        metrics_port = free_port()
        proc = subprocess.Popen(
            [str(ORACLE_CLI), "push", "--config", str(config), "--metrics-port", str(metrics_port)],
            stderr=subprocess.PIPE,
            text=True,
            env=pusher_env(),
        )
        assert proc.stderr is not None
        seen: list[dict] = []

        def wait_for(event: str) -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                line = proc.stderr.readline()
                seen.extend(log_events(line))
                if any(e["event"] == event for e in seen):
                    return
            raise AssertionError(f"no {event} in {[e['event'] for e in seen]}")

        wait_for("batch_done")
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        metrics = urllib.request.urlopen(url, timeout=5).read().decode()
        assert 'oracle_transactions_total{outcome="mined"}' in metrics
        assert 'oracle_last_pushed_value{expiry="spot",feed="ETH"}' in metrics
        assert "oracle_signer_balance_wei" in metrics
        node.process.terminate()  # every RPC is gone now
        node.process.wait(timeout=10)
        wait_for("cycle_failed")
        deadline = time.monotonic() + 30
        while sum(e["event"] == "cycle_failed" for e in seen) < 3 and time.monotonic() < deadline:
            seen.extend(log_events(proc.stderr.readline()))
        assert sum(e["event"] == "cycle_failed" for e in seen) >= 3
        assert proc.poll() is None  # transient errors never end the service

        proc.terminate()
        _, rest = proc.communicate(timeout=20)
        assert proc.returncode == 130
        assert "oracle: interrupted" in rest
    finally:
        if node.process.poll() is None:
            node.process.terminate()
            node.process.wait(timeout=10)
