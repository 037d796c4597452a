"""What every source returns: one spot and a smile per expiry, at one observation time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from oracle.svi import Svi
from oracle.units import years


@dataclass(frozen=True)
class SurfaceQuote:
    """The smile of one expiry: forward F and raw SVI on total variance at observation."""

    expiry: int  # unix s
    forward: float  # quote per unit
    svi: Svi

    def tau(self, observed_at: int) -> float:
        """Years from ``observed_at`` to this expiry."""
        return years(self.expiry - observed_at)

    def atm_vol(self, observed_at: int) -> float:
        """Implied vol at k = 0 (strike = forward), annualised."""
        return self.svi.implied_vol(0.0, self.tau(observed_at))


@dataclass(frozen=True)
class Observation:
    """Everything one source saw for one underlying at ``observed_at`` (unix s)."""

    underlying: str
    observed_at: int
    spot: float
    surfaces: dict[int, SurfaceQuote] = field(default_factory=dict)
    source: str = ""


class Source(Protocol):
    """A source for one feed. `fetch` raises SourceError (transient) or SourceExhausted."""

    name: str

    def fetch(self, now: int, expiries: Sequence[int]) -> Observation:
        """Observe at ``now`` (unix s); smiles only for ``expiries`` (the feed's listed ones)."""
        ...
