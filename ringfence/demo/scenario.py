"""Demo scenarios: a market path in scenario time, rendered as the pusher's replay file.

A scenario file (``scenarios/*.csv``) is relative in time so it fits any deployment:

    t,spot,vol
    0,3000,0.60
    60,2950,0.66

``t`` is seconds from the scenario's start (strictly increasing, evenly spaced: the demo's
chain driver advances chain time by that step after each oracle update), ``spot`` the price
in quote per unit, ``vol`` the annualised ATM vol applied flat to every listed expiry.
``#`` lines and blank lines are skipped. Consecutive rows must differ (spot by at least
``MIN_SPOT_MOVE_BPS`` or vol by at least ``MIN_VOL_MOVE``) so that the pusher's deviation
trigger fires on every row and each row lands on chain as one update.

``render_replay`` turns it into the pusher's replay CSV (docs/pusher.md) for a deployment:
absolute timestamps from the deployment's chain time and one row per listed expiry.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

MIN_SPOT_MOVE_BPS = 2.0  # the demo's pusher pushes spot on a 1 bp move
MIN_VOL_MOVE = 0.002  # ... and a smile on a 0.1 vol-point move
COLUMNS = ("t", "spot", "vol")


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed; the message names file:line."""


@dataclass(frozen=True)
class Row:
    t: int  # seconds from the scenario's start
    spot: float  # quote per unit
    vol: float  # annualised ATM vol (0.6 = 60 %)


@dataclass(frozen=True)
class Scenario:
    name: str
    rows: tuple[Row, ...]

    @property
    def step(self) -> int:
        """Seconds of chain time between consecutive rows."""
        return self.rows[1].t - self.rows[0].t

    @property
    def duration(self) -> int:
        return self.rows[-1].t - self.rows[0].t

    def low(self) -> Row:
        return min(self.rows, key=lambda r: r.spot)


def parse(text: str, name: str = "scenario") -> Scenario:
    """Parse and validate scenario CSV text (see the module doc)."""
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise ScenarioError(f"{name}: empty scenario")
    header_line, header = lines[0]
    columns = [c.strip() for c in next(csv.reader([header]))]
    if sorted(columns) != sorted(COLUMNS):
        raise ScenarioError(
            f"{name}:{header_line}: header must be the columns {', '.join(COLUMNS)}, "
            f"got {', '.join(columns)}"
        )
    rows: list[Row] = []
    for number, line in lines[1:]:
        values = [v.strip() for v in next(csv.reader([line]))]
        if len(values) != len(columns):
            raise ScenarioError(f"{name}:{number}: expected {len(columns)} values")
        record = dict(zip(columns, values, strict=True))
        try:
            row = Row(int(record["t"]), float(record["spot"]), float(record["vol"]))
        except ValueError:
            raise ScenarioError(
                f"{name}:{number}: t must be an integer, spot and vol numbers"
            ) from None
        if row.spot <= 0:
            raise ScenarioError(f"{name}:{number}: spot must be > 0")
        if not 0 < row.vol <= 10:
            raise ScenarioError(f"{name}:{number}: vol must be in (0, 10]")
        if rows:
            previous = rows[-1]
            if row.t <= previous.t:
                raise ScenarioError(f"{name}:{number}: t must increase")
            if row.t - previous.t != (
                rows[1].t - rows[0].t if len(rows) > 1 else row.t - previous.t
            ):
                raise ScenarioError(f"{name}:{number}: rows must be evenly spaced in t")
            spot_move = abs(row.spot / previous.spot - 1) * 10_000
            if spot_move < MIN_SPOT_MOVE_BPS and abs(row.vol - previous.vol) < MIN_VOL_MOVE:
                raise ScenarioError(
                    f"{name}:{number}: row repeats the previous one (move spot by "
                    f">= {MIN_SPOT_MOVE_BPS} bps or vol by >= {MIN_VOL_MOVE})"
                )
        elif row.t != 0:
            raise ScenarioError(f"{name}:{number}: the first row must have t = 0")
        rows.append(row)
    if len(rows) < 2:
        raise ScenarioError(f"{name}: at least two rows are needed")
    return Scenario(name, tuple(rows))


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror or exc}") from None
    return parse(text, path.stem)


def render_replay(
    rows: tuple[Row, ...] | list[Row], start: int, expiries: list[int], underlying: str = "ETH"
) -> str:
    """The pusher's replay CSV: row ``t`` at ``start + t``, a spot row plus one flat-vol row
    per expiry still open at that time (the replay format requires expiry > timestamp)."""
    out = ["timestamp,underlying,spot,expiry,vol"]
    for row in rows:
        timestamp = start + row.t
        out.append(f"{timestamp},{underlying},{row.spot!r},,")
        for expiry in expiries:
            if expiry > timestamp:
                out.append(f"{timestamp},{underlying},{row.spot!r},{expiry},{row.vol!r}")
    return "\n".join(out) + "\n"
