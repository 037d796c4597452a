"""The Deribit source against a local HTTP server replaying documented responses."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from pusher_fakes import KEEPER, ORACLE, FakeChain, FakeSender

from oracle.config import Config, DeribitSourceConfig, FeedConfig, SignerConfig
from oracle.errors import SourceError
from oracle.metrics import Metrics
from oracle.service import Pusher
from oracle.sources.deribit import DeribitParams, DeribitSource
from oracle.svi import Svi
from oracle.units import to_wad, years
from ringfence.oracle_types import recover_signer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "deribit"
TRUTH = json.loads((FIXTURES / "truth.json").read_text())
NOW = TRUTH["recorded_at"]
EXPIRIES = sorted(int(e) for e in TRUTH["expiries"])  # the first is 8 h out


class Server:
    """Serves fixtures by method name; `overrides` swaps in other files or HTTP codes."""

    def __init__(self) -> None:
        self.overrides: dict[str, tuple[int, str]] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                url = urlparse(self.path)
                method = url.path.rsplit("/", 1)[-1]
                server.requests.append((url.path, parse_qs(url.query)))
                status, name = server.overrides.get(method, (200, f"{method}.json"))
                path = FIXTURES / name
                body = path.read_bytes() if path.is_file() else b"<html>not found</html>"
                self.send_response(status if path.is_file() else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def deribit():
    server = Server()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def source(server: Server, **kw) -> DeribitSource:
    return DeribitSource("BTC", DeribitParams(currency="BTC", base_url=server.url, **kw))


def test_fetch__listed_expiries__index_spot_and_fitted_smiles(deribit):
    obs = source(deribit).fetch(NOW, EXPIRIES[1:])
    assert obs.spot == 94_002.13 and obs.observed_at == NOW
    assert sorted(obs.surfaces) == EXPIRIES[1:]
    for expiry in EXPIRIES[1:]:
        truth = TRUTH["expiries"][str(expiry)]
        quote = obs.surfaces[expiry]
        assert quote.forward == truth["forward"]
        tau = years(expiry - NOW)
        for k in (-0.15, -0.05, 0.0, 0.05, 0.15):
            true_vol = Svi(*truth["svi"]).implied_vol(k, tau)
            assert quote.svi.implied_vol(k, tau) == pytest.approx(true_vol, abs=0.002)


def test_fetch__requests__documented_paths_and_params(deribit):
    source(deribit).fetch(NOW, EXPIRIES[1:2])
    paths = {p: q for p, q in deribit.requests}
    assert paths["/api/v2/public/get_index_price"] == {"index_name": ["btc_usd"]}
    assert paths["/api/v2/public/get_instruments"] == {
        "currency": ["BTC"],
        "kind": ["option"],
        "expired": ["false"],
    }
    assert paths["/api/v2/public/get_book_summary_by_currency"] == {
        "currency": ["BTC"],
        "kind": ["option"],
    }


def test_fetch__expiry_hours_away__skipped_with_reason(deribit):
    src = source(deribit)
    obs = src.fetch(NOW, EXPIRIES)
    assert EXPIRIES[0] not in obs.surfaces
    assert src.skipped[EXPIRIES[0]] == "too close to expiry"


def test_fetch__no_expiry_requested__nearest_max_expiries(deribit):
    obs = source(deribit, max_expiries=2).fetch(NOW, [])
    assert sorted(obs.surfaces) == EXPIRIES[1:3]


def test_fetch__too_few_quotes__expiry_skipped(deribit):
    src = source(deribit, min_quotes=50)
    assert src.fetch(NOW, EXPIRIES[1:]).surfaces == {}
    assert all("OTM quotes" in why for why in src.skipped.values())


def test_fetch__instruments__cached_between_fetches(deribit):
    src = source(deribit)
    src.fetch(NOW, EXPIRIES[1:2])
    src.fetch(NOW + 60, EXPIRIES[1:2])
    calls = [p for p, _ in deribit.requests if p.endswith("get_instruments")]
    assert len(calls) == 1


def test_fetch__api_error_envelope__source_error(deribit):
    deribit.overrides["get_book_summary_by_currency"] = (400, "error_invalid_params.json")
    with pytest.raises(SourceError, match="-32602: Invalid params"):
        source(deribit).fetch(NOW, EXPIRIES[1:])


def test_fetch__http_error_without_json__source_error(deribit):
    deribit.overrides["get_index_price"] = (502, "missing.json")
    with pytest.raises(SourceError, match="not JSON"):
        source(deribit).fetch(NOW, EXPIRIES[1:])


def test_fetch__server_down__source_error(deribit):
    src = source(deribit, timeout=1.0)
    deribit.httpd.shutdown()
    deribit.httpd.server_close()
    with pytest.raises(SourceError, match="ConnectionError"):
        src.fetch(NOW, EXPIRIES[1:])


def test_pusher__deribit_source__signed_surface_reports_for_listed_expiries(deribit):
    """Deribit quotes -> SVI fit -> triggers -> EIP-712 reports, with no chain."""
    listed = EXPIRIES[1:3]
    cfg = Config(
        chain_id=31337,
        rpc_urls=["http://unused"],
        signer=SignerConfig(keystore="unused"),
        feeds=[
            FeedConfig(
                underlying="BTC",
                sources=[DeribitSourceConfig(currency="BTC", base_url=deribit.url)],
            )
        ],
    )
    chain = FakeChain(expiries=listed)
    pusher = Pusher(cfg, chain, KEEPER, FakeSender(), Metrics(), clock=lambda: NOW)
    pusher.start()
    assert pusher.cycle().accepted == 3
    reports, signatures = chain.batches[0]
    assert [r.expiry for r in reports] == [0, *listed]
    assert reports[0].price == 94_002_130_000_000_000_000_000
    for report, expiry in zip(reports[1:], listed, strict=True):
        assert report.price == to_wad(TRUTH["expiries"][str(expiry)]["forward"])
        assert report.b > 0 and -(10**18) < report.rho < 0  # the fitted put skew survives
        assert report.observed_at == NOW
    for report, sig in zip(reports, signatures, strict=True):
        assert recover_signer(report, sig, 31337, ORACLE) == KEEPER.address
