"""The pusher's configuration: typed dataclasses loaded from one YAML file.

Every option carries its documentation in ``metadata["doc"]``; `reference()` renders them
for ``oracle push --help`` and docs/pusher.md. Relative paths resolve against the config
file's folder. Passwords are never accepted here: the config names the password FILE or
ENVIRONMENT VARIABLE, and a ``password`` key is an error.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oracle.errors import ConfigError
from oracle.keystore import DEFAULT_PASSWORD_ENV
from ringfence.network import NetworkError, resolve_rpc_url


def opt(default: Any = dataclasses.MISSING, doc: str = "", factory: Any = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass(kw_only=True)
class ReplaySourceConfig:
    kind: str = opt("replay", "source kind")
    path: str = opt(doc="CSV file (format in docs/pusher.md); relative to the config file")
    on_end: str = opt("hold", "at the end of the file: 'hold' (repeat the last row) or 'stop'")
    use_file_timestamps: bool = opt(False, "report the file's times instead of the pusher's clock")


@dataclass(kw_only=True)
class SimSourceConfig:
    kind: str = opt("sim", "source kind")
    seed: int = opt(0, "random seed; the same seed replays the same path")
    spot: float = opt(2_000.0, "initial spot, quote per unit")
    drift: float = opt(0.0, "annual drift of log spot")
    rate: float = opt(0.0, "carry for forwards: F = S exp(rate tau)")
    step_seconds: int = opt(60, "simulated seconds per push cycle")
    regimes: list[float] = opt(doc="annualised vol of each regime", factory=lambda: [0.5, 0.9])
    switch_probability: float = opt(0.01, "per-step probability of switching regime")
    jump_intensity: float = opt(10.0, "expected jumps per year")
    jump_mean: float = opt(-0.02, "mean log jump size")
    jump_std: float = opt(0.05, "std-dev of log jump size")
    skew: float = opt(-0.3, "SVI rho of the simulated smile, in (-1, 1)")
    smile_sigma: float = opt(0.2, "SVI sigma of the simulated smile")
    wing: float = opt(0.5, "wing steepness: SVI b = wing * atm * sqrt(tau)")


@dataclass(kw_only=True)
class DeribitSourceConfig:
    kind: str = opt("deribit", "source kind")
    currency: str = opt("BTC", "Deribit currency (BTC, ETH, ...)")
    index_name: str = opt("", "index for spot; default '<currency>_usd'")
    base_url: str = opt(
        "https://www.deribit.com", "API root (the test suite points it at 127.0.0.1)"
    )
    timeout: float = opt(5.0, "HTTP timeout per request, seconds")
    min_quotes: int = opt(6, "minimum OTM quotes to fit an expiry's smile")
    min_tau_seconds: int = opt(86_400, "skip expiries closer than this")
    max_expiries: int = opt(4, "when no expiry is listed, fit the nearest N")
    max_fit_rmse: float = opt(0.05, "skip a smile whose fit RMSE exceeds this (vol, 0.01 = 1 pt)")
    instruments_ttl: int = opt(3_600, "seconds between instrument-list refreshes")


CLOCKS = ("wall", "chain")

SOURCE_KINDS: dict[str, type] = {
    "replay": ReplaySourceConfig,
    "sim": SimSourceConfig,
    "deribit": DeribitSourceConfig,
}


@dataclass(kw_only=True)
class FeedConfig:
    underlying: str = opt(doc="feed symbol, e.g. ETH (bytes32 id = ASCII, zero-padded)")
    sources: list = opt(
        doc="one or more sources (replay, sim, deribit); median across them", factory=list
    )
    deviation_bps: float = opt(50.0, "push spot when it moved this many bps since the last push")
    vol_deviation: float = opt(0.01, "push a smile when any grid vol moved this much (0.01 = 1 pt)")
    heartbeat: int = opt(3_600, "push anyway when the last push is this many seconds old")
    max_spread_bps: float = opt(200.0, "outlier rule: drop a spot this far (bps) from the median")
    max_vol_spread: float = opt(0.05, "outlier rule: drop a smile whose ATM vol is this far off")
    expiries: list[int] = opt(
        doc="only these listed expiries (unix s); empty = every listed one", factory=list
    )


@dataclass(kw_only=True)
class OracleContractConfig:
    address: str | None = opt(None, "Oracle contract address (or give 'deployment')")
    deployment: str | None = opt(None, "deployments JSON holding the Oracle's address (and abi)")
    abi_file: str | None = opt(None, "ABI JSON; default: the record's, else the packaged one")


@dataclass(kw_only=True)
class SignerConfig:
    keystore: str = opt(doc="eth-account keystore JSON of the signer (also pays gas)")
    password_file: str | None = opt(None, "file whose first line is the keystore password")
    password_env: str = opt(DEFAULT_PASSWORD_ENV, "environment variable holding the password")


@dataclass(kw_only=True)
class SendingConfig:
    priority_fee_gwei: float = opt(1.0, "maxPriorityFeePerGas of a first attempt, gwei")
    max_fee_ceiling_gwei: float = opt(200.0, "no attempt ever offers more than this per gas, gwei")
    base_fee_multiplier: float = opt(2.0, "maxFeePerGas = multiplier x base fee + priority fee")
    replace_after_blocks: int = opt(
        3, "replace (+12.5% both fees, same nonce) after N blocks unmined"
    )
    replace_after_seconds: float | None = opt(None, "also replace after this many seconds unmined")
    receipt_timeout: float = opt(180.0, "stop waiting for a batch after this many seconds")
    receipt_poll_interval: float = opt(1.0, "seconds between receipt polls")
    gas_limit: int | None = opt(None, "fixed gas limit; default: estimate x gas_multiplier")
    gas_multiplier: float = opt(1.25, "head-room over eth_estimateGas")


@dataclass(kw_only=True)
class RetryConfig:
    rounds: int = opt(3, "rounds over every RPC URL before a call fails for this cycle")
    backoff_base: float = opt(0.5, "sleep after a failed round: base * 2**round seconds")
    backoff_max: float = opt(8.0, "cap of that sleep, seconds")
    cycle_backoff_max: float = opt(60.0, "cap of the sleep between failing cycles, seconds")


@dataclass(kw_only=True)
class Config:
    chain_id: int = opt(doc="chain id the RPCs must serve (31337 for anvil)")
    rpc_urls: list[str] = opt(
        doc="JSON-RPC URLs in failover order (at least one); an entry may be an Ape network "
        "choice such as ethereum:local:foundry ($APE_FOUNDRY_HOST, else foundry.host)",
        factory=list,
    )
    rpc_timeout: float = opt(10.0, "HTTP timeout per RPC request, seconds")
    oracle: OracleContractConfig = opt(doc="where the Oracle is", factory=OracleContractConfig)
    signer: SignerConfig = opt(
        doc="the signing key (a keystore; password from file or env)",
        factory=lambda: SignerConfig(keystore=""),
    )
    poll_interval: float = opt(5.0, "seconds between push cycles")
    clock: str = opt(
        "wall",
        "observation time source: 'wall' (this machine's clock) or 'chain' (latest block "
        "timestamp, for chains whose clock is warped)",
    )
    feeds: list[FeedConfig] = opt(doc="the feeds to push (at least one)", factory=list)
    sending: SendingConfig = opt(doc="fees, replacement and gas", factory=SendingConfig)
    retry: RetryConfig = opt(doc="RPC failover rounds and backoff", factory=RetryConfig)
    log_level: str = opt("info", "debug, info, warning or error")
    path: str = opt("", "(set by the loader) the config file itself")

    def feed(self, underlying: str) -> FeedConfig:
        for f in self.feeds:
            if f.underlying == underlying:
                return f
        raise ConfigError(
            f"unknown feed {underlying!r} (configured: {[f.underlying for f in self.feeds]})"
        )


# -- loading -----------------------------------------------------------------------


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        (inner,) = typing.get_args(tp) or (Any,)
        return [_coerce(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported option type {tp}")


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if "password" in data:
        raise ConfigError(
            f"{where}: passwords never go in the config; use password_file or password_env"
        )
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown option {unknown[0]!r} (known: {', '.join(fields)})")
    kwargs = {}
    for name, f in fields.items():
        key = f"{where}.{name}"
        if name in data:
            if cls is FeedConfig and name == "sources":
                kwargs[name] = [
                    _source(v, f"{key}[{i}]") for i, v in enumerate(_list(data[name], key))
                ]
            else:
                kwargs[name] = _coerce(hints[name], data[name], key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key}: required option missing")
    return cls(**kwargs)


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _source(data: Any, where: str) -> Any:
    if not isinstance(data, dict) or "kind" not in data:
        raise ConfigError(f"{where}: a source needs a 'kind' ({', '.join(SOURCE_KINDS)})")
    kind = data["kind"]
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}: unknown source kind {kind!r} ({', '.join(SOURCE_KINDS)})")
    return _build(SOURCE_KINDS[kind], data, where)


def _resolve(base: Path, value: str | None) -> str | None:
    if value is None or value == "":
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def validate(cfg: Config) -> None:
    if not cfg.rpc_urls:
        raise ConfigError("config.rpc_urls: at least one RPC URL is required")
    if cfg.chain_id <= 0:
        raise ConfigError("config.chain_id: must be a positive integer")
    if not (cfg.oracle.address or cfg.oracle.deployment):
        raise ConfigError("config.oracle: give 'address' or 'deployment'")
    if not cfg.signer.keystore:
        raise ConfigError("config.signer.keystore: required option missing")
    if not cfg.feeds:
        raise ConfigError("config.feeds: at least one feed is required")
    seen = set()
    for i, f in enumerate(cfg.feeds):
        where = f"config.feeds[{i}]"
        if f.underlying in seen:
            raise ConfigError(f"{where}: feed {f.underlying!r} configured twice")
        seen.add(f.underlying)
        if not f.underlying.isascii() or not 0 < len(f.underlying) <= 32:
            raise ConfigError(f"{where}.underlying: 1-32 ASCII characters")
        if not f.sources:
            raise ConfigError(f"{where}.sources: at least one source is required")
        if f.deviation_bps <= 0 or f.vol_deviation <= 0 or f.heartbeat <= 0:
            raise ConfigError(f"{where}: deviation_bps, vol_deviation and heartbeat must be > 0")
    s = cfg.sending
    if s.max_fee_ceiling_gwei <= 0 or s.priority_fee_gwei < 0:
        raise ConfigError(
            "config.sending: max_fee_ceiling_gwei must be > 0, priority_fee_gwei >= 0"
        )
    if s.priority_fee_gwei > s.max_fee_ceiling_gwei:
        raise ConfigError("config.sending: priority_fee_gwei exceeds max_fee_ceiling_gwei")
    if s.replace_after_blocks < 1:
        raise ConfigError("config.sending.replace_after_blocks: must be >= 1")
    if cfg.clock not in CLOCKS:
        raise ConfigError(f"config.clock: unknown clock {cfg.clock!r} ({', '.join(CLOCKS)})")
    if cfg.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"config.log_level: unknown level {cfg.log_level!r}")


def load_config(path: str | Path) -> Config:
    """Read, type-check and validate a YAML config; every problem is one ConfigError line."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"config {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"config {path}:{at} invalid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if data is None:
        raise ConfigError(f"config {path}: empty")
    data = dict(data) if isinstance(data, dict) else data
    if isinstance(data, dict):
        data.pop("path", None)
    cfg = _build(Config, data, "config")
    base = path.resolve().parent
    cfg.path = str(path.resolve())
    cfg.signer.keystore = _resolve(base, cfg.signer.keystore) or ""
    cfg.signer.password_file = _resolve(base, cfg.signer.password_file)
    cfg.oracle.deployment = _resolve(base, cfg.oracle.deployment)
    cfg.oracle.abi_file = _resolve(base, cfg.oracle.abi_file)
    try:
        cfg.rpc_urls = [resolve_rpc_url(url) for url in cfg.rpc_urls]
    except NetworkError as exc:
        raise ConfigError(f"config.rpc_urls: {exc}") from None
    for feed in cfg.feeds:
        for src in feed.sources:
            if isinstance(src, ReplaySourceConfig):
                src.path = _resolve(base, src.path) or ""
    validate(cfg)
    return cfg


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and not dataclasses.is_dataclass(value[0])


def reference() -> str:
    """Every option with its default and meaning, as an indented YAML-ish listing."""
    lines: list[str] = []

    def walk(cls: type, indent: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name == "path" and cls is Config:
                continue
            if f.default is not dataclasses.MISSING:
                default = f" (default {f.default!r})"
            elif f.default_factory is not dataclasses.MISSING and _scalar_list(f.default_factory()):
                default = f" (default {f.default_factory()!r})"
            elif f.default_factory is dataclasses.MISSING:
                default = " (required)"
            else:
                default = ""
            lines.append(f"{indent}{f.name}: {f.metadata.get('doc', '')}{default}")
            tp = hints[f.name]
            inner = (
                typing.get_args(tp)[0]
                if typing.get_origin(tp) is list and typing.get_args(tp)
                else tp
            )
            if dataclasses.is_dataclass(inner):
                walk(inner, indent + "  ")
            if cls is FeedConfig and f.name == "sources":
                for kind, scls in SOURCE_KINDS.items():
                    lines.append(f"{indent}  - kind: {kind}")
                    walk(scls, indent + "      ")

    walk(Config, "")
    return "\n".join(lines)
