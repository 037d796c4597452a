"""Deploy and wire Ringfence with Ape: the logic behind ``ape run deploy``.

Order (each step needs the previous one's address):

1. quote token — an existing ERC-20 (``token.address``) or, on local networks, ``MockToken``;
2. ``SurfaceChecker``, ``OracleGovernor``, ``Oracle(checker, governor)`` and
   ``OracleGovernor.bind(oracle)`` — then, through the governor, signers, quorum, feeds and
   their listed expiries;
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

The record (``deployments/<network>-<chain id>.json``, see :mod:`ringfence.records`) holds
the addresses, the block each contract was deployed in, the resolved parameters in contract
units, and for each contract the source file its ABI comes from together with the ABI
itself (so services need no compiler). It is handed to ``on_record`` after every contract,
marked ``"complete": false`` until the last step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ringfence import records
from ringfence.deploy_config import (
    MAX_EXPIRIES,
    MAX_EXPIRY,
    MAX_EXPIRY_HORIZON,
    ConfigError,
    DeployConfig,
    human,
    resolve_expiry,
)
from ringfence.oracle_types import Report, sign_report
from ringfence.strict_keys import unknown_key_message

DEPLOYMENTS = records.DEPLOYMENTS
SOURCES = {
    "MockToken": "contracts/mocks/MockToken.vy",
    "SurfaceChecker": "contracts/SurfaceChecker.vy",
    "OracleGovernor": "contracts/OracleGovernor.vy",
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


ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class Plan:
    """Everything a deployment will do, resolved and checked before the first transaction:
    the accounts behind role names, the expiries and series on the chain's clock."""

    network: str
    chain_id: int
    local: bool
    deployer: str
    now: int
    roles: dict[str, str]  # local role -> address
    signers: list[str]
    guardian: str
    expiries: dict[str, list[int]]  # feed symbol -> listed expiries, sorted
    series: list[tuple[str, int, int, bool, int]]  # symbol, strike, expiry, is_call, oi_cap
    config: DeployConfig = field(repr=False)

    def steps(self) -> list[str]:
        """The plan as lines a person can review (what `--dry-run` prints)."""
        c = self.config
        out = []
        if c.token.address:
            out.append(f"quote token: {c.token.address} ({c.token.decimals} decimals)")
        else:
            out.append(
                f"deploy MockToken({c.token.mock_name!r}, {c.token.mock_symbol!r}, "
                f"{c.token.decimals})"
            )
        out.append(
            "deploy SurfaceChecker(), OracleGovernor(), Oracle(checker, governor); governor.bind"
        )
        out.append(f"OracleGovernor: signers {', '.join(self.signers)}; quorum {c.quorum}")
        for feed in c.feeds:
            listed = ", ".join(_iso(e) for e in self.expiries[feed.symbol])
            out.append(
                f"OracleGovernor.add_feed {feed.symbol} ({feed.description!r}): "
                f"max_age {feed.max_age} s, "
                f"spot_cap_bps {feed.spot_cap_bps}, vol_cap {human(feed.vol_cap)}; "
                f"expiries {listed or 'none'}"
            )
        out.append("deploy MarginEngine(oracle)")
        out.append(
            f"deploy Registry(guardian {self.guardian}, max_utilisation {human(c.max_utilisation)})"
        )
        for symbol, risk in c.risk.items():
            values = ", ".join(
                f"{k} {human(v, seconds=k == 'horizon')}" for k, v in asdict(risk).items()
            )
            out.append(f"Registry.set_risk_params {symbol}: {values}")
        out.append(
            f"deploy ClearingHouse(token, engine, registry, liquidation_deposit "
            f"{c.liquidation_deposit} base units), ClearingHouseView"
        )
        out.append(f"deploy LiquidityPool({c.pool_name!r}, {c.pool_symbol!r}); set_pool")
        out.append("deploy ChainlinkAdapter per feed: " + ", ".join(f.symbol for f in c.feeds))
        if self.local:
            out.append(
                f"local: fund {len(self.roles)} role accounts with {c.local_funding} base units, "
                f"seed the pool with {c.local_pool_seed}, push first prices"
            )
        out.append(f"Registry.list_series: {len(self.series)} series")
        return out


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%MZ")


def plan(
    config: DeployConfig,
    network_name: str,
    chain_id: int,
    now: int,
    deployer_address: str,
    roles: dict[str, str],
) -> Plan:
    """Resolve and check what needs the chain (its clock, the accounts): raises
    ConfigError with one line naming the key, before anything is sent."""
    local = is_local(network_name)
    if not local and not config.token.address:
        raise ConfigError(f"token.address: required on non-local networks ({network_name})")

    def address_of(name: str, key: str) -> str:
        if name.startswith("0x"):
            if len(name) != 42 or name.lower() == ZERO_ADDRESS:
                raise ConfigError(f"{key}: {name!r} is not a non-zero 20-byte address")
            return name
        if name == "deployer":
            return deployer_address
        if name in roles:
            return roles[name]
        names = ["deployer", *roles]
        hint = unknown_key_message(name, names).split(": unknown key")[1]
        where = "a local role" if local else "a role only on local networks"
        raise ConfigError(
            f"{key}: unknown account {name!r}{hint}: give an address, 'deployer' or {where}"
        )

    signers = [address_of(s, f"oracle.signers[{i}]") for i, s in enumerate(config.signers)]
    if len({s.lower() for s in signers}) != len(signers):
        raise ConfigError("oracle.signers: two entries are the same account")
    guardian = address_of(config.guardian, "guardian")
    expiries: dict[str, list[int]] = {}
    for i, feed in enumerate(config.feeds):
        key = f"oracle.feeds[{i}].expiries"
        resolved = sorted({resolve_expiry(e, now, key) for e in feed.expiries})
        if len(resolved) > MAX_EXPIRIES:
            raise ConfigError(f"{key}: {len(resolved)} expiries, the Oracle takes {MAX_EXPIRIES}")
        for expiry in resolved:
            if not now < expiry <= now + MAX_EXPIRY_HORIZON:
                raise ConfigError(
                    f"{key}: {_iso(expiry)} is not in the future and within 10 years "
                    f"of the chain's time {_iso(now)}"
                )
        expiries[feed.symbol] = resolved
    series: list[tuple[str, int, int, bool, int]] = []
    seen: set[tuple[str, int, int, bool]] = set()
    for i, group in enumerate(config.series):
        key = f"series[{i}].expiry"
        expiry = resolve_expiry(group.expiry, now, key)
        if not now < expiry <= MAX_EXPIRY:
            raise ConfigError(f"{key}: {_iso(expiry)} is not after the chain's time {_iso(now)}")
        if expiry not in expiries[group.symbol]:
            raise ConfigError(
                f"{key}: {group.expiry!r} ({_iso(expiry)}) is not among the expiries of the "
                f"{group.symbol} oracle feed: it could never be priced or settled"
            )
        for strike in group.strikes:
            for is_call in [k for k, on in ((True, group.calls), (False, group.puts)) if on]:
                ident = (group.symbol, strike, expiry, is_call)
                if ident in seen:
                    kind = "call" if is_call else "put"
                    raise ConfigError(
                        f"series[{i}]: the {human(strike)} {kind} of {_iso(expiry)} is listed twice"
                    )
                seen.add(ident)
                series.append((group.symbol, strike, expiry, is_call, group.oi_cap))
    return Plan(
        network=network_name,
        chain_id=chain_id,
        local=local,
        deployer=deployer_address,
        now=now,
        roles=roles,
        signers=signers,
        guardian=guardian,
        expiries=expiries,
        series=series,
        config=config,
    )


def _abi(contract_container) -> list[dict[str, Any]]:
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True)
        for item in contract_container.contract_type.abi
    ]


class Deployment:
    """Collects addresses and blocks as contracts are deployed; ``on_change`` (when given)
    receives the record, marked incomplete, after every contract."""

    def __init__(
        self,
        network: str,
        chain_id: int,
        deployer: str,
        config: DeployConfig,
        extra: dict[str, Any],
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.network = network
        self.chain_id = chain_id
        self.deployer = deployer
        self.config = config
        self.extra = extra
        self.on_change = on_change
        self.started_at = int(time.time())
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
        if self.on_change is not None:
            self.on_change(self.to_json(complete=False))

    def to_json(self, complete: bool = True) -> dict[str, Any]:
        return {
            "network": self.network,
            "chain_id": self.chain_id,
            "deployer": self.deployer,
            "deployed_at": self.started_at,
            "complete": complete,
            "block": min(
                (c["block"] for c in self.contracts.values() if c["block"] is not None),
                default=None,
            ),
            "contracts": self.contracts,
            "parameters": _jsonable(asdict(self.config)),
            **self.extra,
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


def make_plan(chain, accounts, deployer, config: DeployConfig, network_name: str) -> Plan:
    """The :class:`Plan` for this chain, its clock and accounts (nothing is sent)."""
    roles = _local_roles(accounts, config) if is_local(network_name) else {}
    return plan(
        config,
        network_name,
        chain.chain_id,
        chain.pending_timestamp,
        deployer.address,
        {name: account.address for name, account in roles.items()},
    )


def deploy(
    project,
    chain,
    accounts,
    deployer,
    config: DeployConfig,
    network_name: str,
    *,
    log=print,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Deploy and wire every contract; returns the complete deployment record.

    The plan is made (and every parameter checked) before the first transaction;
    ``on_record`` receives the record, marked ``"complete": false``, after every contract
    deployed (the CLI writes it, so a failure or Ctrl-C leaves a record of what exists)."""
    the_plan = make_plan(chain, accounts, deployer, config, network_name)
    local = the_plan.local
    roles = _local_roles(accounts, config) if local else {}
    series_ids: list[int] = []
    record = Deployment(
        network_name,
        chain.chain_id,
        deployer.address,
        config,
        {"expiries": the_plan.expiries, "series_ids": series_ids, "roles": the_plan.roles},
        on_record,
    )

    # 1. quote token
    if config.token.address:
        token = project.MockToken.at(config.token.address) if local else None
        token_address = config.token.address
        log(f"token: using {token_address}")
    else:
        token = deployer.deploy(
            project.MockToken,
            config.token.mock_name,
            config.token.mock_symbol,
            config.token.decimals,
        )
        record.record("MockToken", token, project.MockToken)
        token_address = token.address
        log(f"MockToken ({config.token.decimals} decimals): {token_address}")

    # 2. oracle (over its stateless surface checker), configured through its governor
    checker = deployer.deploy(project.SurfaceChecker)
    record.record("SurfaceChecker", checker, project.SurfaceChecker)
    governor = deployer.deploy(project.OracleGovernor)
    record.record("OracleGovernor", governor, project.OracleGovernor)
    oracle = deployer.deploy(project.Oracle, checker.address, governor.address)
    record.record("Oracle", oracle, project.Oracle)
    governor.bind(oracle.address, sender=deployer)
    log(f"Oracle: {oracle.address} (governor {governor.address})")
    for signer in the_plan.signers:
        governor.add_signer(signer, sender=deployer)
    if config.quorum != 1:
        governor.set_quorum(config.quorum, sender=deployer)
    expiries = the_plan.expiries
    for feed in config.feeds:
        governor.add_feed(
            feed.underlying,
            feed.max_age,
            feed.spot_cap_bps,
            feed.vol_cap,
            feed.description,
            sender=deployer,
        )
        for expiry in expiries[feed.symbol]:
            governor.list_expiry(feed.underlying, expiry, sender=deployer)

    # 3-5. margin engine, registry, clearing house and its view
    engine = deployer.deploy(project.MarginEngine, oracle.address)
    record.record("MarginEngine", engine, project.MarginEngine)
    registry = deployer.deploy(project.Registry, the_plan.guardian, config.max_utilisation)
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
    for symbol, strike, expiry, is_call, oi_cap in the_plan.series:
        receipt = registry.list_series(
            _feed_id(config, symbol), strike, expiry, is_call, oi_cap, sender=deployer
        )
        series_ids.append(receipt.return_value)
    log(f"listed {len(series_ids)} series")
    return record.to_json(complete=True)


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


def write(record: dict[str, Any], path: Path) -> Path:
    """Write a record to ``path`` (atomically) and return it; see :mod:`ringfence.records`
    for the per-chain path and the archiving of an earlier record."""
    return records.write(record, path)
