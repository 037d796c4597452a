"""Deribit public REST API: index price and option mark IVs, fitted to SVI per expiry.

Calls (all public, no key):

- ``/api/v2/public/get_index_price?index_name=<index>`` -> ``result.index_price`` (spot)
- ``/api/v2/public/get_instruments?currency=<C>&kind=option&expired=false`` -> strike,
  option_type and ``expiration_timestamp`` (ms) per instrument (cached ``instruments_ttl`` s)
- ``/api/v2/public/get_book_summary_by_currency?currency=<C>&kind=option`` -> ``mark_iv``
  (percent) and ``underlying_price`` (the forward Deribit prices that option from)

Per expiry: the forward is the median ``underlying_price`` of its options; quotes are the
out-of-the-money side (puts below F, calls at/above F) with ``mark_iv > 0``; k = ln(K/F) and
w = (mark_iv/100)^2 tau at the observation time. Expiries with fewer than ``min_quotes``
quotes, less than ``min_tau_seconds`` to go, or a fit worse than ``max_fit_rmse`` (vol) are
skipped (logged by the service). Smiles are fitted for exactly the requested (listed)
expiries; with none requested, for the nearest ``max_expiries`` (handy for exploring).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from oracle.errors import SourceError
from oracle.sources.base import Observation, SurfaceQuote
from oracle.svi import fit_svi
from oracle.units import years


@dataclass(frozen=True)
class DeribitParams:
    currency: str = "BTC"
    index_name: str = ""  # default: "<currency lower>_usd"
    base_url: str = "https://www.deribit.com"
    timeout: float = 5.0
    min_quotes: int = 6
    min_tau_seconds: int = 86_400
    max_expiries: int = 4
    max_fit_rmse: float = 0.05
    instruments_ttl: int = 3_600


@dataclass(frozen=True)
class Instrument:
    name: str
    expiry: int  # unix s
    strike: float
    is_call: bool


class DeribitSource:
    """One underlying from Deribit; `fetch` raises SourceError on any HTTP or API problem."""

    def __init__(
        self,
        underlying: str,
        params: DeribitParams,
        session: requests.Session | None = None,
    ) -> None:
        self.name = f"deribit:{params.currency}"
        self.underlying = underlying
        self.params = params
        self.index_name = params.index_name or f"{params.currency.lower()}_usd"
        self.session = session or requests.Session()
        self._instruments: dict[str, Instrument] = {}
        self._instruments_at: float | None = None
        self.skipped: dict[int, str] = {}  # expiry -> why it got no smile on the last fetch

    def _get(self, method: str, **params: Any) -> Any:
        url = f"{self.params.base_url.rstrip('/')}/api/v2/public/{method}"
        try:
            resp = self.session.get(url, params=params, timeout=self.params.timeout)
        except requests.RequestException as exc:
            raise SourceError(f"deribit {method}: {type(exc).__name__}: {exc}") from None
        try:
            body = resp.json()
        except ValueError:
            raise SourceError(f"deribit {method}: HTTP {resp.status_code}, not JSON") from None
        if "error" in body:
            err = body["error"]
            raise SourceError(f"deribit {method}: error {err.get('code')}: {err.get('message')}")
        if resp.status_code != 200 or "result" not in body:
            raise SourceError(f"deribit {method}: HTTP {resp.status_code} without a result")
        return body["result"]

    def _refresh_instruments(self, now: int) -> None:
        if (
            self._instruments_at is not None
            and now - self._instruments_at < self.params.instruments_ttl
        ):
            return
        result = self._get(
            "get_instruments", currency=self.params.currency, kind="option", expired="false"
        )
        instruments = {}
        for item in result:
            try:
                inst = Instrument(
                    name=item["instrument_name"],
                    expiry=int(item["expiration_timestamp"]) // 1000,
                    strike=float(item["strike"]),
                    is_call=item["option_type"] == "call",
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise SourceError(f"deribit get_instruments: malformed entry ({exc})") from None
            instruments[inst.name] = inst
        self._instruments = instruments
        self._instruments_at = now

    def fetch(self, now: int, expiries: Sequence[int]) -> Observation:
        index = self._get("get_index_price", index_name=self.index_name)
        try:
            spot = float(index["index_price"])
        except (KeyError, TypeError, ValueError):
            raise SourceError("deribit get_index_price: no index_price in result") from None
        if not spot > 0:
            raise SourceError(f"deribit get_index_price: non-positive index {spot}")
        self._refresh_instruments(now)
        summaries = self._get(
            "get_book_summary_by_currency", currency=self.params.currency, kind="option"
        )
        by_expiry: dict[int, list[tuple[Instrument, float, float]]] = {}
        for row in summaries:
            inst = self._instruments.get(row.get("instrument_name", ""))
            iv, fwd = row.get("mark_iv"), row.get("underlying_price")
            if inst is None or not iv or not fwd or iv <= 0 or fwd <= 0:
                continue
            by_expiry.setdefault(inst.expiry, []).append((inst, float(iv) / 100.0, float(fwd)))
        self.skipped = {}
        surfaces: dict[int, SurfaceQuote] = {}
        candidates = sorted(expiries) if expiries else sorted(by_expiry)
        for expiry in candidates:
            if (
                self.params.max_expiries
                and not expiries
                and len(surfaces) >= self.params.max_expiries
            ):
                break
            quotes = by_expiry.get(expiry, [])
            if expiry - now < self.params.min_tau_seconds:
                self.skipped[expiry] = "too close to expiry"
                continue
            forward = statistics.median(f for _, _, f in quotes) if quotes else 0.0
            otm = [(i, v) for i, v, _ in quotes if i.is_call == (i.strike >= forward)]
            if len(otm) < self.params.min_quotes:
                self.skipped[expiry] = f"{len(otm)} OTM quotes < {self.params.min_quotes}"
                continue
            tau = years(expiry - now)
            ks = [math.log(i.strike / forward) for i, _ in otm]
            try:
                fit = fit_svi(ks, [v for _, v in otm], tau)
            except ValueError as exc:
                self.skipped[expiry] = f"fit failed: {exc}"
                continue
            if fit.rmse_vol > self.params.max_fit_rmse:
                self.skipped[expiry] = f"fit rmse {fit.rmse_vol:.4f} > {self.params.max_fit_rmse}"
                continue
            surfaces[expiry] = SurfaceQuote(expiry, forward, fit.svi)
        return Observation(self.underlying, now, spot, surfaces, source=self.name)
