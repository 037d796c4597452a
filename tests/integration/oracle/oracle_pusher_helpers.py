"""Helpers for the pusher's integration tests: anvil launch, deploy, config, logs."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from eth_account import Account
from web3 import HTTPProvider, Web3

from ringfence.compiler import compile_contract
from ringfence.devchain import free_port
from ringfence.oracle_types import underlying_id
from ringfence.paths import ROOT, contract_path

# anvil's default accounts (mnemonic "test test ... junk"), named by role
GOVERNANCE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
KEEPER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PASSWORD = "correct horse battery staple"
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
ORACLE_CLI = Path(sys.executable).with_name("oracle")


@dataclass
class Anvil:
    url: str
    process: subprocess.Popen
    w3: Web3

    def rpc(self, method: str, params: list | None = None) -> object:
        resp = self.w3.provider.make_request(method, params or [])
        assert "error" not in resp, resp
        return resp["result"]


def start_anvil(*extra: str) -> Anvil:
    anvil = shutil.which("anvil") or str(ANVIL)
    port = free_port()
    proc = subprocess.Popen(
        [anvil, "--port", str(port), "--host", "127.0.0.1", "--silent", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 5}))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if w3.eth.chain_id == 31337:
                return Anvil(url, proc, w3)
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"anvil did not come up on {url}")


@dataclass
class Deployed:
    address: str
    contract: object
    expiry: int
    governor: object


def transact(w3: Web3, fn, key: str) -> dict:
    acct = Account.from_key(key)
    tx = fn.build_transaction(
        {"from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address)}
    )
    signed = acct.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=20
    )
    assert receipt["status"] == 1
    return receipt


@functools.cache
def _artifact(name: str) -> dict:
    """The oracle's stateless SurfaceChecker or its OracleGovernor, compiled once per session."""
    return compile_contract(contract_path(f"{name}.vy"))


def _create(w3, name: str, *args) -> str:
    art = _artifact(name)
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    return transact(w3, factory.constructor(*args), GOVERNANCE_KEY)["contractAddress"]


def deploy_oracle(node: Anvil, artifact: dict, feeds: tuple[str, ...] = ("ETH",)) -> Deployed:
    """Deploy the Oracle and its OracleGovernor as governance, register the keeper as signer,
    add feeds and one expiry 30 days out per feed."""
    w3 = node.w3
    governance = Account.from_key(GOVERNANCE_KEY)
    checker_address = _create(w3, "SurfaceChecker")
    governor_address = _create(w3, "OracleGovernor")
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = transact(w3, factory.constructor(checker_address, governor_address), GOVERNANCE_KEY)
    address = receipt["contractAddress"]
    oracle = w3.eth.contract(address=address, abi=artifact["abi"])
    governor = w3.eth.contract(address=governor_address, abi=_artifact("OracleGovernor")["abi"])
    transact(w3, governor.functions.bind(address), GOVERNANCE_KEY)
    keeper = Account.from_key(KEEPER_KEY).address
    transact(w3, governor.functions.add_signer(keeper), GOVERNANCE_KEY)
    now = w3.eth.get_block("latest")["timestamp"]
    expiry = now + 30 * 86_400
    for symbol in feeds:
        uid = underlying_id(symbol)
        transact(
            w3,
            governor.functions.add_feed(uid, 3_600, 5_000, 10**18, f"{symbol} / USD"),
            GOVERNANCE_KEY,
        )
        transact(w3, governor.functions.list_expiry(uid, expiry), GOVERNANCE_KEY)
    assert governance.address
    return Deployed(address, oracle, expiry, governor)


def write_config(
    tmp_path: Path,
    rpc_urls: list[str],
    oracle: str,
    abi_file: str | None,
    keystore: Path,
    replay: Path,
    **overrides,
) -> Path:
    cfg = {
        "chain_id": 31337,
        "rpc_urls": rpc_urls,
        "rpc_timeout": 2.0,
        "oracle": {"address": oracle, **({"abi_file": abi_file} if abi_file else {})},
        "signer": {"keystore": str(keystore), "password_env": "RF_TEST_ORACLE_PASSWORD"},
        "poll_interval": 1.0,
        "feeds": [
            {
                "underlying": "ETH",
                "sources": [{"kind": "replay", "path": str(replay), "on_end": "stop"}],
                "deviation_bps": 10,
                "vol_deviation": 0.005,
                "heartbeat": 600,
            }
        ],
        "sending": {"receipt_poll_interval": 0.2, "receipt_timeout": 60},
        "retry": {"rounds": 2, "backoff_base": 0.1, "backoff_max": 0.5},
    }
    for key, value in overrides.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) else value
    path = tmp_path / "pusher.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def pusher_env() -> dict:
    return {**os.environ, "RF_TEST_ORACLE_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}


def run_pusher(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ORACLE_CLI), "push", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=pusher_env(),
    )


def log_events(stderr: str) -> list[dict]:
    events = []
    for line in stderr.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
