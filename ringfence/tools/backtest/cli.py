"""``python -m ringfence.tools.backtest``: the margin backtest's command line.

Every input problem -- a missing or invalid file, an unknown key in the config, a bad value,
parameters the contracts refuse -- is one line on stderr, ``backtest: error: ...``, and exit
code 2; a run that cannot be trusted exits 1; Ctrl-C exits 130.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ringfence.paths import REPORTS, ROOT

DEFAULT_PARAMS = ROOT / "deploy" / "local.yaml"
DEFAULT_OUT = REPORTS / "backtest"


@click.command(
    name="python -m ringfence.tools.backtest",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PARAMS,
    show_default=True,
    help="Deploy parameter file (ringfence.deploy_config); its risk:<underlying> section is "
    "the margin under test.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Backtest config YAML laid over the shipped default.yaml (paths, seed, horizons, "
    "starts, model parameters). Unknown keys are errors.",
)
@click.option("--quick", is_flag=True, help="Run config.quick_paths paths (seconds, for tests).")
@click.option("--paths", type=click.IntRange(min=1), default=None, help="Override config.paths.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override config.seed.")
@click.option(
    "--set-risk",
    "risk_overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change one risk parameter of the params file for this run (human units, e.g. "
    "vol_up=0.4); repeatable; recorded in the summary.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Directory for summary.json and the charts.",
)
@click.option("--no-charts", is_flag=True, help="Skip the PNG charts.")
def command(params_path, config_path, quick, paths, seed, risk_overrides, out, no_charts):
    """Backtest the on-chain maintenance margin: does MM cover a vault's loss until it is
    liquidated? Every strategy of the standard book starts at equity = MM (margins read
    from the contracts on titanoboa), is revalued in full along seeded market paths after
    each horizon, and breaches when its loss exceeds MM. Writes summary.json and charts,
    and prints the tables."""
    from ringfence.tools.backtest import config as backtest_config
    from ringfence.tools.backtest import report
    from ringfence.tools.backtest.run import run

    clock = time.perf_counter()
    if quick and paths is not None:
        raise backtest_config.BacktestConfigError("--quick and --paths exclude each other")
    config = backtest_config.load(config_path)
    if paths is not None:
        config = config.with_paths(paths)
    if seed is not None:
        config = config.with_seed(seed)
    result = run(
        params_path,
        config,
        config_path=config_path,
        quick=quick,
        risk_overrides=tuple(risk_overrides),
    )
    path = report.write_json(out, result.summary)
    report.print_tables(result.summary)
    charts = [] if no_charts else report.write_charts(out, result.summary, result.loss_over_mm)
    written = ", ".join(str(p) for p in [path, *charts])
    click.echo(f"backtest: wrote {written} in {time.perf_counter() - clock:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Run the command; map every anticipated failure to one line and an exit code."""
    from ringfence.deploy_config import ConfigError
    from ringfence.tools.backtest.config import BacktestConfigError
    from ringfence.tools.backtest.contract_margin import ContractError
    from ringfence.tools.backtest.run import BacktestError

    try:
        command.main(args=argv, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        click.echo(f"backtest: error: {error.format_message()}", err=True)
        return 2
    except (BacktestConfigError, ConfigError, ContractError) as error:
        click.echo(f"backtest: error: {error}", err=True)
        return 2
    except BacktestError as error:
        click.echo(f"backtest: failed: {error}", err=True)
        return 1
    except (KeyboardInterrupt, click.Abort):
        click.echo("backtest: interrupted", err=True)
        return 130
    return 0
