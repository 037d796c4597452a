"""Check NatSpec on every external function of the Vyper sources (``make lint``).

Every ``@external`` function of ``contracts/**/*.vy`` and ``*.vyi`` needs a docstring with
``@notice`` (or ``@dev``), one ``@param <name>`` per parameter and one ``@return`` per returned
value (a tuple of N values needs N ``@return`` lines), so explorers and
``vyper -f devdoc`` show complete documentation. Prints one line per problem and exits 1
when there is any; exits 0 and prints a count otherwise.

    python scripts/check_natspec.py [paths...]      # default: contracts/
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from vyper.ast import nodes
from vyper.ast.parse import parse_to_ast

ROOT = Path(__file__).resolve().parents[1]


def _returns(fn: nodes.FunctionDef) -> int:
    if fn.returns is None:
        return 0
    if isinstance(fn.returns, nodes.Tuple):
        return len(fn.returns.elements)
    return 1


def _is_external(fn: nodes.FunctionDef) -> bool:
    return any(isinstance(d, nodes.Name) and d.id == "external" for d in fn.decorator_list)


def check_file(path: Path) -> tuple[int, list[str]]:
    """(number of external functions, problems) of one source file."""
    source = path.read_text()
    module = parse_to_ast(source, source_id=0, resolved_path=str(path))
    problems = []
    count = 0
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for fn in module.get_children(nodes.FunctionDef):
        if not _is_external(fn):
            continue
        count += 1
        where = f"{rel}:{fn.lineno} {fn.name}"
        doc_node = getattr(fn, "doc_string", None)
        doc = doc_node.value if doc_node is not None else ""
        if not doc:
            problems.append(f"{where}: no docstring")
            continue
        if "@notice" not in doc and "@dev" not in doc:
            problems.append(f"{where}: no @notice or @dev")
        documented = set(re.findall(r"@param\s+(\w+)", doc))
        for arg in fn.args.args:
            if arg.arg not in documented:
                problems.append(f"{where}: no @param {arg.arg}")
        for name in documented - {arg.arg for arg in fn.args.args}:
            problems.append(f"{where}: @param {name} is not a parameter")
        returns = len(re.findall(r"@return\b", doc))
        if returns != _returns(fn):
            problems.append(f"{where}: {returns} @return for {_returns(fn)} returned value(s)")
    return count, problems


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or [ROOT / "contracts"]
    files = []
    for p in paths:
        files += sorted(p.rglob("*.vy")) + sorted(p.rglob("*.vyi")) if p.is_dir() else [p]
    total = 0
    problems: list[str] = []
    for f in files:
        count, found = check_file(f.resolve())
        total += count
        problems += found
    for line in problems:
        print(line)
    if problems:
        print(f"natspec: {len(problems)} problem(s) in {total} external functions")
        return 1
    print(f"natspec: {total} external functions, every one complete")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
