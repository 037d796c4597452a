"""One backtest run: contract margins, simulated paths, full revaluation, statistics, capital.

For each start (calm, stressed) of the config:

1. the start surface (``market.build_start``) and the standard book on it (``book``);
2. every strategy's MM and IM from the contracts (``contract_margin``, the only contract
   access): each vault starts at equity = MM -- its collateral is MM plus its opening cost
   -- so a loss above MM over a horizon leaves the vault insolvent before a keeper that only
   returns after that horizon could liquidate it;
3. ``paths`` market paths (``market.simulate``, seeded from (seed, start)), every strategy
   revalued in full at each horizon (``revalue``); loss = value(0) - value(t);
4. per strategy and horizon: breaches (loss > MM), Kupiec's test at the configured
   confidence, VaR / ES / worst loss / mean loss as multiples of MM;
5. capital: IM against Reg-T and Deribit-standard new money (``capital``).
"""

from __future__ import annotations

import hashlib
import math
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

import numpy as np

from ringfence import deploy_config
from ringfence.deploy_config import DeployConfig
from ringfence.paths import CONTRACTS, ROOT
from ringfence.tools.backtest import stats
from ringfence.tools.backtest.book import (
    EXPIRY_SECONDS,
    POD,
    TENORS_DAYS,
    Strategy,
    build_book,
    delta,
    series_of,
)
from ringfence.tools.backtest.capital import PricedLeg, deribit_new_money, reg_t_new_money
from ringfence.tools.backtest.config import BacktestConfig, StartParams, label
from ringfence.tools.backtest.market import (
    PathState,
    StartState,
    build_start,
    simulate,
    smile,
)
from ringfence.tools.backtest.revalue import series_values, strategy_value

START_STREAM = {"calm": 0, "stressed": 1}  # the seed's sub-stream of each start
MARK_TOLERANCE = 1e-6  # |model start mark - contract mark| / spot, per strategy


class BacktestError(RuntimeError):
    """The run cannot be trusted (e.g. the model and the contract disagree on a mark)."""


@dataclass
class RunResult:
    summary: dict
    # start -> horizon label -> strategy key -> loss / MM on every path (for the charts)
    loss_over_mm: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)


def override_risk(params: DeployConfig, underlying: str, settings: list[str]) -> DeployConfig:
    """`params` with ``KEY=VALUE`` settings (human units) applied to risk.<underlying>."""
    if not settings:
        return params
    if underlying not in params.risk:
        raise deploy_config.ConfigError(f"risk.{underlying}: missing")
    risk = params.risk[underlying]
    for setting in settings:
        key, sep, value = setting.partition("=")
        key = key.strip()
        if not sep or key not in deploy_config.RISK_KEYS:
            raise deploy_config.ConfigError(
                f"--set-risk {setting!r}: expected KEY=VALUE with KEY one of "
                f"{', '.join(deploy_config.RISK_KEYS)}"
            )
        raw = value.strip()
        if key in deploy_config.SECONDS_KEYS and raw.isdigit():
            raw = int(raw)
        risk = replace(risk, **{key: deploy_config.risk_value(key, raw, f"--set-risk {key}")})
    return replace(params, risk={**params.risk, underlying: risk})


# ---------------------------------------------------------------------------------------
# Per-start measurement


def _strategy_legs(strategy: Strategy, start: StartState, marks: dict) -> list[dict]:
    return [
        {
            "tenor_days": TENORS_DAYS[leg.expiry],
            "strike": leg.strike,
            "type": "call" if leg.is_call else "put",
            "size": leg.size,
            "delta": delta(start, leg.expiry, leg.strike, leg.is_call),
            "vol": start.vol(leg.expiry, leg.strike),
            "mark": float(marks[leg.series][0]),
        }
        for leg in strategy.legs
    ]


def horizon_figures(loss: np.ndarray, mm: float, config: BacktestConfig) -> dict:
    """Breaches (loss > MM: equity, MM at the start, below zero), Kupiec, tail / MM."""
    n = loss.size
    breaches = int(np.count_nonzero(loss > mm))
    k = stats.kupiec(breaches, n, 1.0 - config.confidence, config.kupiec_alpha)
    lo, hi = stats.clopper_pearson(breaches, n)
    return {
        "breaches": breaches,
        "breach_rate": breaches / n,
        "breach_rate_ci95": [lo, hi],
        "kupiec": k.as_dict(),
        "var_over_mm": stats.value_at_risk(loss, config.confidence) / mm,
        "es_over_mm": stats.expected_shortfall(loss, config.confidence) / mm,
        "worst_over_mm": float(loss.max()) / mm,
        "mean_over_mm": float(loss.mean()) / mm,
    }


def _market_figures(start: StartState, config: BacktestConfig, state: PathState) -> dict:
    """What the paths did by `state.t` (to read the model against ETH's history)."""
    ret = np.log(state.spot / start.spot)
    _, atm, _, _ = smile(start, config.model, state, POD)
    q = [0.005, 0.5, 0.995]
    return {
        "log_return_sd": float(ret.std()),
        "log_return_quantiles": dict(zip(map(str, q), np.quantile(ret, q).tolist(), strict=True)),
        "atm_30d_vol_quantiles": dict(zip(map(str, q), np.quantile(atm, q).tolist(), strict=True)),
        "paths_with_a_jump": float(np.mean(state.jumps > 0)),
        "stressed_share": float(np.mean(state.stressed)),
    }


def _start_figures(start: StartState) -> dict:
    return {
        "spot": start.spot,
        "rate": start.rate,
        "regime": start.regime,
        "expiries": [
            {
                "tenor_days": TENORS_DAYS[i],
                "atm_vol": start.atm[i],
                "forward": start.forward(i),
                "svi": dict(zip(("a", "b", "rho", "m", "sigma"), start.svi(i), strict=True)),
            }
            for i in range(len(EXPIRY_SECONDS))
        ],
    }


def _strategy_figures(
    strategy: Strategy, req, start: StartState, marks0: dict, horizons: dict
) -> dict:
    """One strategy's entry in the summary: legs, contract margin, capital, horizons."""
    priced = [
        PricedLeg(EXPIRY_SECONDS[leg.expiry], leg.strike, leg.is_call, leg.size,
                  float(marks0[leg.series][0]))
        for leg in strategy.legs
    ]  # fmt: skip
    reg_t = reg_t_new_money(priced, start.spot)
    deribit = deribit_new_money(priced, start.spot)
    return {
        "key": strategy.key,
        "name": strategy.name,
        "family": strategy.family,
        "legs": _strategy_legs(strategy, start, marks0),
        "value": float(strategy_value(strategy, marks0)[0]),
        "contract": req.as_dict(),
        "mm": req.mm,
        "im": req.im,
        "collateral_at_mm": req.mm + req.cost,
        "capital": {
            "im": req.im,
            "reg_t_new_money": reg_t,
            "deribit_new_money": deribit,
            "im_over_reg_t": req.im / reg_t if reg_t > 0 else None,
            "im_over_deribit": req.im / deribit if deribit > 0 else None,
        },
        "horizons": horizons,
    }


def run_start(
    params: StartParams, config: BacktestConfig, margin, rate: float, paths: int
) -> tuple[dict, dict]:
    """The figures of one start, and loss / MM per horizon and strategy (for the charts)."""
    clock = time.perf_counter()
    start = build_start(params, config.model, rate, EXPIRY_SECONDS)
    book = build_book(start)
    requirements = margin.requirements(book, start)
    contract_seconds = time.perf_counter() - clock

    marks0 = series_values(start, config.model, PathState.initial(start), series_of(book))
    value0 = {s.key: float(strategy_value(s, marks0)[0]) for s in book}
    worst_gap = max(abs(value0[s.key] - r.value) for s, r in zip(book, requirements, strict=True))
    if worst_gap > MARK_TOLERANCE * start.spot:
        raise BacktestError(
            f"{start.name}: model and contract start values differ by {worst_gap:.3g} "
            f"(> {MARK_TOLERANCE:g} x spot): the surface pushed to the oracle is not the model's"
        )

    clock = time.perf_counter()
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, START_STREAM[start.name]]))
    states = simulate(start, config.model, config.horizons, config.time_step, paths, rng)
    simulate_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    losses: dict[str, dict[str, np.ndarray]] = {label(s.t): {} for s in states}
    per_horizon = {label(s.t): {} for s in states}
    for state in states:
        values = series_values(start, config.model, state, series_of(book))
        for strategy, req in zip(book, requirements, strict=True):
            loss = value0[strategy.key] - strategy_value(strategy, values)
            per_horizon[label(state.t)][strategy.key] = horizon_figures(loss, req.mm, config)
            losses[label(state.t)][strategy.key] = (loss / req.mm).astype(np.float32)
    revalue_seconds = time.perf_counter() - clock

    strategies = [
        _strategy_figures(
            strategy, req, start, marks0, {h: f[strategy.key] for h, f in per_horizon.items()}
        )
        for strategy, req in zip(book, requirements, strict=True)
    ]
    totals = {
        key: sum(s["capital"][key] for s in strategies)
        for key in ("im", "reg_t_new_money", "deribit_new_money")
    }
    totals["im_over_reg_t"] = totals["im"] / totals["reg_t_new_money"]
    totals["im_over_deribit"] = totals["im"] / totals["deribit_new_money"]
    horizon_summary = {}
    for h, figures in per_horizon.items():
        verdicts = {key: f["kupiec"]["verdict"] for key, f in figures.items()}
        horizon_summary[h] = {
            "kupiec_fail": [key for key, v in verdicts.items() if v == "fail"],
            "kupiec_pass": list(verdicts.values()).count("pass"),
            "kupiec_conservative": list(verdicts.values()).count("conservative"),
            "strategies": len(book),
        }
    figures = {
        "start": _start_figures(start),
        "paths": paths,
        "market": {label(s.t): _market_figures(start, config, s) for s in states},
        "strategies": strategies,
        "book": totals,
        "horizons": horizon_summary,
        "checks": {"max_start_value_gap_model_vs_contract": worst_gap},
        "seconds": {
            "contract": contract_seconds,
            "simulate": simulate_seconds,
            "revalue": revalue_seconds,
        },
    }
    return figures, losses


# ---------------------------------------------------------------------------------------
# Inputs and versions


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions() -> dict:
    packages = {}
    for name in ("numpy", "scipy", "titanoboa", "vyper", "matplotlib"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    contracts = sorted(CONTRACTS.rglob("*.vy*"))
    digest = hashlib.sha256()
    for path in contracts:
        digest.update(path.relative_to(CONTRACTS).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return {
        "python": platform.python_version(),
        "packages": packages,
        "git_commit": _git_commit(),
        "contracts_sha256": digest.hexdigest(),
    }


def _risk_human(params: DeployConfig, underlying: str) -> dict:
    risk = asdict(params.risk[underlying])
    return {k: v / 10**18 for k, v in risk.items()}


# ---------------------------------------------------------------------------------------
# The run


def run(
    params_path: str | Path,
    config: BacktestConfig,
    *,
    config_path: str | Path | None = None,
    quick: bool = False,
    risk_overrides: tuple[str, ...] = (),
    margin_factory=None,
) -> RunResult:
    """Run the backtest of `config` on the margin of the parameter file at `params_path`."""
    clock = time.perf_counter()
    params = deploy_config.load(params_path)
    params = override_risk(params, config.underlying, list(risk_overrides))
    if margin_factory is None:
        from ringfence.tools.backtest.contract_margin import ContractMargin

        margin_factory = ContractMargin
    margin = margin_factory(params, config.underlying)
    deploy_seconds = time.perf_counter() - clock
    rate = params.risk[config.underlying].rate / 10**18
    paths = config.quick_paths if quick else config.paths

    starts, losses = {}, {}
    for start in config.starts:
        starts[start.name], losses[start.name] = run_start(start, config, margin, rate, paths)

    params_path = Path(params_path)
    summary = {
        "tool": "ringfence.tools.backtest",
        "inputs": {
            "params_file": str(params_path),
            "params_sha256": _sha256(params_path),
            "underlying": config.underlying,
            "risk": _risk_human(params, config.underlying),
            "risk_overrides": list(risk_overrides),
            "config_file": None if config_path is None else str(config_path),
            "config": config.raw,
            "seed": config.seed,
            "paths": paths,
            "quick": quick,
            "horizons": [label(h) for h in config.horizons],
            "confidence": config.confidence,
            "breach": "loss over the horizon > MM at the start (equity = MM at the start)",
        },
        "versions": versions(),
        "starts": starts,
        "seconds": {"deploy": deploy_seconds, "total": time.perf_counter() - clock},
    }
    _check_finite(summary)
    return RunResult(summary, losses)


def _check_finite(node, where: str = "summary") -> None:
    if isinstance(node, float) and not math.isfinite(node):
        raise BacktestError(f"{where} is not finite ({node})")
    if isinstance(node, dict):
        for key, value in node.items():
            _check_finite(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, f"{where}[{i}]")
