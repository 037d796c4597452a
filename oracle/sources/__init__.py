"""Price and volatility sources. Each returns an `Observation` for one underlying."""

from oracle.sources.base import Observation, Source, SurfaceQuote

__all__ = ["Observation", "Source", "SurfaceQuote"]
