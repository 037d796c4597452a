"""Replay a CSV file of observations, one timestamp per push cycle.

CSV format (header row required; column order free; ``#`` lines are comments):

=========== ======== =====================================================================
column      required meaning
=========== ======== =====================================================================
timestamp   yes      observation time: unix seconds, or ISO 8601 (``2026-01-02T08:00:00Z``)
underlying  yes      feed symbol, e.g. ``ETH`` (1-32 ASCII bytes)
spot        yes      spot price, quote per unit (decimal), > 0
expiry      no       empty for a spot-only row; else the listed expiry (unix s or ISO 8601)
forward     no       forward for that expiry; defaults to ``spot`` (zero carry)
vol         no       flat annualised implied vol for that expiry (0.65 = 65 %)
a,b,rho,m,  no       raw-SVI total-variance parameters at ``timestamp`` (all five together)
sigma
=========== ======== =====================================================================

A row with an expiry carries EITHER ``vol`` OR all five SVI columns, never both. Every row
of one (timestamp, underlying) must agree on ``spot``. Rows are grouped by timestamp and
played in time order: each `fetch` returns the next group for this source's underlying,
with a smile for each of its expiries the feed lists on-chain (others are ignored).

By default a report's ``observed_at`` is the pusher's clock (the contract rejects future
timestamps and fails closed on stale ones, so a historical file must be re-timed). SVI
total variance is then rescaled by tau_now / tau_file (a and b scale; rho, m, sigma do not)
so every implied vol is exactly the file's; a flat vol is re-expressed at tau_now. With
``use_file_timestamps: true`` the file's times are used verbatim.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from oracle.errors import ConfigError, SourceExhausted
from oracle.sources.base import Observation, SurfaceQuote
from oracle.svi import Svi
from oracle.units import years

REQUIRED = ("timestamp", "underlying", "spot")
OPTIONAL = ("expiry", "forward", "vol", "a", "b", "rho", "m", "sigma")
SVI_COLUMNS = ("a", "b", "rho", "m", "sigma")


@dataclass(frozen=True)
class ReplayRow:
    timestamp: int
    underlying: str
    spot: float
    expiry: int | None = None
    forward: float | None = None
    vol: float | None = None
    svi: Svi | None = None
    line: int = 0


def _time(text: str, what: str) -> int:
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {text!r} is neither unix seconds nor ISO 8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {text!r} has no timezone (append Z for UTC)")
    return int(parsed.timestamp())


def _number(text: str, what: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{what} must be finite, got {text!r}")
    if positive and value <= 0:
        raise ValueError(f"{what} must be > 0, got {text!r}")
    return value


def _parse_row(raw: dict[str, str], line: int) -> ReplayRow:
    cell = {k: (v or "").strip() for k, v in raw.items()}
    for col in REQUIRED:
        if not cell.get(col):
            raise ValueError(f"missing {col}")
    underlying = cell["underlying"]
    if not 0 < len(underlying.encode("ascii", "replace")) <= 32 or not underlying.isascii():
        raise ValueError(f"underlying {underlying!r} must be 1-32 ASCII characters")
    timestamp = _time(cell["timestamp"], "timestamp")
    spot = _number(cell["spot"], "spot", positive=True)
    has_svi = [bool(cell.get(c)) for c in SVI_COLUMNS]
    has_vol = bool(cell.get("vol"))
    if not cell.get("expiry"):
        if has_vol or any(has_svi) or cell.get("forward"):
            raise ValueError("vol, SVI and forward columns need an expiry")
        return ReplayRow(timestamp, underlying, spot, line=line)
    expiry = _time(cell["expiry"], "expiry")
    if expiry <= timestamp:
        raise ValueError(f"expiry {expiry} is not after timestamp {timestamp}")
    forward = _number(cell["forward"], "forward", positive=True) if cell.get("forward") else None
    if has_vol and any(has_svi):
        raise ValueError("give either vol or the SVI columns a,b,rho,m,sigma, not both")
    if has_vol:
        vol = _number(cell["vol"], "vol", positive=True)
        return ReplayRow(timestamp, underlying, spot, expiry, forward, vol=vol, line=line)
    if not all(has_svi):
        missing = [c for c, present in zip(SVI_COLUMNS, has_svi, strict=True) if not present]
        raise ValueError(f"a surface row needs vol or all of a,b,rho,m,sigma (missing {missing})")
    svi = Svi(*(_number(cell[c], c) for c in SVI_COLUMNS))
    svi.check()
    return ReplayRow(timestamp, underlying, spot, expiry, forward, svi=svi, line=line)


def load_replay(path: str | Path) -> list[ReplayRow]:
    """Parse and validate a replay CSV; any bad row raises ConfigError naming file:line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"replay file {path}: {exc.strerror or exc}") from None
    lines = [
        (n, ln) for n, ln in enumerate(text.splitlines(), 1) if not ln.lstrip().startswith("#")
    ]
    lines = [(n, ln) for n, ln in lines if ln.strip()]
    if not lines:
        raise ConfigError(f"replay file {path}: empty (a header row is required)")
    header_line, header = lines[0]
    reader = csv.DictReader([ln for _, ln in lines])
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    missing = [c for c in REQUIRED if c not in columns]
    if unknown or missing:
        problem = f"unknown columns {unknown}" if unknown else f"missing columns {missing}"
        raise ConfigError(f"{path}:{header_line}: {problem} (header: {header.strip()!r})")
    rows: list[ReplayRow] = []
    seen: dict[tuple, int] = {}
    spots: dict[tuple[int, str], tuple[float, int]] = {}
    for (line, _), raw in zip(lines[1:], reader, strict=True):
        if None in raw:
            raise ConfigError(f"{path}:{line}: more cells than header columns")
        try:
            row = _parse_row(raw, line)
        except ValueError as exc:
            raise ConfigError(f"{path}:{line}: {exc}") from None
        key = (row.timestamp, row.underlying, row.expiry)
        if key in seen:
            raise ConfigError(
                f"{path}:{line}: duplicate of line {seen[key]} (same time/feed/expiry)"
            )
        seen[key] = line
        first = spots.setdefault((row.timestamp, row.underlying), (row.spot, line))
        if first[0] != row.spot:
            raise ConfigError(
                f"{path}:{line}: spot {row.spot} disagrees with {first[0]} on line {first[1]}"
            )
        rows.append(row)
    if not rows:
        raise ConfigError(f"replay file {path}: no data rows")
    return sorted(rows, key=lambda r: (r.timestamp, r.line))


class ReplaySource:
    """Plays one underlying's rows of a replay file, one timestamp per `fetch`."""

    def __init__(
        self,
        path: str | Path,
        underlying: str,
        on_end: str = "hold",
        use_file_timestamps: bool = False,
    ) -> None:
        if on_end not in ("hold", "stop"):
            raise ConfigError(f"replay on_end must be 'hold' or 'stop', got {on_end!r}")
        self.name = f"replay:{Path(path).name}"
        rows = [r for r in load_replay(path) if r.underlying == underlying]
        if not rows:
            raise ConfigError(f"replay file {path} has no rows for underlying {underlying!r}")
        self._groups: list[list[ReplayRow]] = []
        for row in rows:
            if self._groups and self._groups[-1][0].timestamp == row.timestamp:
                self._groups[-1].append(row)
            else:
                self._groups.append([row])
        self.underlying = underlying
        self.on_end = on_end
        self.use_file_timestamps = use_file_timestamps
        self._next = 0

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self._groups)

    def fetch(self, now: int, expiries: Sequence[int]) -> Observation:
        if self.exhausted:
            if self.on_end == "stop":
                raise SourceExhausted(f"{self.name}: no more rows for {self.underlying}")
            group = self._groups[-1]
        else:
            group = self._groups[self._next]
            self._next += 1
        file_time = group[0].timestamp
        observed_at = file_time if self.use_file_timestamps else now
        surfaces: dict[int, SurfaceQuote] = {}
        wanted = set(expiries)
        for row in group:
            if row.expiry is None or row.expiry <= observed_at or row.expiry not in wanted:
                continue
            tau_now = years(row.expiry - observed_at)
            if row.vol is not None:
                svi = Svi.flat(row.vol, tau_now)
            else:
                assert row.svi is not None
                scale = tau_now / years(row.expiry - file_time)
                svi = replace(row.svi, a=row.svi.a * scale, b=row.svi.b * scale)
            forward = row.forward if row.forward is not None else row.spot
            surfaces[row.expiry] = SurfaceQuote(row.expiry, forward, svi)
        return Observation(
            underlying=self.underlying,
            observed_at=observed_at,
            spot=group[0].spot,
            surfaces=surfaces,
            source=self.name,
        )
