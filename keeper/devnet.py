"""A local Ringfence book on anvil, fast: for the keeper's integration tests and benchmark.

Not part of the running keeper. ``ape run deploy`` (``ringfence.deployer``) is the
operator's path; this module does the same deployment with plain web3.py against anvil's
unlocked dev accounts (no signing, no Ape start-up), so a test can deploy in seconds and
open thousands of real ``ClearingHouse`` positions with automine off and one batch
JSON-RPC request per few hundred ``open_position`` transactions.

- :func:`start_anvil` — anvil on a free loopback port (optionally a bigger block gas limit);
- :func:`compiled` — every contract compiled with vyper's Python API, cached on disk by a
  hash of ``contracts/`` so a second run skips the 15 s compile;
- :func:`deploy` — the ``deploy/local.yaml`` deployment in the protocol's deploy order
  (token, ``SurfaceChecker``, ``OracleGovernor``, ``Oracle(checker, governor)``,
  ``MarginEngine``, ``Registry``, ``ClearingHouse``, ``ClearingHouseView``,
  ``LiquidityPool``, ``set_pool``, risk parameters, series), recorded in the same JSON
  format as ``ringfence.deployer``
  (``contracts.<name>.address/block/abi``, ``chain_id``, …);
- :func:`open_vaults` — real positions, batch-sent; :func:`transact` — one call as any
  unlocked account;
- :func:`push_spot` — a signed oracle spot report (the crash), and :func:`warp`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from web3 import HTTPProvider, Web3
from web3.logs import DISCARD

from keeper import abi as keeper_abi
from ringfence import deployer
from ringfence.deploy_config import DeployConfig, load, resolve_expiry
from ringfence.devchain import ANVIL_MNEMONIC, free_port
from ringfence.oracle_types import Report, sign_report
from ringfence.paths import ROOT

CONTRACTS = ROOT / "contracts"
# The deployer's contracts minus the Chainlink adapters, which a devnet does not deploy.
SOURCES = {name: path for name, path in deployer.SOURCES.items() if name != "ChainlinkAdapter"}
YEAR = deployer.YEAR
WAD = 10**18
POOL_CHUNK = 2_000  # transactions sent before mining them
LIQUIDATION_DEPOSIT = 0  # base units: the load test measures the keeper, not dust economics
SEED_BASE_FEE = 10**9  # wei, base fee pinned while seeding


def test_key(index: int) -> str:
    """Private key of anvil's / Ape's dev account ``index`` (the shared test mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    acct = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(acct.key).hex()


@dataclass
class Anvil:
    url: str
    port: int
    process: subprocess.Popen
    w3: Web3
    args: tuple[str, ...]

    def rpc(self, method: str, params: list | None = None) -> Any:
        resp = self.w3.provider.make_request(method, params or [])
        if resp.get("error"):
            raise RuntimeError(f"{method}: {resp['error']}")
        return resp["result"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def anvil_binary() -> str:
    return shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")


def start_anvil(*extra: str, port: int | None = None, gas_limit: int | None = None) -> Anvil:
    """anvil on 127.0.0.1:``port`` (a free one by default), waited for until it answers."""
    port = port or free_port()
    args = ["--port", str(port), "--host", "127.0.0.1", "--silent", *extra]
    if gas_limit:
        args += ["--gas-limit", str(gas_limit)]
    proc = subprocess.Popen(
        [anvil_binary(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if w3.eth.chain_id > 0:  # answers once anvil is up
                return Anvil(url, port, proc, w3, tuple(args))
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"anvil did not come up on {url}")


# ------------------------------------------------------------------------------ compile


def _source_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(CONTRACTS.rglob("*.vy*")):
        h.update(str(path.relative_to(CONTRACTS)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


_COMPILED: dict[str, dict[str, Any]] = {}


def compiled() -> dict[str, dict[str, Any]]:
    """``{name: {"abi", "bytecode"}}`` for every deployed contract: cached on disk by source
    hash, and fixed for the life of the process (one test session sees one build)."""
    from ringfence.compiler import compile_contract

    if _COMPILED:
        return _COMPILED
    cache = Path(tempfile.gettempdir()) / "ringfence-devnet" / f"{_source_hash()}.json"
    if cache.exists():
        _COMPILED.update(json.loads(cache.read_text()))
        return _COMPILED
    out = {name: compile_contract(ROOT / path) for name, path in SOURCES.items()}
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(out))
    tmp.replace(cache)
    _COMPILED.update(out)
    return _COMPILED


# ------------------------------------------------------------------------------ deploy


def _send(w3: Web3, sender: str, tx: dict[str, Any]) -> dict[str, Any]:
    tx = {"from": sender, **tx}
    tx_hash = w3.eth.send_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction reverted: {tx}")
    return dict(receipt)


def _call(w3: Web3, contract: Any, fn: str, sender: str, *args: Any) -> dict[str, Any]:
    tx = getattr(contract.functions, fn)(*args).build_transaction({"from": sender, "gas": 10**7})
    tx.pop("nonce", None)
    return _send(w3, sender, {k: v for k, v in tx.items() if k in ("to", "data", "gas")})


def _create(w3: Web3, art: dict[str, Any], sender: str, *args: Any) -> tuple[Any, int]:
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    data = factory.constructor(*args).data_in_transaction
    receipt = _send(w3, sender, {"data": data, "gas": 15_000_000})
    address = receipt["contractAddress"]
    return w3.eth.contract(address=address, abi=art["abi"]), receipt["blockNumber"]


@dataclass
class Devnet:
    """A deployed protocol on anvil and handles to drive it."""

    node: Anvil
    record: dict[str, Any]
    config: DeployConfig
    contracts: dict[str, Any]
    roles: dict[str, str]
    signer_key: str
    last_observed: int = 0  # observation time of the last signed report (seconds)

    @property
    def w3(self) -> Web3:
        return self.node.w3

    @property
    def clearing(self) -> Any:
        return self.contracts["ClearingHouse"]

    @property
    def registry(self) -> Any:
        return self.contracts["Registry"]

    @property
    def view(self) -> Any:
        return self.contracts["ClearingHouseView"]

    @property
    def oracle(self) -> Any:
        return self.contracts["Oracle"]

    @property
    def underlying(self) -> bytes:
        return self.config.feeds[0].underlying

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.record, indent=2) + "\n")
        return path

    def series_id(self, strike_wad: int, is_call: bool, expiry_index: int = 0) -> int:
        expiry = self.record["expiries"][self.config.feeds[0].symbol][expiry_index]
        for sid in self.record["series_ids"]:
            s = self.registry.functions.series(sid).call()
            if s[1] == strike_wad and s[2] == expiry and s[3] == is_call:
                return sid
        raise LookupError(f"no series strike={strike_wad} call={is_call} expiry={expiry}")


def deploy(node: Anvil, params: Path | None = None) -> Devnet:
    """The ``deploy/local.yaml`` deployment with web3.py (same record as the deployer)."""
    config = load(params or ROOT / "deploy" / "local.yaml")
    art = compiled()
    w3 = node.w3
    dev = w3.eth.accounts
    roles = {name: Web3.to_checksum_address(dev[i]) for name, i in config.local_roles.items()}
    deployer = roles.get("deployer", dev[0])
    now = w3.eth.get_block("latest")["timestamp"]
    contracts: dict[str, Any] = {}
    blocks: dict[str, int] = {}

    def create(name: str, *args: Any) -> Any:
        contracts[name], blocks[name] = _create(w3, art[name], deployer, *args)
        return contracts[name]

    def who(name: str) -> str:
        if name.startswith("0x"):
            return name
        return deployer if name == "deployer" else roles[name]

    t = config.token
    token = create("MockToken", t.mock_name, t.mock_symbol, t.decimals)
    checker = create("SurfaceChecker")
    governor = create("OracleGovernor")
    oracle = create("Oracle", checker.address, governor.address)
    _call(w3, governor, "bind", deployer, oracle.address)
    for signer in config.signers:
        _call(w3, governor, "add_signer", deployer, who(signer))
    if config.quorum != 1:
        _call(w3, governor, "set_quorum", deployer, config.quorum)
    expiries: dict[str, list[int]] = {}
    for feed in config.feeds:
        _call(
            w3, governor, "add_feed", deployer, feed.underlying, feed.max_age,
            feed.spot_cap_bps, feed.vol_cap, feed.description,
        )  # fmt: skip
        resolved = sorted({resolve_expiry(e, now, "expiries") for e in feed.expiries})
        for expiry in resolved:
            _call(w3, governor, "list_expiry", deployer, feed.underlying, expiry)
        expiries[feed.symbol] = resolved
    engine = create("MarginEngine", oracle.address)
    registry = create("Registry", who(config.guardian), config.max_utilisation)
    clearing = create(
        "ClearingHouse", token.address, engine.address, registry.address, LIQUIDATION_DEPOSIT
    )
    create("ClearingHouseView", clearing.address, registry.address)
    pool = create(
        "LiquidityPool", token.address, clearing.address, registry.address, engine.address,
        config.pool_name, config.pool_symbol,
    )  # fmt: skip
    _call(w3, clearing, "set_pool", deployer, pool.address)  # by the registry's owner
    feed_ids = {f.symbol: f.underlying for f in config.feeds}
    for symbol, risk in config.risk.items():
        _call(w3, registry, "set_risk_params", deployer, feed_ids[symbol], risk.as_tuple())

    signer_role = next(s for s in config.signers if s in config.local_roles)
    signer_key = test_key(config.local_roles[signer_role])
    chain_id = w3.eth.chain_id
    reports = []
    ts = w3.eth.get_block("latest")["timestamp"]
    for feed in config.feeds:
        reports.append(Report(feed.underlying, 0, feed.initial_spot, observed_at=ts))
        for expiry in expiries[feed.symbol]:
            w = feed.initial_vol * feed.initial_vol // WAD * (expiry - ts) // YEAR
            reports.append(
                Report(feed.underlying, expiry, feed.initial_spot, a=w, sigma=10**17,
                       observed_at=ts)
            )  # fmt: skip
    _submit(w3, oracle, deployer, reports, signer_key)
    for account in roles.values():
        _call(w3, token, "mint", deployer, account, config.local_funding)
    lp = roles["lp"]
    _call(w3, token, "approve", lp, pool.address, config.local_pool_seed)
    _call(w3, pool, "deposit", lp, config.local_pool_seed, lp)

    series_ids = []
    for i, series in enumerate(config.series):
        expiry = resolve_expiry(series.expiry, now, f"series[{i}].expiry")
        for strike in series.strikes:
            for is_call in [k for k, on in ((True, series.calls), (False, series.puts)) if on]:
                receipt = _call(
                    w3, registry, "list_series", deployer, feed_ids[series.symbol], strike,
                    expiry, is_call, series.oi_cap,
                )  # fmt: skip
                for lg in receipt["logs"]:
                    if lg["address"].lower() != registry.address.lower():
                        continue
                    d = keeper_abi.decode_log(_jsonable_log(lg), "IRegistry")
                    if d is not None and d.name == "SeriesListed":
                        series_ids.append(d.args["series_id"])
    record = {
        "network": "devnet",
        "chain_id": chain_id,
        "deployer": deployer,
        "deployed_at": int(time.time()),
        "block": min(blocks.values()),
        "contracts": {
            name: {
                "address": c.address,
                "block": blocks[name],
                "abi_source": SOURCES[name],
                "abi": art[name]["abi"],
            }
            for name, c in contracts.items()
        },
        "expiries": expiries,
        "series_ids": series_ids,
        "roles": roles,
    }
    return Devnet(node, record, config, contracts, roles, signer_key, last_observed=ts)


def _jsonable_log(lg: Any) -> dict[str, Any]:
    def hx(v: Any) -> Any:
        if isinstance(v, bytes | bytearray):
            return "0x" + bytes(v).hex()
        return v

    return {
        "address": lg["address"],
        "topics": [hx(t) for t in lg["topics"]],
        "data": hx(lg["data"]),
        "blockNumber": lg["blockNumber"],
        "blockHash": hx(lg["blockHash"]),
        "transactionHash": hx(lg["transactionHash"]),
        "logIndex": lg["logIndex"],
    }


def _submit(w3: Web3, oracle: Any, sender: str, reports: Sequence[Report], key: str) -> None:
    chain_id = w3.eth.chain_id
    sigs = [sign_report(r, key, chain_id, oracle.address) for r in reports]
    receipt = _call(w3, oracle, "submit", sender, [r.as_tuple() for r in reports], sigs)
    accepted = [lg for lg in receipt["logs"] if lg["address"].lower() == oracle.address.lower()]
    if not accepted:
        raise RuntimeError("oracle: no report accepted")


def transact(net: Devnet, contract: Any, fn: str, sender: str, *args: Any) -> dict[str, Any]:
    """Send ``contract.fn(*args)`` from the unlocked ``sender``; the receipt (raises when it
    reverted)."""
    return _call(net.w3, contract, fn, sender, *args)


def push_spot(net: Devnet, spot_wad: int, timestamp: int | None = None) -> int:
    """Sign and submit a spot report (and re-observe every listed surface at the same vol so
    vol reads stay fresh); returns the block it was mined in."""
    w3 = net.w3
    if timestamp is None and w3.eth.get_block("latest")["timestamp"] <= net.last_observed:
        # the oracle rejects a report not newer than the signer's last one
        warp(net, net.last_observed + 1 - w3.eth.get_block("latest")["timestamp"])
    ts = timestamp or w3.eth.get_block("latest")["timestamp"]
    feed = net.config.feeds[0]
    reports = [Report(feed.underlying, 0, spot_wad, observed_at=ts)]
    for expiry in net.record["expiries"][feed.symbol]:
        if expiry > ts:
            w = feed.initial_vol * feed.initial_vol // WAD * (expiry - ts) // YEAR
            reports.append(
                Report(feed.underlying, expiry, spot_wad, a=w, sigma=10**17, observed_at=ts)
            )
    chain_id = w3.eth.chain_id
    sigs = [sign_report(r, net.signer_key, chain_id, net.oracle.address) for r in reports]
    tx = net.oracle.functions.submit([r.as_tuple() for r in reports], sigs).build_transaction(
        {"from": net.roles["deployer"], "gas": 10**7}
    )
    receipt = _send(w3, net.roles["deployer"], {"to": tx["to"], "data": tx["data"], "gas": 10**7})
    updated = net.oracle.events.SpotUpdated().process_receipt(receipt, errors=DISCARD)
    if not updated:
        raise RuntimeError(f"oracle rejected the spot report at {ts}")
    net.last_observed = ts
    return receipt["blockNumber"]


def warp(net: Devnet, seconds: int) -> None:
    net.node.rpc("evm_increaseTime", [seconds])
    net.node.rpc("evm_mine", [])


# ------------------------------------------------------------------------------ seeding


def batch_rpc(url: str, calls: Sequence[tuple[str, list]], chunk: int = 500) -> list[Any]:
    """JSON-RPC batch requests (``chunk`` calls per HTTP request); raises on any error."""
    out: list[Any] = []
    session = requests.Session()
    for start in range(0, len(calls), chunk):
        body = [
            {"jsonrpc": "2.0", "id": start + i, "method": m, "params": p}
            for i, (m, p) in enumerate(calls[start : start + chunk])
        ]
        resp = session.post(url, json=body, timeout=300).json()
        resp.sort(key=lambda r: r["id"])
        for r in resp:
            if "error" in r:
                raise RuntimeError(f"batch rpc: {r['error']}")
            out.append(r["result"])
    return out


def open_vaults(
    net: Devnet,
    trader: str,
    legs: Sequence[Sequence[tuple[int, int]]],
    collaterals: Sequence[int],
    gas: int = 2_000_000,
) -> list[int]:
    """Open one vault per (legs, collateral) for ``trader`` (an unlocked dev account).

    Automine goes off, every ``open_position`` is sent in batch requests, blocks are mined
    until all are in, automine comes back. Returns the new position ids in order (from the
    ``PositionOpened`` logs); raises if any transaction reverted.
    """
    w3, node = net.w3, net.node
    clearing = net.clearing
    total = sum(collaterals) + len(collaterals) * 10**net.config.token.decimals * 1_000
    token = net.contracts["MockToken"]
    _call(w3, token, "mint", net.roles["deployer"], trader, total)
    _call(w3, token, "approve", trader, clearing.address, total)
    _call(w3, clearing, "deposit", trader, total)
    nonce = w3.eth.get_transaction_count(trader)
    calls = []
    for i, (vault_legs, collateral) in enumerate(zip(legs, collaterals, strict=True)):
        data = clearing.functions.open_position(
            [list(leg) for leg in vault_legs], collateral, 2**255
        )._encode_transaction_data()
        tx = {
            "from": trader, "to": clearing.address, "data": data, "gas": hex(gas),
            "nonce": hex(nonce + i), "maxFeePerGas": hex(4 * SEED_BASE_FEE),
            "maxPriorityFeePerGas": hex(SEED_BASE_FEE // 10),
        }  # fmt: skip
        calls.append(("eth_sendTransaction", [tx]))
    node.rpc("evm_setAutomine", [False])
    hashes: list[str] = []
    try:
        for start in range(0, len(calls), POOL_CHUNK):
            hashes += batch_rpc(node.url, calls[start : start + POOL_CHUNK])
            while int(node.rpc("txpool_status", [])["pending"], 16) > 0:
                # full blocks would raise the base fee 12.5 % each: pin it, so the
                # seeding neither prices itself out nor leaves the keeper a costly chain
                node.rpc("anvil_setNextBlockBaseFeePerGas", [hex(SEED_BASE_FEE)])
                node.rpc("evm_mine", [])
    finally:
        node.rpc("evm_setAutomine", [True])
    receipts = batch_rpc(node.url, [("eth_getTransactionReceipt", [h]) for h in hashes])
    ids = []
    for receipt in receipts:
        if receipt is None or int(receipt["status"], 16) != 1:
            raise RuntimeError(f"open_position failed: {receipt and receipt['transactionHash']}")
        for lg in receipt["logs"]:
            if lg["address"].lower() != clearing.address.lower():
                continue
            d = keeper_abi.decode_log(lg, "IClearingHouse")
            if d is not None and d.name == "PositionOpened":
                ids.append(d.args["position_id"])
    return ids


def health_many(net: Devnet, ids: Sequence[int], block: int | str = "latest") -> dict:
    """``{id: (equity, initial, maintenance)}`` read on-chain from the ClearingHouseView in
    batches of 50; ``None`` for an id whose ``health`` reverted (the view's ``ok`` flag)."""
    out = {}
    for start in range(0, len(ids), 50):
        chunk = list(ids[start : start + 50])
        rows = net.view.functions.health_many(chunk).call(block_identifier=block)
        out.update(
            {pid: tuple(row[1:]) if row[0] else None for pid, row in zip(chunk, rows, strict=True)}
        )
    return out


def events(net: Devnet, name: str, from_block: int, to_block: int | str = "latest") -> list:
    """Decoded events ``name`` in a block range, from the contract that declares them (the
    clearing house, the registry or the pool; keeper.abi decoding)."""
    interface = keeper_abi.interface_of(name)
    contract = {"IRegistry": net.registry, "ILiquidityPool": net.contracts["LiquidityPool"]}.get(
        interface, net.clearing
    )
    topic = keeper_abi.event(name, interface).topic0
    logs = net.w3.provider.make_request(
        "eth_getLogs",
        [{
            "address": contract.address, "fromBlock": hex(from_block),
            "toBlock": to_block if isinstance(to_block, str) else hex(to_block),
            "topics": [topic],
        }],
    )["result"]  # fmt: skip
    return [d for d in (keeper_abi.decode_log(lg, interface) for lg in logs) if d is not None]
