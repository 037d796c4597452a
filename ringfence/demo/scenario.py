"""Demo scenarios: a market path in scenario time, rendered as the pusher's replay file.

A scenario file (``scenarios/*.csv``) is relative in time so it fits any deployment:

    t,spot,vol
    0,3000,0.60
    60,2950,0.66

``t`` is seconds from the scenario's start (strictly increasing, evenly spaced: the demo's
chain driver advances chain time by that step after each oracle update), ``spot`` the price
in quote per unit, ``vol`` the annualised ATM vol applied flat to every listed expiry. An
optional ``keeper`` column (``on`` / ``off``, default ``on``) takes the keeper down from a
row's time until the next ``on`` row: a keeper outage (the ``gap`` scenario).
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
OPTIONAL_COLUMNS = ("keeper",)
KEEPER_STATES = {"on": True, "off": False}


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed; the message names file:line."""


@dataclass(frozen=True)
class Row:
    t: int  # seconds from the scenario's start
    spot: float  # quote per unit
    vol: float  # annualised ATM vol (0.6 = 60 %)
    keeper: bool = True  # False: the keeper is down from this row until the next "on" row


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

    def row_at(self, t: float) -> Row:
        """The row in force at scenario time ``t`` (the last row with ``row.t <= t``)."""
        current = self.rows[0]
        for row in self.rows:
            if row.t > t:
                break
            current = row
        return current

    def outages(self) -> list[tuple[int, int]]:
        """(from t, to t) of every keeper outage; ``to`` is the next ``on`` row's t (or the
        last row's t when the scenario ends with the keeper down)."""
        out: list[tuple[int, int]] = []
        start: int | None = None
        for row in self.rows:
            if not row.keeper and start is None:
                start = row.t
            elif row.keeper and start is not None:
                out.append((start, row.t))
                start = None
        if start is not None:
            out.append((start, self.rows[-1].t))
        return out


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
    if len(set(columns)) != len(columns) or not (
        set(COLUMNS) <= set(columns) <= set(COLUMNS + OPTIONAL_COLUMNS)
    ):
        raise ScenarioError(
            f"{name}:{header_line}: header must be the columns {', '.join(COLUMNS)} "
            f"(and optionally {', '.join(OPTIONAL_COLUMNS)}), got {', '.join(columns)}"
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
        state = record.get("keeper", "on").lower()
        if state not in KEEPER_STATES:
            raise ScenarioError(f"{name}:{number}: keeper must be on or off, got {state!r}")
        row = Row(row.t, row.spot, row.vol, KEEPER_STATES[state])
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
        elif not row.keeper:
            raise ScenarioError(f"{name}:{number}: the keeper must be on at t = 0")
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
