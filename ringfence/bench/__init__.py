"""Benchmark framework: ``python -m ringfence.bench [SECTION ...]`` (``make bench``).

A *section* is any module of this package whose name does not start with ``_``. It
exposes three things:

- ``NAME: str`` -- its key in ``reports/bench.json`` and on the command line;
- ``run() -> dict`` -- measures and returns a JSON-serialisable result;
- ``rows(result: dict) -> list[tuple[str, str]]`` -- (metric, value) pairs to print.

Running all sections (or the named ones) merges each result under its ``NAME`` into
``reports/bench.json``, keeping the results of sections that did not run, and prints one
table. A benchmark measures; it does not assert (tolerance checks are reported as
booleans by the section and asserted by the unit tests).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.table import Table

from ringfence.paths import REPORTS

BENCH_JSON = REPORTS / "bench.json"


class BenchError(Exception):
    """A section is malformed or an unknown section was requested."""


def discover() -> dict[str, ModuleType]:
    """Every section module of this package, keyed by its ``NAME``, sorted by name."""
    sections: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attribute in ("NAME", "run", "rows"):
            if not hasattr(module, attribute):
                raise BenchError(f"bench section {info.name!r} has no {attribute!r}")
        if module.NAME in sections:
            raise BenchError(f"two bench sections are named {module.NAME!r}")
        sections[module.NAME] = module
    return dict(sorted(sections.items()))


def select(sections: dict[str, ModuleType], names: Iterable[str]) -> dict[str, ModuleType]:
    """The requested sections (all when ``names`` is empty), in the order given."""
    names = list(names)
    if not names:
        return sections
    unknown = [name for name in names if name not in sections]
    if unknown:
        available = ", ".join(sections) or "none"
        raise BenchError(f"unknown bench section(s) {', '.join(unknown)}; available: {available}")
    return {name: sections[name] for name in dict.fromkeys(names)}


def merge_report(results: dict[str, dict], path: Path = BENCH_JSON) -> dict[str, dict]:
    """Write ``results`` into the JSON report at ``path``, keeping other sections' results."""
    report: dict[str, dict] = {}
    if path.is_file():
        report = json.loads(path.read_text())
    report.update(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report


def render(sections: dict[str, ModuleType], results: dict[str, dict], seconds: dict) -> Table:
    """One table of every section's rows."""
    table = Table(title=f"Ringfence bench -> {BENCH_JSON.relative_to(REPORTS.parent)}")
    table.add_column("section", style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, module in sections.items():
        for i, (metric, value) in enumerate(module.rows(results[name])):
            table.add_row(name if i == 0 else "", metric, value)
        table.add_row("", "(wall time)", f"{seconds[name]:.1f} s", end_section=True)
    return table


def main(argv: list[str]) -> int:
    """Run the named sections (all by default); returns the process exit code."""
    console = Console()
    if any(arg in ("-h", "--help") for arg in argv):
        console.print(__doc__)
        console.print("sections: " + ", ".join(discover()))
        return 0
    try:
        chosen = select(discover(), argv)
    except BenchError as error:
        console.print(f"[red]bench: {error}[/red]")
        return 2
    results: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    for name, module in chosen.items():
        console.print(f"bench: running {name} ...")
        start = time.perf_counter()
        results[name] = module.run()
        seconds[name] = time.perf_counter() - start
    merge_report(results)
    console.print(render(chosen, results, seconds))
    return 0
