"""Bench section ``fuzz``: throughput of the liquidation-invariant state machine.

Runs the campaign's state machine (ringfence/fuzz/machine.py: ClearingHouse,
LiquidityPool and the aging oracle mock under titanoboa, 6-decimal token) for a fixed seed
and budget on one core, and reports state-machine steps per second — every step is one
rule (an action predicted by the Python model and compared to the wei) plus all the
invariants — and the names of the invariants checked after every step.

``steps_per_s`` is measured on the campaigns' default engine, revm behind titanoboa
(ringfence/fuzz/revm_evm.py); ``pyevm_steps_per_s`` runs the same seed on titanoboa's py-evm
for reference. docs/fuzzing.md says where the per-step cost goes.
"""

from __future__ import annotations

import collections
import time

NAME = "fuzz"

EXAMPLES = 40
PYEVM_EXAMPLES = 6
STEPS_PER_RUN = 50
SEED = 12_345
TARGET_STEPS_PER_S = 300


def _measure(evm: str, examples: int) -> tuple[int, float]:
    """(steps, seconds) of `examples` seeded runs of the standard machine on `evm`."""
    import hypothesis.core
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from ringfence.fuzz.machine import RingfenceMachine, deployment, instrument

    deployment(6, False, evm)
    machine = type(
        f"Bench{evm}Machine", (RingfenceMachine,), {"DECIMALS": 6, "REENTRANT": False, "EVM": evm}
    )
    counts: collections.Counter = collections.Counter()
    instrument(machine, counts, [])
    hypothesis.core.global_force_seed = SEED
    budget = settings(
        max_examples=examples,
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    start = time.perf_counter()
    run_state_machine_as_test(machine, settings=budget)
    return sum(counts.values()), time.perf_counter() - start


def run() -> dict:
    from ringfence.fuzz.machine import INVARIANTS

    steps, elapsed = _measure("revm", EXAMPLES)
    pyevm_steps, pyevm_elapsed = _measure("pyevm", PYEVM_EXAMPLES)
    return {
        "evm": "revm",
        "steps": steps,
        "seconds": round(elapsed, 2),
        "steps_per_s": round(steps / elapsed, 1),
        "target_steps_per_s": TARGET_STEPS_PER_S,
        "meets_target": steps / elapsed >= TARGET_STEPS_PER_S,
        "pyevm_steps_per_s": round(pyevm_steps / pyevm_elapsed, 1),
        "pyevm_steps": pyevm_steps,
        "invariants_checked": list(INVARIANTS),
    }


def rows(result: dict) -> list[tuple[str, str]]:
    return [
        ("steps_per_s (one core, revm)", f"{result['steps_per_s']:.1f}"),
        ("target / met", f">= {result['target_steps_per_s']} / {result['meets_target']}"),
        ("steps measured", f"{result['steps']} in {result['seconds']} s"),
        ("pyevm_steps_per_s (reference)", f"{result['pyevm_steps_per_s']:.1f}"),
        ("invariants_checked", ", ".join(result["invariants_checked"])),
    ]
