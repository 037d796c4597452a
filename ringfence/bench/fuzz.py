"""Bench section ``fuzz``: throughput of the liquidation-invariant state machine.

Runs the campaign's state machine (tests/fuzz/ringfence_machine.py: ClearingHouse,
LiquidityPool and the aging oracle mock on titanoboa fast mode, 6-decimal token) for a
fixed seed and budget on one core, and reports state-machine steps per second — every step
is one rule (an action predicted by the Python model and compared to the wei) plus all the
invariants — and the names of the invariants checked after every step. docs/fuzzing.md
says where the per-step cost goes and how the invariant reads are kept cheap (direct
storage reads, raw-word isolation, Black-Scholes views cached by their inputs).
"""

from __future__ import annotations

import collections
import sys
import time

from ringfence.paths import ROOT

NAME = "fuzz"

EXAMPLES = 6
STEPS_PER_RUN = 50
SEED = 12_345
TARGET_STEPS_PER_S = 300


def run() -> dict:
    fuzz_dir = str(ROOT / "tests" / "fuzz")
    if fuzz_dir not in sys.path:
        sys.path.insert(0, fuzz_dir)
    import hypothesis.core
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test
    from ringfence_machine import INVARIANTS, RingfenceMachine, deployment, instrument

    deployment(6, False)
    machine = type("BenchMachine", (RingfenceMachine,), {"DECIMALS": 6, "REENTRANT": False})
    counts: collections.Counter = collections.Counter()
    instrument(machine, counts, [])
    hypothesis.core.global_force_seed = SEED
    budget = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    start = time.perf_counter()
    run_state_machine_as_test(machine, settings=budget)
    elapsed = time.perf_counter() - start
    steps = sum(counts.values())
    return {
        "steps": steps,
        "seconds": round(elapsed, 2),
        "steps_per_s": round(steps / elapsed, 1),
        "target_steps_per_s": TARGET_STEPS_PER_S,
        "meets_target": steps / elapsed >= TARGET_STEPS_PER_S,
        "invariants_checked": list(INVARIANTS),
    }


def rows(result: dict) -> list[tuple[str, str]]:
    return [
        ("steps_per_s (one core)", f"{result['steps_per_s']:.1f}"),
        ("target / met", f">= {result['target_steps_per_s']} / {result['meets_target']}"),
        ("steps measured", f"{result['steps']} in {result['seconds']} s"),
        ("invariants_checked", ", ".join(result["invariants_checked"])),
    ]
