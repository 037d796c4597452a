"""Deployment parameters: one typed place, loaded from a YAML file (``deploy/*.yaml``).

Human units in the file (``3000``, ``0.15``, ``"+7d"``) become the contracts' integer units
here, exactly (``decimal.Decimal``, never a float): WAD for prices, fractions and vols, unix
seconds for expiries, base units for token amounts. Every problem is a ``ConfigError`` with
one readable line naming the offending key.

The file is strict: an unknown key anywhere (a typo such as ``max_agee``) is an error with
a "did you mean", and every bound the contracts enforce (``contracts/lib/risk_params.vy``,
the ``Oracle``, ``Registry``, ``ClearingHouse``, ``LiquidityPool`` and ``MockToken``
constructor and setter asserts, mirrored in the ``*_LIMITS`` tables below) is checked here,
before the first transaction. Bounds that depend on the chain's clock (expiries in the
future) are checked by ``ringfence.deployer.plan``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ringfence.chain_types import RISK_KEYS, RiskParams
from ringfence.errors import ConfigError
from ringfence.oracle_types import underlying_id
from ringfence.strict_keys import check_keys, unknown_key_message

WAD = 10**18
_RELATIVE = re.compile(r"^\+(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
EXPIRY_HOUR_UTC = 8  # relative expiries land on 08:00 UTC, as listed options usually do

# The contracts' hard limits, in contract units (WAD unless noted), as (low, high), both
# inclusive. tests/unit/deploy/test_deploy_limits.py reads each one back from the Vyper
# source, so a change there fails a test until it is made here too.
RISK_LIMITS: dict[str, tuple[int, int]] = {  # contracts/lib/risk_params.vy `_check`
    "spot_shock": (10**16, 5 * 10**17),
    "spot_sigmas": (0, 8 * 10**18),
    "crash_factor": (10**18, 3 * 10**18),
    "vol_up": (0, 4 * 10**18),
    "vol_down": (0, 9 * 10**17),
    "vol_tenor_cap": (10**18, 4 * 10**18),
    "horizon": (60, 7 * 86_400),  # seconds
    "im_factor": (105 * 10**16, 3 * 10**18),
    "min_short_margin": (0, 5 * 10**17),
    "liquidation_reward": (0, 2 * 10**17),
    "insurance_fee": (0, 2 * 10**17),
    "spread_vol": (0, 10**17),
    "rate": (-(10**17), 10**18),
    "min_size": (10**12, 10**20),
}
RISK_PRECISION = 10**12  # risk_params stores parts per million: WAD fields are multiples
FEED_LIMITS: dict[str, tuple[int, int]] = {  # OracleGovernor `_check_params`
    "max_age": (60, 86_400),  # seconds
    "spot_cap_bps": (1, 10_000),
    "vol_cap": (10**15, 5 * 10**18),
}
MAX_SIGNERS = 16  # OracleGovernor.add_signer
MAX_FEEDS = 32  # OracleGovernor.add_feed
MAX_EXPIRIES = 16  # OracleGovernor.list_expiry, per feed
MAX_EXPIRY_HORIZON = 10 * 31_536_000  # OracleGovernor.list_expiry: at most 10 years out
MAX_PRICE = 10**30  # Oracle reports and Registry.list_series strikes, WAD
MAX_ATM_VOL = 10 * 10**18  # Oracle surface reports: 1000 %
MAX_EXPIRY = 2**64 - 1  # series_terms.MAX_EXPIRY
MAX_UTILISATION = 20 * 10**18  # Registry: max_utilisation in (0, 20e18]
MAX_DEPOSIT = 2**93 - 1  # ClearingHouse: liquidation_deposit (position_store.MAX_COLLATERAL)
MAX_MINT = 10**30  # MockToken.mint, base units
MAX_DESCRIPTION = 64  # OracleGovernor feed / ChainlinkAdapter description, String[64] (bytes)
MAX_NAME = 25  # LiquidityPool and MockToken name, String[25] (bytes)
MAX_SYMBOL = 5  # LiquidityPool and MockToken symbol, String[5] (bytes)

# Every key the file may hold, per section (anything else is a typo).
TOP_KEYS = (
    "token",
    "guardian",
    "max_utilisation",
    "liquidation_deposit",
    "oracle",
    "risk",
    "series",
    "pool",
    "local",
)
TOKEN_KEYS = ("address", "name", "symbol", "decimals")
ORACLE_KEYS = ("quorum", "signers", "feeds")
FEED_KEYS = (
    "underlying",
    "description",
    "max_age",
    "spot_cap_bps",
    "vol_cap",
    "expiries",
    "initial_spot",
    "initial_vol",
)
SERIES_KEYS = ("underlying", "expiry", "strikes", "types", "oi_cap")
POOL_KEYS = ("name", "symbol")
LOCAL_KEYS = ("roles", "funding", "pool_seed")


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


def _section(raw: Any, allowed: tuple[str, ...], where: str) -> dict:
    """``raw`` as a mapping whose keys are all in ``allowed`` (``where`` names it)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    check_keys(raw, allowed, where, ConfigError)
    return raw


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    return value


def human(value: int, seconds: bool = False) -> str:
    """A contract-unit value as the file writes it (WAD / 1e18, or plain seconds)."""
    if seconds:
        return str(value)
    text = format(Decimal(value) / WAD, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _within(value: int, limits: tuple[int, int], key: str, *, seconds: bool = False) -> int:
    low, high = limits
    if not low <= value <= high:
        raise ConfigError(
            f"{key}: {human(value, seconds)} is outside the contract's range "
            f"[{human(low, seconds)}, {human(high, seconds)}]"
        )
    return value


def _text(value: Any, limit: int, key: str) -> str:
    text = str(value)
    if len(text.encode()) > limit:
        raise ConfigError(f"{key}: {text!r} is longer than the contract's {limit} bytes")
    return text


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


#: A feed's risk parameters: ``lib/risk_params.vy``'s struct, one definition
#: (``ringfence.chain_types.RiskParams``).
RiskConfig = RiskParams


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


# The risk parameters given in whole seconds rather than human units scaled to WAD.
SECONDS_KEYS = ("horizon",)


def risk_value(name: str, value: Any, key: str) -> int:
    """One risk parameter in contract units: whole seconds for `horizon`, WAD otherwise
    (only `rate` may be negative), inside its hard limit and at the contract's precision
    (parts per million). ``key`` names it in errors."""
    if name in SECONDS_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{key}: expected a positive whole number of seconds, got {value!r}")
        return _within(value, RISK_LIMITS[name], key, seconds=True)
    wad = to_wad(value, key, signed=name == "rate")
    _within(wad, RISK_LIMITS[name], key)
    if wad % RISK_PRECISION:
        raise ConfigError(f"{key}: {value!r} is finer than the contract's 0.000001")
    return wad


def _feed(raw: Any, i: int) -> FeedConfig:
    where = f"oracle.feeds[{i}]"
    raw = _section(raw, FEED_KEYS, where)
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
    if init_spot is not None:
        init_spot = _within(
            to_wad(init_spot, f"{where}.initial_spot"), (1, MAX_PRICE), f"{where}.initial_spot"
        )
    if init_vol is not None:
        init_vol = _within(
            to_wad(init_vol, f"{where}.initial_vol"), (1, MAX_ATM_VOL), f"{where}.initial_vol"
        )
    limits = {
        name: _within(
            value(_require(raw, name, where), f"{where}.{name}"),
            FEED_LIMITS[name],
            f"{where}.{name}",
            seconds=name != "vol_cap",
        )
        for name, value in (("max_age", _integer), ("spot_cap_bps", _integer), ("vol_cap", to_wad))
    }
    return FeedConfig(
        symbol=symbol,
        description=_text(raw.get("description", f"{symbol} / USD"), MAX_DESCRIPTION, where),
        expiries=expiries,
        initial_spot=init_spot,
        initial_vol=init_vol,
        **limits,
    )


def _risk(symbol: str, raw: Any) -> RiskConfig:
    where = f"risk.{symbol}"
    raw = _section(raw, RISK_KEYS, where)
    values = {}
    for key in RISK_KEYS:
        values[key] = risk_value(key, _require(raw, key, where), f"{where}.{key}")
    return RiskConfig(**values)


def _series(raw: Any, i: int) -> SeriesConfig:
    where = f"series[{i}]"
    raw = _section(raw, SERIES_KEYS, where)
    strikes = _require(raw, "strikes", where)
    if not isinstance(strikes, list) or not strikes:
        raise ConfigError(f"{where}.strikes: expected a non-empty list")
    kinds = raw.get("types", ["call", "put"])
    bad = [k for k in kinds if k not in ("call", "put")] if isinstance(kinds, list) else [kinds]
    if bad or not kinds:
        raise ConfigError(f"{where}.types: expected call and/or put, got {bad or kinds}")
    wads = [to_wad(s, f"{where}.strikes") for s in strikes]
    for wad in wads:
        _within(wad, (1, MAX_PRICE), f"{where}.strikes")
    if len(set(wads)) != len(wads):
        raise ConfigError(f"{where}.strikes: a strike is listed twice")
    return SeriesConfig(
        symbol=str(_require(raw, "underlying", where)),
        expiry=_require(raw, "expiry", where),
        strikes=wads,
        calls="call" in kinds,
        puts="put" in kinds,
        oi_cap=to_wad(_require(raw, "oi_cap", where), f"{where}.oi_cap"),
    )


def parse(data: dict) -> DeployConfig:
    """Validate a parsed YAML document and convert it to contract units."""
    if not isinstance(data, dict):
        raise ConfigError("parameter file: expected a mapping at the top level")
    check_keys(data, TOP_KEYS, "", ConfigError)
    token_raw = _section(_require(data, "token", "params"), TOKEN_KEYS, "token")
    decimals = _integer(token_raw.get("decimals", 18), "token.decimals")
    if not 0 <= decimals <= 18:
        raise ConfigError(f"token.decimals: must be in [0, 18], got {decimals}")
    address = token_raw.get("address")
    token = TokenConfig(
        address=None if address is None else _address(address, "token.address"),
        mock_name=_text(token_raw.get("name", "Mock USD"), MAX_NAME, "token.name"),
        mock_symbol=_text(token_raw.get("symbol", "mUSD"), MAX_SYMBOL, "token.symbol"),
        decimals=decimals,
    )
    oracle_raw = _section(_require(data, "oracle", "params"), ORACLE_KEYS, "oracle")
    feeds_raw = _require(oracle_raw, "feeds", "oracle")
    if not isinstance(feeds_raw, list) or not feeds_raw:
        raise ConfigError("oracle.feeds: expected a non-empty list")
    feeds = [_feed(f, i) for i, f in enumerate(feeds_raw)]
    symbols = [f.symbol for f in feeds]
    if len(feeds) > MAX_FEEDS:
        raise ConfigError(f"oracle.feeds: {len(feeds)} feeds, the Oracle takes at most {MAX_FEEDS}")
    for i, symbol in enumerate(symbols):
        if symbol in symbols[:i]:
            raise ConfigError(f"oracle.feeds[{i}].underlying: {symbol} is listed twice")
    signers = _require(oracle_raw, "signers", "oracle")
    if not isinstance(signers, list) or not signers:
        raise ConfigError("oracle.signers: expected a non-empty list")
    signers = [str(s) for s in signers]
    if len(signers) > MAX_SIGNERS:
        raise ConfigError(f"oracle.signers: {len(signers)}, the Oracle takes at most {MAX_SIGNERS}")
    if len(set(signers)) != len(signers):
        raise ConfigError("oracle.signers: a signer is listed twice")
    quorum = _integer(oracle_raw.get("quorum", 1), "oracle.quorum")
    if not 1 <= quorum <= len(signers):
        raise ConfigError(f"oracle.quorum: {quorum} is outside [1, {len(signers)} signers]")
    risk_raw = _require(data, "risk", "params")
    if not isinstance(risk_raw, dict):
        raise ConfigError(f"risk: expected a mapping of feed to parameters, got {risk_raw!r}")
    for symbol in risk_raw:
        if symbol not in symbols:
            hint = unknown_key_message(symbol, symbols, "risk").split(": unknown key")[1]
            raise ConfigError(f"risk.{symbol}: not an oracle feed{hint}")
    risk = {symbol: _risk(symbol, raw) for symbol, raw in risk_raw.items()}
    missing = set(symbols) - set(risk)
    if missing:
        raise ConfigError(f"risk: no parameters for feed(s) {', '.join(sorted(missing))}")
    series_raw = data.get("series", [])
    if not isinstance(series_raw, list):
        raise ConfigError("series: expected a list")
    series = [_series(s, i) for i, s in enumerate(series_raw)]
    for i, s in enumerate(series):
        if s.symbol not in symbols:
            raise ConfigError(f"series[{i}].underlying: {s.symbol} is not an oracle feed")
    pool_raw = _section(data.get("pool"), POOL_KEYS, "pool")
    local_raw = _section(data.get("local"), LOCAL_KEYS, "local")
    roles_raw = local_raw.get("roles", {})
    if not isinstance(roles_raw, dict):
        raise ConfigError(f"local.roles: expected a mapping of role to index, got {roles_raw!r}")
    roles = {str(k): _integer(v, f"local.roles.{k}") for k, v in roles_raw.items()}
    funding = to_units(local_raw.get("funding", 0), decimals, "local.funding")
    pool_seed = to_units(local_raw.get("pool_seed", 0), decimals, "local.pool_seed")
    if funding > MAX_MINT:
        raise ConfigError("local.funding: above the MockToken's mint limit of 1e30 base units")
    if pool_seed and "lp" not in roles:
        raise ConfigError("local.pool_seed: needs an `lp` role in local.roles")
    if pool_seed > funding:
        raise ConfigError("local.pool_seed: more than the lp role is funded with (local.funding)")
    deposit = to_units(
        _require(data, "liquidation_deposit", "params"), decimals, "liquidation_deposit"
    )
    if deposit > MAX_DEPOSIT:
        raise ConfigError("liquidation_deposit: above the clearing house's limit of 2**93 - 1")
    utilisation = to_wad(_require(data, "max_utilisation", "params"), "max_utilisation")
    _within(utilisation, (1, MAX_UTILISATION), "max_utilisation")
    return DeployConfig(
        token=token,
        guardian=str(data.get("guardian", "deployer")),
        max_utilisation=utilisation,
        liquidation_deposit=deposit,
        quorum=quorum,
        signers=signers,
        feeds=feeds,
        risk=risk,
        series=series,
        pool_name=_text(pool_raw.get("name", "Ringfence LP"), MAX_NAME, "pool.name"),
        pool_symbol=_text(pool_raw.get("symbol", "rfLP"), MAX_SYMBOL, "pool.symbol"),
        local_roles=roles,
        local_funding=funding,
        local_pool_seed=pool_seed,
    )


def _address(value: Any, key: str) -> str:
    text = str(value)
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
        raise ConfigError(f"{key}: {text!r} is not a 0x-prefixed 20-byte address")
    return text


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
