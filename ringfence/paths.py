"""Where the project's files live, independent of the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
REPORTS = ROOT / "reports"


def contract_path(relative: str) -> Path:
    """Absolute path of a contract source, e.g. ``contract_path("mocks/MockToken.vy")``.

    Raises FileNotFoundError with the path it looked for, so a typo in a test or
    script fails with one readable line instead of a compiler traceback.
    """
    path = CONTRACTS / relative
    if not path.is_file():
        raise FileNotFoundError(f"no contract source at {path}")
    return path
