"""Bench section ``contracts``: runtime bytecode size of every deployable contract.

EIP-170 caps deployed code at 24,576 bytes. Every deployable is compiled exactly as the
deploy script compiles it (vyper 0.4.3, default ``gas`` optimisation) and its runtime
bytecode measured; ``headroom_bytes`` is what is left under the cap. The contracts issue's
target is at least 4,096 bytes of headroom for each (``within_target``).
"""

from __future__ import annotations

from ringfence.paths import CONTRACTS

NAME = "contracts"
EIP170_LIMIT = 24_576
TARGET_HEADROOM = 4_096
DEPLOYABLES = (
    "ClearingHouse",
    "ClearingHouseView",
    "Registry",
    "MarginEngine",
    "LiquidityPool",
    "Oracle",
    "OracleGovernor",
    "SurfaceChecker",
    "ChainlinkAdapter",
)


def runtime_size(name: str) -> int:
    """Bytes of the runtime bytecode of ``contracts/<name>.vy``."""
    from vyper.cli.vyper_compile import get_search_paths
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FileInput, FilesystemInputBundle

    path = (CONTRACTS / f"{name}.vy").resolve()
    bundle = FilesystemInputBundle(get_search_paths([str(path.parent)]))
    source = FileInput(contents=path.read_text(), source_id=-1, path=path, resolved_path=path)
    out = compile_from_file_input(source, input_bundle=bundle, output_formats=["bytecode_runtime"])
    return (len(out["bytecode_runtime"]) - 2) // 2


def run() -> dict:
    sizes = {name: runtime_size(name) for name in DEPLOYABLES}
    headroom = {name: EIP170_LIMIT - size for name, size in sizes.items()}
    return {
        "bytecode_bytes": sizes,
        "headroom_bytes": headroom,
        "eip170_limit": EIP170_LIMIT,
        "within_target": {name: room >= TARGET_HEADROOM for name, room in headroom.items()},
    }


def rows(result: dict) -> list[tuple[str, str]]:
    out = []
    for name, size in result["bytecode_bytes"].items():
        room = result["headroom_bytes"][name]
        verdict = "ok" if result["within_target"][name] else "UNDER TARGET"
        out.append((f"{name} (runtime bytes)", f"{size:,}  ({room:,} under EIP-170: {verdict})"))
    return out
