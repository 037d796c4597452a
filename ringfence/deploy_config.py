"""Deployment parameters: one typed place, loaded from a YAML file (``deploy/*.yaml``).

Human units in the file (``3000``, ``0.15``, ``"+7d"``) become the contracts' integer units
here, exactly (``decimal.Decimal``, never a float): WAD for prices, fractions and vols, unix
seconds for expiries, base units for token amounts. Every problem is a ``ConfigError`` with
one readable line naming the offending key.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ringfence.oracle_types import underlying_id

WAD = 10**18
_RELATIVE = re.compile(r"^\+(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
EXPIRY_HOUR_UTC = 8  # relative expiries land on 08:00 UTC, as listed options usually do


class ConfigError(ValueError):
    """A deployment parameter is missing or invalid (the message names the key)."""


def to_wad(value: Any, key: str, *, signed: bool = False) -> int:
    """``value`` (int, float or numeric string, human units) as an exact WAD integer."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{key}: expected a number, got {value!r}") from None
    scaled = number * WAD
    if scaled != scaled.to_integral_value():
        raise ConfigError(f"{key}: {value!r} has more than 18 decimal places")
    if not signed and scaled < 0:
        raise ConfigError(f"{key}: must not be negative, got {value!r}")
    return int(scaled)


def to_units(value: Any, decimals: int, key: str) -> int:
    """A token amount in human units as base units of a token with ``decimals``."""
    return to_wad(value, key) // 10 ** (18 - decimals)


def resolve_expiry(value: Any, now: int, key: str) -> int:
    """An expiry as unix seconds.

    Accepts an integer timestamp, an ISO-8601 date-time (``2027-03-26T08:00:00Z``) or a
    duration from ``now`` (``+7d``, ``+12h``); durations of a day or more are rounded up to the
    next 08:00 UTC so local deployments list expiries at the usual settlement hour.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    match = _RELATIVE.match(text)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        target = now + seconds
        if seconds >= 86_400:
            day = target - target % 86_400
            hour = day + EXPIRY_HOUR_UTC * 3_600
            target = hour if hour >= target else hour + 86_400
        return target
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{key}: expiry {value!r} is not a timestamp, ISO date-time or +<n>[smhdw]"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _require(mapping: dict, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"{where}.{key}: missing")
    return mapping[key]


@dataclass(frozen=True)
class TokenConfig:
    address: str | None  # an existing quote token (real networks)
    mock_name: str
    mock_symbol: str
    decimals: int


@dataclass(frozen=True)
class FeedConfig:
    symbol: str
    description: str
    max_age: int
    spot_cap_bps: int
    vol_cap: int
    expiries: list[Any]
    initial_spot: int | None  # local only: first spot report, WAD
    initial_vol: int | None  # local only: flat vol for every expiry, WAD

    @property
    def underlying(self) -> bytes:
        return underlying_id(self.symbol)


@dataclass(frozen=True)
class RiskConfig:
    spot_shock: int
    spot_sigmas: int
    crash_factor: int
    vol_up: int
    vol_down: int
    vol_tenor_cap: int
    horizon: int  # seconds (every other field WAD)
    im_factor: int
    min_short_margin: int
    liquidation_reward: int
    insurance_fee: int
    spread_vol: int
    rate: int
    min_size: int

    def as_tuple(self) -> tuple:
        return tuple(asdict(self).values())


@dataclass(frozen=True)
class SeriesConfig:
    symbol: str
    expiry: Any
    strikes: list[int]
    calls: bool
    puts: bool
    oi_cap: int


@dataclass(frozen=True)
class DeployConfig:
    token: TokenConfig
    guardian: str
    max_utilisation: int
    liquidation_deposit: int  # base units each vault deposits for its liquidator
    quorum: int
    signers: list[str]
    feeds: list[FeedConfig]
    risk: dict[str, RiskConfig]
    series: list[SeriesConfig]
    pool_name: str
    pool_symbol: str
    local_roles: dict[str, int] = field(default_factory=dict)
    local_funding: int = 0  # base units minted to every role account on local networks
    local_pool_seed: int = 0  # base units the `lp` role deposits into the pool


# risk_params.RiskParams' fields, in order (RiskConfig declares them that way).
RISK_KEYS = tuple(f.name for f in fields(RiskConfig))
# The risk parameters given in whole seconds rather than human units scaled to WAD.
SECONDS_KEYS = ("horizon",)


def risk_value(name: str, value: Any, key: str) -> int:
    """One risk parameter in contract units: whole seconds for `horizon`, WAD otherwise
    (only `rate` may be negative). ``key`` names it in errors."""
    if name in SECONDS_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{key}: expected a positive whole number of seconds, got {value!r}")
        return value
    return to_wad(value, key, signed=name == "rate")


def _feed(raw: dict, i: int) -> FeedConfig:
    where = f"oracle.feeds[{i}]"
    symbol = str(_require(raw, "underlying", where))
    try:
        underlying_id(symbol)
    except ValueError as error:
        raise ConfigError(f"{where}.underlying: {error}") from None
    expiries = raw.get("expiries", [])
    if not isinstance(expiries, list):
        raise ConfigError(f"{where}.expiries: expected a list")
    init_spot = raw.get("initial_spot")
    init_vol = raw.get("initial_vol")
    return FeedConfig(
        symbol=symbol,
        description=str(raw.get("description", f"{symbol} / USD"))[:64],
        max_age=int(_require(raw, "max_age", where)),
        spot_cap_bps=int(_require(raw, "spot_cap_bps", where)),
        vol_cap=to_wad(_require(raw, "vol_cap", where), f"{where}.vol_cap"),
        expiries=expiries,
        initial_spot=None if init_spot is None else to_wad(init_spot, f"{where}.initial_spot"),
        initial_vol=None if init_vol is None else to_wad(init_vol, f"{where}.initial_vol"),
    )


def _risk(symbol: str, raw: dict) -> RiskConfig:
    where = f"risk.{symbol}"
    values = {}
    for key in RISK_KEYS:
        values[key] = risk_value(key, _require(raw, key, where), f"{where}.{key}")
    unknown = set(raw) - set(RISK_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return RiskConfig(**values)


def _series(raw: dict, i: int) -> SeriesConfig:
    where = f"series[{i}]"
    strikes = _require(raw, "strikes", where)
    if not isinstance(strikes, list) or not strikes:
        raise ConfigError(f"{where}.strikes: expected a non-empty list")
    kinds = raw.get("types", ["call", "put"])
    bad = [k for k in kinds if k not in ("call", "put")]
    if bad:
        raise ConfigError(f"{where}.types: expected call and/or put, got {bad}")
    return SeriesConfig(
        symbol=str(_require(raw, "underlying", where)),
        expiry=_require(raw, "expiry", where),
        strikes=[to_wad(s, f"{where}.strikes") for s in strikes],
        calls="call" in kinds,
        puts="put" in kinds,
        oi_cap=to_wad(_require(raw, "oi_cap", where), f"{where}.oi_cap"),
    )


def parse(data: dict) -> DeployConfig:
    """Validate a parsed YAML document and convert it to contract units."""
    if not isinstance(data, dict):
        raise ConfigError("parameter file: expected a mapping at the top level")
    token_raw = _require(data, "token", "params")
    decimals = int(token_raw.get("decimals", 18))
    if not 0 <= decimals <= 18:
        raise ConfigError(f"token.decimals: must be in [0, 18], got {decimals}")
    token = TokenConfig(
        address=token_raw.get("address"),
        mock_name=str(token_raw.get("name", "Mock USD")),
        mock_symbol=str(token_raw.get("symbol", "mUSD")),
        decimals=decimals,
    )
    oracle_raw = _require(data, "oracle", "params")
    feeds = [_feed(f, i) for i, f in enumerate(_require(oracle_raw, "feeds", "oracle"))]
    symbols = {f.symbol for f in feeds}
    risk_raw = _require(data, "risk", "params")
    risk = {symbol: _risk(symbol, raw) for symbol, raw in risk_raw.items()}
    missing = symbols - set(risk)
    if missing:
        raise ConfigError(f"risk: no parameters for feed(s) {', '.join(sorted(missing))}")
    series = [_series(s, i) for i, s in enumerate(data.get("series", []))]
    for i, s in enumerate(series):
        if s.symbol not in symbols:
            raise ConfigError(f"series[{i}].underlying: {s.symbol} is not an oracle feed")
    pool_raw = data.get("pool", {})
    local_raw = data.get("local", {})
    roles = {str(k): int(v) for k, v in local_raw.get("roles", {}).items()}
    return DeployConfig(
        token=token,
        guardian=str(data.get("guardian", "deployer")),
        max_utilisation=to_wad(_require(data, "max_utilisation", "params"), "max_utilisation"),
        liquidation_deposit=to_units(
            _require(data, "liquidation_deposit", "params"), decimals, "liquidation_deposit"
        ),
        quorum=int(oracle_raw.get("quorum", 1)),
        signers=[str(s) for s in _require(oracle_raw, "signers", "oracle")],
        feeds=feeds,
        risk=risk,
        series=series,
        pool_name=str(pool_raw.get("name", "Ringfence LP")),
        pool_symbol=str(pool_raw.get("symbol", "rfLP")),
        local_roles=roles,
        local_funding=to_units(local_raw.get("funding", 0), decimals, "local.funding"),
        local_pool_seed=to_units(local_raw.get("pool_seed", 0), decimals, "local.pool_seed"),
    )


def load(path: str | Path) -> DeployConfig:
    """Read and validate a parameter file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"parameter file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"parameter file {path}: invalid YAML ({error})") from None
    return parse(data)
