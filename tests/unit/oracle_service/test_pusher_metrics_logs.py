"""Prometheus exposition and JSON-lines logs."""

import io
import json
import logging
import urllib.request

from prometheus_client import start_http_server

from oracle.metrics import Metrics
from ringfence.devchain import free_port
from ringfence.logs import setup_logging


def test_metrics__served_over_http__every_family_exposed():
    metrics = Metrics()
    metrics.last_value.labels("ETH", "spot").set(2_050.0)
    metrics.last_time.labels("ETH", "spot").set(1_700_000_000)
    metrics.deviation.labels("ETH", "spot").set(55.0)
    metrics.transactions.labels("mined").inc()
    metrics.balance.set(10**18)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=metrics.registry)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
    assert 'oracle_last_pushed_value{expiry="spot",feed="ETH"} 2050.0' in body
    assert 'oracle_last_push_timestamp_seconds{expiry="spot",feed="ETH"} 1.7e+09' in body
    assert 'oracle_deviation_at_push{expiry="spot",feed="ETH"} 55.0' in body
    assert 'oracle_transactions_total{outcome="mined"} 1.0' in body
    assert "oracle_signer_balance_wei 1e+18" in body


def test_logs__extra_fields__one_json_object_per_line():
    stream = io.StringIO()
    setup_logging("info", stream)
    log = logging.getLogger("oracle.test")
    log.info("tx_sent", extra={"nonce": 3, "tx_hash": b"\x01\x02", "hashes": ["0xaa"]})
    log.debug("hidden")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["event"] == "tx_sent" and entry["level"] == "info" and entry["nonce"] == 3
    assert entry["tx_hash"] == "0x0102" and entry["hashes"] == ["0xaa"]
