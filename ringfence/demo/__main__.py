"""``python -m ringfence.demo [--scenario crash] [--traders 300] [--seed 0]`` (``make demo``)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ringfence.paths import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ringfence.demo",
        description="The whole Ringfence stack on a local anvil through a market scenario.",
    )
    parser.add_argument("--scenario", default="crash", help="a file in scenarios/ (no .csv)")
    parser.add_argument("--traders", type=int, default=300, help="number of demo traders")
    parser.add_argument("--seed", type=int, default=0, help="seed of the book builder")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "demo")
    args = parser.parse_args(argv)

    from ringfence.demo.analysis import verdict
    from ringfence.demo.run import DemoError, Options, run
    from ringfence.demo.scenario import ScenarioError

    # SIGTERM ends the demo like Ctrl-C: the finally blocks stop every child process.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        summary = run(Options(scenario=args.scenario, traders=args.traders, seed=args.seed,
                              out=args.out))  # fmt: skip
    except (DemoError, ScenarioError) as exc:
        print(f"demo: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo: interrupted; every child process was stopped", file=sys.stderr)
        return 130
    failed = verdict(summary)
    if failed:
        print("demo: FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print("demo: PASSED (no unhealthy vault left, no healthy vault liquidated, isolation held)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
