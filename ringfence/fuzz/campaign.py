"""Long invariant campaign: ``ringfence-fuzz --steps N --seconds S --seed K``.

(also ``python -m ringfence.fuzz``.) Runs the Ringfence state machine
(ringfence/fuzz/machine.py) in rounds of
``--examples`` runs of ``--run-steps`` steps each, alternating the standard 6-decimal token
and the 18-decimal reentrant token, until the step or the time budget is spent. After each
round it prints the steps so far, steps/s and elapsed time; at the end, how often each
rule ran. On a failure it prints hypothesis' shrunk example and writes it as a replay test
``<regressions>/test_regression_<machine>_<seed>.py`` (a pytest file that replays the exact
steps and is marked ``xfail(strict=True)`` until the bug is fixed; ``--regressions DIR``,
default ``tests/fuzz/regressions`` in a checkout, else ``./fuzz-regressions``), then exits 1.
``--evm pyevm`` runs the same campaign on titanoboa's py-evm instead of revm (about 15-20x
slower; a seed gives the same steps on both, tests/fuzz/test_revm_evm.py checks it).
The campaign needs no checkout: the contracts ship with the package.

``--params FILE`` fuzzes the risk parameters and utilisation limit of a deploy parameter
file (the schema of ``deploy/local.yaml``; ``--underlying`` picks the entry, default the
first) on a token of the file's decimals (``--decimals`` overrides); without it, the
defaults of ``ringfence.risk_table``. Either way the campaign prints the parameters it
fuzzes before the first step.
"""

from __future__ import annotations

import argparse
import collections
import pprint
import sys
import time
from pathlib import Path

import hypothesis.core
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from ringfence.fuzz.machine import (
    DEFAULT_EVM,
    EVMS,
    FUZZED,
    INVARIANTS,
    OUTCOMES,
    RingfenceMachine,
    deployment,
    instrument,
    use_parameters,
)

#: Where a failure's replay test goes unless --regressions says: the checkout's suite when
#: run from one (so `make test` replays it), else a folder in the working directory.
REGRESSIONS = (
    Path("tests/fuzz/regressions")
    if Path("tests/fuzz/regressions").is_dir()
    else Path("fuzz-regressions")
)

MACHINES = {"standard6": (6, False), "reentrant18": (18, True)}


def machine_class(name: str, evm: str | None = None):
    decimals, reentrant = MACHINES[name]
    return type(
        f"{name.title().replace('18', '').replace('6', '')}Machine",
        (RingfenceMachine,),
        {"DECIMALS": decimals, "REENTRANT": reentrant, "EVM": evm},
    )


def regression_source(machine: str, seed: int, steps: list, reason: str, evm: str) -> str:
    decimals, reentrant = MACHINES[machine]
    body = pprint.pformat(steps, width=96, sort_dicts=False)
    reason = reason.splitlines()[0][:120].replace('"', "'") if reason else "invariant broken"
    return f'''"""Replay of a failing fuzz campaign sequence ({machine}, seed {seed}, {evm}).

Written by ringfence-fuzz (ringfence/fuzz/campaign.py); see docs/fuzzing.md. Remove the
xfail marker once the contract is fixed: the replay then passes and guards the fix.
"""

import pytest

from ringfence.fuzz.machine import RingfenceMachine, deployment, replay

deployment({decimals}, {reentrant}, "{evm}")


class Machine(RingfenceMachine):
    DECIMALS = {decimals}
    REENTRANT = {reentrant}
    EVM = "{evm}"


STEPS = {body}


@pytest.mark.xfail(strict=True, reason="{reason}")
def test_regression_{machine}_{seed}__replay__invariants_hold():
    replay(Machine, STEPS)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5_000, help="total state-machine steps")
    parser.add_argument("--seconds", type=float, default=600, help="wall-clock budget")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed of the first round")
    parser.add_argument("--run-steps", type=int, default=50, help="steps per run (example)")
    parser.add_argument("--examples", type=int, default=10, help="runs per round")
    parser.add_argument("--machine", choices=[*MACHINES, "both"], default="both", help="token kind")
    parser.add_argument(
        "--evm",
        choices=EVMS,
        default=DEFAULT_EVM,
        help="engine under titanoboa: revm (default, fast) or pyevm (titanoboa's own)",
    )
    parser.add_argument("--params", help="deploy parameter file whose risk parameters to fuzz")
    parser.add_argument("--underlying", help="which entry of --params' risk (default: first)")
    parser.add_argument("--decimals", type=int, help="token decimals (default: the file's)")
    parser.add_argument(
        "--regressions",
        type=Path,
        help="folder for a failure's replay test (default: tests/fuzz/regressions in a "
        "checkout, else ./fuzz-regressions)",
    )
    args = parser.parse_args(argv)
    regressions = args.regressions or REGRESSIONS
    if args.evm not in EVMS:  # a bad RINGFENCE_FUZZ_EVM default escapes argparse's check
        parser.error(f"RINGFENCE_FUZZ_EVM={args.evm!r}: expected one of {', '.join(EVMS)}")

    names = list(MACHINES) if args.machine == "both" else [args.machine]
    decimals = args.decimals
    if args.params:
        try:
            file_decimals = _use_parameter_file(args.params, args.underlying)
        except (OSError, ValueError) as exc:
            print(f"campaign: error: {exc}", file=sys.stderr)
            return 2
        decimals = file_decimals if decimals is None else decimals
    if decimals is not None:
        if not 0 <= decimals <= 18:
            parser.error(f"--decimals {decimals}: expected 0 to 18")
        MACHINES[f"token{decimals}"] = (decimals, False)
        names = [f"token{decimals}"]
    counts: collections.Counter = collections.Counter()
    classes = {}
    runs: dict[str, list] = {}
    for name in names:
        deployment(*MACHINES[name], args.evm)
        classes[name] = machine_class(name, args.evm)
        runs[name] = []
        instrument(classes[name], counts, runs[name])

    print(
        f"campaign: seed {args.seed}, budget {args.steps} steps / {args.seconds:.0f} s, "
        f"engine {args.evm}, machines {', '.join(names)}"
    )
    print(f"parameters fuzzed ({FUZZED['source']}):")
    for key, value in FUZZED["params"].items():
        print(f"  {key:20s} {value}")
    print(f"  {'max_utilisation':20s} {FUZZED['max_utilisation']}")
    print(f"invariants checked after every step: {', '.join(INVARIANTS)}", flush=True)
    start = time.perf_counter()
    round_no = 0
    while True:
        steps = sum(counts.values())
        elapsed = time.perf_counter() - start
        if steps >= args.steps or elapsed >= args.seconds:
            break
        name = names[round_no % len(names)]
        seed = args.seed + round_no
        hypothesis.core.global_force_seed = seed
        budget = settings(
            max_examples=args.examples,
            stateful_step_count=args.run_steps,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
            report_multiple_bugs=False,
        )
        try:
            run_state_machine_as_test(classes[name], settings=budget)
        except Exception as error:  # noqa: BLE001 - any failure is a finding
            steps_failed = runs[name][-1] if runs[name] else []
            print(f"\nFAILURE in round {round_no} ({name}, seed {seed}):\n{error}")
            for note in getattr(error, "__notes__", []):
                print(note)
            regressions.mkdir(parents=True, exist_ok=True)
            path = regressions / f"test_regression_{name}_{seed}.py"
            path.write_text(regression_source(name, seed, steps_failed, str(error), args.evm))
            print(f"\nshrunk example ({len(steps_failed)} steps) saved as {path}")
            _summary(counts, start)
            return 1
        round_no += 1
        steps = sum(counts.values())
        elapsed = time.perf_counter() - start
        print(
            f"round {round_no:4d} [{name:11s}] steps {steps:7d}  "
            f"{steps / elapsed:6.1f} steps/s  elapsed {elapsed:7.1f} s",
            flush=True,
        )
    _summary(counts, start)
    print("no invariant violated")
    return 0


def _use_parameter_file(path: str, underlying: str | None) -> int:
    """Fuzz the risk parameters of `underlying` (default: the first) and the utilisation
    limit of a deploy parameter file; returns the file's token decimals."""
    from dataclasses import asdict

    from ringfence.deploy_config import ConfigError, load

    try:
        config = load(path)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    symbol = underlying or next(iter(config.risk))
    if symbol not in config.risk:
        raise ValueError(
            f"{path}: no risk parameters for {symbol!r} (has {', '.join(config.risk)})"
        )
    use_parameters(asdict(config.risk[symbol]), config.max_utilisation, f"{path}, risk.{symbol}")
    return config.token.decimals


def _summary(counts: collections.Counter, start: float) -> None:
    elapsed = time.perf_counter() - start
    total = sum(counts.values())
    print(f"\n{total} steps in {elapsed:.1f} s = {total / max(elapsed, 1e-9):.1f} steps/s")
    print("rule counts:")
    for rule_name, n in counts.most_common():
        print(f"  {rule_name:24s} {n:7d}")
    print("outcomes (ok, or the expected revert):")
    for (rule_name, outcome), n in sorted(OUTCOMES.items()):
        print(f"  {rule_name:24s} {outcome:44s} {n:7d}")


if __name__ == "__main__":
    sys.exit(main())
