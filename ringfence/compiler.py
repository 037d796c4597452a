"""Compile a Vyper source with vyper's Python API (no subprocess): what the devnet deploy,
the integration tests and the ABI check use. The services never compile at run time: they
read the stored ABIs (:mod:`ringfence.abis`) and the deployment record."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def compile_contract(path: str | Path) -> dict[str, Any]:
    """``{"abi": [...], "bytecode": "0x..."}`` for a Vyper source, imports resolved from its
    folder, the working directory and site-packages (snekmate)."""
    from vyper.cli.vyper_compile import get_search_paths
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FileInput, FilesystemInputBundle

    path = Path(path).resolve()
    try:
        source = path.read_text()
    except OSError as exc:
        raise ValueError(f"contract source {path}: {exc.strerror or exc}") from None
    bundle = FilesystemInputBundle(get_search_paths([str(path.parent)]))
    file_input = FileInput(contents=source, source_id=-1, path=path, resolved_path=path)
    out = compile_from_file_input(
        file_input, input_bundle=bundle, output_formats=["abi", "bytecode"]
    )
    return {"abi": out["abi"], "bytecode": out["bytecode"]}
