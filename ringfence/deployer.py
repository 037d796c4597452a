"""Deploy and wire Ringfence with Ape: the logic behind ``ape run deploy``.

Order (each step needs the previous one's address):

1. quote token — an existing ERC-20 (``token.address``) or, on local networks, ``MockToken``;
2. ``SurfaceChecker`` and ``Oracle(checker)`` — signers, quorum, feeds and their listed
   expiries;
3. ``MarginEngine(oracle)``;
4. ``Registry(guardian, max_utilisation)`` — risk parameters per underlying;
5. ``ClearingHouse(token, engine, registry, liquidation_deposit)`` and
   ``ClearingHouseView(clearing_house, registry)``;
6. ``LiquidityPool(token, clearing_house, registry, engine, name, symbol)`` and
   ``ClearingHouse.set_pool``;
7. one ``ChainlinkAdapter(oracle, underlying, description)`` per spot feed;
8. local networks only: fund the role accounts, seed the pool, push a first spot and flat
   surface per feed so positions can open at once;
9. the series, listed in the registry.

The result is written to ``deployments/<network>.json``: addresses, the block each contract
was deployed in, the resolved parameters in contract units, and for each contract the source
file its ABI comes from together with the ABI itself (so services need no compiler).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ringfence.deploy_config import DeployConfig, resolve_expiry
from ringfence.oracle_types import Report, sign_report
from ringfence.paths import ROOT

DEPLOYMENTS = ROOT / "deployments"
SOURCES = {
    "MockToken": "contracts/mocks/MockToken.vy",
    "SurfaceChecker": "contracts/SurfaceChecker.vy",
    "Oracle": "contracts/Oracle.vy",
    "MarginEngine": "contracts/MarginEngine.vy",
    "Registry": "contracts/Registry.vy",
    "ClearingHouse": "contracts/ClearingHouse.vy",
    "ClearingHouseView": "contracts/ClearingHouseView.vy",
    "LiquidityPool": "contracts/LiquidityPool.vy",
    "ChainlinkAdapter": "contracts/ChainlinkAdapter.vy",
}
YEAR = 31_536_000
LOCAL_NETWORKS = ("local",)


def is_local(network_name: str) -> bool:
    """Local chains (anvil, Ape's test chain) get mocks, funding and first prices."""
    return network_name in LOCAL_NETWORKS


def _abi(contract_container) -> list[dict[str, Any]]:
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True)
        for item in contract_container.contract_type.abi
    ]


class Deployment:
    """Collects addresses and blocks as contracts are deployed."""

    def __init__(self, network: str, chain_id: int, deployer: str):
        self.network = network
        self.chain_id = chain_id
        self.deployer = deployer
        self.contracts: dict[str, dict[str, Any]] = {}

    def record(self, name: str, instance, container, key: str | None = None) -> None:
        # Ape caches the creation receipt of what it deployed in this session.
        created = instance.creation_metadata
        self.contracts[key or name] = {
            "address": instance.address,
            "block": created.block if created is not None else None,
            "tx": created.txn_hash if created is not None else None,
            "abi_source": SOURCES[name],
            "abi": _abi(container),
        }

    def to_json(self, config: DeployConfig, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "network": self.network,
            "chain_id": self.chain_id,
            "deployer": self.deployer,
            "deployed_at": int(time.time()),
            "block": min(
                (c["block"] for c in self.contracts.values() if c["block"] is not None),
                default=None,
            ),
            "contracts": self.contracts,
            "parameters": _jsonable(asdict(config)),
            **extra,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)  # keep WAD integers exact in JSON readers that use doubles
    return value


def deploy(
    project,
    chain,
    accounts,
    deployer,
    config: DeployConfig,
    network_name: str,
    *,
    log=print,
) -> dict[str, Any]:
    """Deploy and wire every contract; returns the deployment record (not yet written)."""
    local = is_local(network_name)
    record = Deployment(network_name, chain.chain_id, deployer.address)
    now = chain.pending_timestamp
    roles = _local_roles(accounts, config) if local else {}

    def address_of(name_or_address: str) -> str:
        if name_or_address.startswith("0x"):
            return name_or_address
        if name_or_address == "deployer":
            return deployer.address
        if name_or_address in roles:
            return roles[name_or_address].address
        raise ValueError(f"unknown account {name_or_address!r}: give an address or a local role")

    # 1. quote token
    if config.token.address:
        token = project.MockToken.at(config.token.address) if local else None
        token_address = config.token.address
        log(f"token: using {token_address}")
    else:
        if not local:
            raise ValueError("token.address is required on non-local networks")
        token = deployer.deploy(
            project.MockToken,
            config.token.mock_name,
            config.token.mock_symbol,
            config.token.decimals,
        )
        record.record("MockToken", token, project.MockToken)
        token_address = token.address
        log(f"MockToken ({config.token.decimals} decimals): {token_address}")

    # 2. oracle (over its stateless surface checker)
    checker = deployer.deploy(project.SurfaceChecker)
    record.record("SurfaceChecker", checker, project.SurfaceChecker)
    oracle = deployer.deploy(project.Oracle, checker.address)
    record.record("Oracle", oracle, project.Oracle)
    log(f"Oracle: {oracle.address}")
    for signer in config.signers:
        oracle.add_signer(address_of(signer), sender=deployer)
    if config.quorum != 1:
        oracle.set_quorum(config.quorum, sender=deployer)
    expiries: dict[str, list[int]] = {}
    for feed in config.feeds:
        oracle.add_feed(
            feed.underlying,
            feed.max_age,
            feed.spot_cap_bps,
            feed.vol_cap,
            feed.description,
            sender=deployer,
        )
        resolved = sorted(
            {resolve_expiry(e, now, f"{feed.symbol}.expiries") for e in feed.expiries}
        )
        for expiry in resolved:
            oracle.list_expiry(feed.underlying, expiry, sender=deployer)
        expiries[feed.symbol] = resolved

    # 3-5. margin engine, registry, clearing house and its view
    engine = deployer.deploy(project.MarginEngine, oracle.address)
    record.record("MarginEngine", engine, project.MarginEngine)
    guardian = address_of(config.guardian)
    registry = deployer.deploy(project.Registry, guardian, config.max_utilisation)
    record.record("Registry", registry, project.Registry)
    log(f"Registry: {registry.address}")
    for symbol, risk in config.risk.items():
        registry.set_risk_params(_feed_id(config, symbol), risk.as_tuple(), sender=deployer)
    clearing = deployer.deploy(
        project.ClearingHouse,
        token_address,
        engine.address,
        registry.address,
        config.liquidation_deposit,
    )
    record.record("ClearingHouse", clearing, project.ClearingHouse)
    log(f"ClearingHouse: {clearing.address}")
    view = deployer.deploy(project.ClearingHouseView, clearing.address, registry.address)
    record.record("ClearingHouseView", view, project.ClearingHouseView)

    # 6. pool
    pool = deployer.deploy(
        project.LiquidityPool,
        token_address,
        clearing.address,
        registry.address,
        engine.address,
        config.pool_name,
        config.pool_symbol,
    )
    record.record("LiquidityPool", pool, project.LiquidityPool)
    clearing.set_pool(pool.address, sender=deployer)
    log(f"LiquidityPool: {pool.address}")

    # 7. chainlink adapters
    for feed in config.feeds:
        adapter = deployer.deploy(
            project.ChainlinkAdapter, oracle.address, feed.underlying, feed.description
        )
        record.record(
            "ChainlinkAdapter", adapter, project.ChainlinkAdapter, f"Chainlink:{feed.symbol}"
        )

    # 8. local conveniences: first prices, funding, pool seed
    if local:
        _push_initial_prices(oracle, chain, config, expiries, roles, deployer)
        if token is not None and config.local_funding:
            for account in roles.values():
                token.mint(account.address, config.local_funding, sender=deployer)
        if token is not None and config.local_pool_seed and "lp" in roles:
            lp = roles["lp"]
            token.approve(pool.address, config.local_pool_seed, sender=lp)
            pool.deposit(config.local_pool_seed, lp.address, sender=lp)
            log(f"pool seeded with {config.local_pool_seed} base units by lp {lp.address}")

    # 9. series last: listing checks the risk parameters and the expiry
    series_ids = []
    for i, series in enumerate(config.series):
        expiry = resolve_expiry(series.expiry, now, f"series[{i}].expiry")
        for strike in series.strikes:
            for is_call in [k for k, on in ((True, series.calls), (False, series.puts)) if on]:
                receipt = registry.list_series(
                    _feed_id(config, series.symbol),
                    strike,
                    expiry,
                    is_call,
                    series.oi_cap,
                    sender=deployer,
                )
                series_ids.append(receipt.return_value)
    log(f"listed {len(series_ids)} series")

    return record.to_json(
        config,
        {
            "expiries": expiries,
            "series_ids": series_ids,
            "roles": {name: acct.address for name, acct in roles.items()},
        },
    )


def _feed_id(config: DeployConfig, symbol: str) -> bytes:
    for feed in config.feeds:
        if feed.symbol == symbol:
            return feed.underlying
    raise ValueError(f"no oracle feed for {symbol}")


def _local_roles(accounts, config: DeployConfig) -> dict[str, Any]:
    # ape.accounts (scripts) or the pytest `accounts` fixture (already the test accounts)
    test_accounts = getattr(accounts, "test_accounts", accounts)
    return {name: test_accounts[index] for name, index in config.local_roles.items()}


def _push_initial_prices(oracle, chain, config, expiries, roles, deployer) -> None:
    """Sign and submit a first spot and a flat surface per listed expiry (local only)."""
    signer = next(
        (roles[s] for s in config.signers if s in roles and hasattr(roles[s], "private_key")),
        None,
    )
    if signer is None:
        return
    now = chain.pending_timestamp - 1
    reports, signatures = [], []
    for feed in config.feeds:
        if feed.initial_spot is None:
            continue
        spot = Report(feed.underlying, 0, feed.initial_spot, observed_at=now)
        reports.append(spot)
        if feed.initial_vol is not None:
            for expiry in expiries[feed.symbol]:
                tau = expiry - now
                total_variance = feed.initial_vol * feed.initial_vol // 10**18 * tau // YEAR
                reports.append(
                    Report(
                        feed.underlying,
                        expiry,
                        feed.initial_spot,
                        a=total_variance,
                        sigma=10**17,
                        observed_at=now,
                    )
                )
    if not reports:
        return
    for report in reports:
        signatures.append(sign_report(report, signer.private_key, chain.chain_id, oracle.address))
    oracle.submit([r.as_tuple() for r in reports], signatures, sender=deployer)


def write(record: dict[str, Any], network_name: str, directory: Path = DEPLOYMENTS) -> Path:
    """Write ``deployments/<network>.json`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{network_name.replace(':', '-')}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
