"""The backtest configuration: one typed place, loaded from YAML (``default.yaml`` ships).

Every key is checked: a missing key, an unknown key (a typo) or a value of the wrong kind or
range is a :class:`BacktestConfigError` with one readable line naming the key, e.g.
``config.model.jumps.mena: unknown key (did you mean 'mean'?)``. A user file may set only
some keys: it is laid over ``default.yaml``, so the defaults document every option.

Units: durations are ``"<n>s|m|h|d"`` strings or integer seconds (``m`` is a minute);
vols are annualised fractions (0.65 = 65 %); rates and intensities are per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ringfence.strict_keys import check_keys

DEFAULT_PATH = Path(__file__).with_name("default.yaml")
YEAR_SECONDS = 31_536_000
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
REGIMES = ("calm", "stressed")
START_NAMES = ("calm", "stressed")
START_REGIMES = ("calm", "stressed", "stationary")


class BacktestConfigError(ValueError):
    """A backtest configuration value is missing or invalid (the message names the key)."""


# ---------------------------------------------------------------------------------------
# Typed configuration


@dataclass(frozen=True)
class RegimeParams:
    """What changes with the calm / stressed regime of the Markov chain."""

    vol_target: float  # long-run reference-tenor ATM implied vol
    vol_of_vol: float  # annualised sd of log ATM implied vol
    jump_intensity: float  # spot jumps per year
    leave_rate: float  # intensity (per year) of switching to the other regime
    skew_target: float  # long-run raw-SVI rho of the reference tenor
    wing_target: float  # long-run wing (b / (atm sqrt(tau))) of the reference tenor


@dataclass(frozen=True)
class ModelParams:
    """The market model (``market.py`` documents each equation)."""

    drift: float
    realised_to_implied: float
    jump_mean: float
    jump_std: float
    vol_mean_reversion: float
    spot_vol_correlation: float
    vol_jump_beta: float
    skew_mean_reversion: float
    skew_vol: float
    skew_spot_correlation: float
    skew_jump_beta: float
    curvature_mean_reversion: float
    curvature_vol: float
    curvature_jump_beta: float
    reference_tenor: float  # years
    tenor_exponent: float
    smile_width: float
    calm: RegimeParams
    stressed: RegimeParams

    def regime(self, name: str) -> RegimeParams:
        return self.calm if name == "calm" else self.stressed


@dataclass(frozen=True)
class StartParams:
    """The market at the start of every path (one surface, the one the contract sees)."""

    name: str
    spot: float
    atm_vol: float  # reference-tenor ATM implied vol
    term_slope: float  # ATM vol of tenor tau = atm_vol * (tau / reference_tenor) ** term_slope
    skew: float  # raw-SVI rho of every expiry
    wing: float  # b / (atm sqrt(tau)) of every expiry
    regime: str  # calm | stressed | stationary (drawn per path from the chain's law)


@dataclass(frozen=True)
class BacktestConfig:
    seed: int
    paths: int
    quick_paths: int
    underlying: str
    horizons: tuple[int, ...]  # seconds, increasing
    time_step: int  # seconds, the largest simulation step
    confidence: float
    kupiec_alpha: float
    starts: tuple[StartParams, ...]  # the starts to run, in order
    model: ModelParams
    raw: dict  # the merged document, for the report

    def with_paths(self, paths: int) -> BacktestConfig:
        if paths < 1:
            raise BacktestConfigError(f"paths: must be >= 1, got {paths}")
        return replace(self, paths=paths, raw={**self.raw, "paths": paths})

    def with_seed(self, seed: int) -> BacktestConfig:
        return replace(self, seed=seed, raw={**self.raw, "seed": seed})


# ---------------------------------------------------------------------------------------
# Parsing helpers (each error names the key)


def duration(value: Any, key: str) -> int:
    """``"1m"``, ``"1h"``, ``"7d"``, ``"300s"`` or an integer number of seconds, as seconds."""
    if isinstance(value, bool):
        raise BacktestConfigError(f"{key}: expected a duration like 1m, 1h or 1d, got {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip()
        unit = text[-1:]
        if unit not in _UNIT_SECONDS or not text[:-1].isdigit():
            raise BacktestConfigError(
                f"{key}: expected a duration like 1m, 1h or 1d, got {value!r}"
            )
        seconds = int(text[:-1]) * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise BacktestConfigError(f"{key}: must be a positive duration, got {value!r}")
    return seconds


def label(seconds: int) -> str:
    """The shortest exact label of a duration: 60 -> "1m", 86_400 -> "1d", 90 -> "90s"."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _number(raw: dict, key: str, where: str, lo=-math.inf, hi=math.inf, *, open_lo=False):
    value = raw[key]
    name = f"{where}.{key}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BacktestConfigError(f"{name}: expected a number, got {value!r}")
    value = float(value)
    low_bad = value <= lo if open_lo else value < lo
    if low_bad or value > hi or not math.isfinite(value):
        bracket = "(" if open_lo else "["
        raise BacktestConfigError(f"{name}: must be in {bracket}{lo:g}, {hi:g}], got {value!r}")
    return value


def _integer(raw: dict, key: str, where: str, lo: int) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise BacktestConfigError(f"{where}.{key}: expected an integer, got {value!r}")
    if value < lo:
        raise BacktestConfigError(f"{where}.{key}: must be >= {lo}, got {value}")
    return value


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise BacktestConfigError(f"{where}: expected a mapping, got {value!r}")
    return value


def _check_keys(raw: dict, allowed: dict, where: str) -> None:
    """Unknown keys of `raw` (against the default document `allowed`) are errors."""
    check_keys(raw, allowed, where, BacktestConfigError)


def merge(default: dict, override: dict, where: str = "config") -> dict:
    """`override` laid over `default`, recursively; keys `default` lacks are errors."""
    override = _mapping(override, where)
    _check_keys(override, default, where)
    out = dict(default)
    for key, value in override.items():
        if isinstance(default[key], dict):
            out[key] = merge(default[key], value, f"{where}.{key}")
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------
# Sections


def _regime(raw: dict, where: str) -> RegimeParams:
    return RegimeParams(
        vol_target=_number(raw, "vol_target", where, 0.01, 5.0),
        vol_of_vol=_number(raw, "vol_of_vol", where, 0.0, 10.0),
        jump_intensity=_number(raw, "jump_intensity", where, 0.0, 10_000.0),
        leave_rate=_number(raw, "leave_rate", where, 0.0, 100_000.0),
        skew_target=_number(raw, "skew_target", where, -0.95, 0.95),
        wing_target=_number(raw, "wing_target", where, 0.0, 2.0, open_lo=True),
    )


def _model(raw: dict) -> ModelParams:
    w = "config.model"
    jumps = raw["jumps"]
    vol = raw["vol"]
    skew = raw["skew"]
    curv = raw["curvature"]
    smile = raw["smile"]
    return ModelParams(
        drift=_number(raw, "drift", w, -5.0, 5.0),
        realised_to_implied=_number(raw, "realised_to_implied", w, 0.0, 3.0),
        jump_mean=_number(jumps, "mean", f"{w}.jumps", -1.0, 1.0),
        jump_std=_number(jumps, "std", f"{w}.jumps", 0.0, 1.0),
        vol_mean_reversion=_number(vol, "mean_reversion", f"{w}.vol", 0.0, 1_000.0),
        spot_vol_correlation=_number(vol, "spot_correlation", f"{w}.vol", -0.99, 0.99),
        vol_jump_beta=_number(vol, "jump_beta", f"{w}.vol", -10.0, 10.0),
        skew_mean_reversion=_number(skew, "mean_reversion", f"{w}.skew", 0.0, 1_000.0),
        skew_vol=_number(skew, "vol", f"{w}.skew", 0.0, 20.0),
        skew_spot_correlation=_number(skew, "spot_correlation", f"{w}.skew", -0.99, 0.99),
        skew_jump_beta=_number(skew, "jump_beta", f"{w}.skew", -20.0, 20.0),
        curvature_mean_reversion=_number(curv, "mean_reversion", f"{w}.curvature", 0.0, 1e3),
        curvature_vol=_number(curv, "vol", f"{w}.curvature", 0.0, 20.0),
        curvature_jump_beta=_number(curv, "jump_beta", f"{w}.curvature", -20.0, 20.0),
        reference_tenor=duration(smile["reference_tenor"], f"{w}.smile.reference_tenor")
        / YEAR_SECONDS,
        tenor_exponent=_number(smile, "tenor_exponent", f"{w}.smile", 0.0, 2.0),
        smile_width=_number(smile, "width", f"{w}.smile", 0.01, 5.0, open_lo=True),
        calm=_regime(raw["regimes"]["calm"], f"{w}.regimes.calm"),
        stressed=_regime(raw["regimes"]["stressed"], f"{w}.regimes.stressed"),
    )


def _start_regime(raw: dict, where: str) -> str:
    regime = raw["regime"]
    if regime not in START_REGIMES:
        raise BacktestConfigError(
            f"{where}.regime: expected one of {', '.join(START_REGIMES)}, got {regime!r}"
        )
    return regime


def _starts(raw: dict) -> dict[str, StartParams]:
    calm_raw = raw["start"]
    w = "config.start"
    calm = StartParams(
        name="calm",
        spot=_number(calm_raw, "spot", w, 1e-3, 1e9, open_lo=True),
        atm_vol=_number(calm_raw, "atm_vol", w, 0.01, 5.0),
        term_slope=_number(calm_raw, "term_slope", w, -1.0, 1.0),
        skew=_number(calm_raw, "skew", w, -0.95, 0.95),
        wing=_number(calm_raw, "wing", w, 0.0, 2.0, open_lo=True),
        regime=_start_regime(calm_raw, w),
    )
    s_raw = raw["stressed"]
    w = "config.stressed"
    move = _number(s_raw, "spot_move", w, -0.9, 1.0)
    stressed = StartParams(
        name="stressed",
        spot=calm.spot * (1.0 + move),
        atm_vol=calm.atm_vol * _number(s_raw, "vol_multiplier", w, 0.1, 10.0),
        term_slope=calm.term_slope,
        skew=_number(s_raw, "skew", w, -0.95, 0.95),
        wing=_number(s_raw, "wing", w, 0.0, 2.0, open_lo=True),
        regime=_start_regime(s_raw, w),
    )
    return {"calm": calm, "stressed": stressed}


def parse(raw: dict) -> BacktestConfig:
    """Validate a merged document (every key present) and type it."""
    w = "config"
    horizons_raw = raw["horizons"]
    if not isinstance(horizons_raw, list) or not horizons_raw:
        raise BacktestConfigError(f"{w}.horizons: expected a non-empty list of durations")
    horizons = tuple(duration(h, f"{w}.horizons[{i}]") for i, h in enumerate(horizons_raw))
    if list(horizons) != sorted(set(horizons)):
        raise BacktestConfigError(f"{w}.horizons: must be strictly increasing, got {horizons_raw}")
    if horizons[-1] >= 7 * 86_400:
        raise BacktestConfigError(f"{w}.horizons: must end before the 7-day expiry of the book")
    run = raw["run"]
    if not isinstance(run, list) or not run or any(s not in START_NAMES for s in run):
        raise BacktestConfigError(
            f"{w}.run: expected a non-empty list of {' and/or '.join(START_NAMES)}, got {run!r}"
        )
    if len(set(run)) != len(run):
        raise BacktestConfigError(f"{w}.run: a start is listed twice: {run}")
    underlying = raw["underlying"]
    if not isinstance(underlying, str) or not underlying:
        raise BacktestConfigError(f"{w}.underlying: expected a symbol such as ETH")
    seed = raw["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BacktestConfigError(f"{w}.seed: expected a non-negative integer, got {seed!r}")
    starts = _starts(raw)
    return BacktestConfig(
        seed=seed,
        paths=_integer(raw, "paths", w, 1),
        quick_paths=_integer(raw, "quick_paths", w, 1),
        underlying=underlying,
        horizons=horizons,
        time_step=duration(raw["time_step"], f"{w}.time_step"),
        confidence=_number(raw, "confidence", w, 0.5, 0.99999),
        kupiec_alpha=_number(raw, "kupiec_alpha", w, 1e-6, 0.5),
        starts=tuple(starts[name] for name in run),
        model=_model(raw["model"]),
        raw=raw,
    )


def _read_yaml(path: Path, what: str) -> dict:
    if not path.is_file():
        raise BacktestConfigError(f"{what} {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else "parse error"
        raise BacktestConfigError(f"{what} {path}: invalid YAML ({first})") from None
    return data if data is not None else {}


def default_document() -> dict:
    return _read_yaml(DEFAULT_PATH, "default config")


def load(path: str | Path | None = None) -> BacktestConfig:
    """The shipped defaults, with the file at `path` (if any) laid over them."""
    raw = default_document()
    if path is not None:
        raw = merge(raw, _read_yaml(Path(path), "config file"))
    return parse(raw)
