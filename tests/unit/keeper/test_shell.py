"""The keeper's shells without a chain: CLI parsing, start-up checks, the loop, the bot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from eth_account import Account

from keeper import bot as keeper_bot
from keeper.cli import build_config, cli, parse_shard
from keeper.config import KeeperConfig
from keeper.service import (
    ChainReplaced,
    ConfigError,
    Service,
    load_deployment,
    load_signer,
    read_password,
    resolve_rpc_url,
)

ADDRESS_CH = "0x" + "11" * 20
ADDRESS_ORACLE = "0x" + "22" * 20
ADDRESS_REGISTRY = "0x" + "33" * 20
ADDRESS_VIEW = "0x" + "44" * 20
KEEPER_KEY = "0x" + "ab" * 32
KEEPER_BIN = os.path.join(os.path.dirname(sys.executable), "keeper")
ORACLE_BIN = os.path.join(os.path.dirname(sys.executable), "oracle")


def _deployment(tmp_path, **overrides):
    doc = {
        "chain_id": 31_337,
        "block": 7,
        "contracts": {
            "Oracle": {"address": ADDRESS_ORACLE, "block": 8},
            "Registry": {"address": ADDRESS_REGISTRY, "block": 10},
            "ClearingHouse": {"address": ADDRESS_CH, "block": 11},
            "ClearingHouseView": {"address": ADDRESS_VIEW, "block": 12},
        },
    }
    doc.update(overrides)
    path = tmp_path / "local.json"
    path.write_text(json.dumps(doc))
    return path


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("text", "expected"), [("0/1", (0, 1)), ("1/2", (1, 2)), ("3/4", (3, 4))])
def test_parse_shard__k_of_n__tuple(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["2/2", "-1/2", "1", "a/b", "0/0"])
def test_parse_shard__malformed__config_error(text):
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)


def test_build_config__overrides__replace_defaults_and_validate(tmp_path):
    config = build_config(None, {"shard": 1, "shards": 2, "max_candidates": 7, "dry_run": None})
    assert (config.shard, config.shards, config.max_candidates) == (1, 2, 7)
    assert config.dry_run is False
    yaml_file = tmp_path / "k.yaml"
    yaml_file.write_text("prescreen_ratio: 1.2\nunknown_key: 1\n")
    with pytest.raises(ConfigError, match="unknown"):
        build_config(str(yaml_file), {})


def test_run_help__every_config_field__documented():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--network", "--deployment", "--account", "--password-file", "--dry-run",
                   "--shard", "--metrics-port", "--checkpoint", "--poll-interval"):  # fmt: skip
        assert option in result.output
    for name in KeeperConfig.help():
        assert name in result.output


def test_console_script__installed__prints_help():
    keeper = os.path.join(os.path.dirname(sys.executable), "keeper")
    result = subprocess.run([keeper, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "run" in result.stdout


# ------------------------------------------------------------------ deployment file


def test_load_deployment__record__addresses_chain_and_start_block(tmp_path):
    d = load_deployment(_deployment(tmp_path))
    assert (d.clearing_house, d.registry, d.view, d.oracle) == (
        ADDRESS_CH, ADDRESS_REGISTRY, ADDRESS_VIEW, ADDRESS_ORACLE
    )  # fmt: skip
    assert (d.chain_id, d.start_block) == (31_337, 10)  # the registry's block: it came first


def test_load_deployment__clearing_house_deployed_first__starts_at_its_block(tmp_path):
    path = _deployment(tmp_path)
    doc = json.loads(path.read_text())
    doc["contracts"]["ClearingHouse"]["block"] = 9
    path.write_text(json.dumps(doc))
    assert load_deployment(path).start_block == 9


def test_load_deployment__registry_block_unknown__record_block(tmp_path):
    path = _deployment(tmp_path)
    doc = json.loads(path.read_text())
    doc["contracts"]["Registry"]["block"] = None
    path.write_text(json.dumps(doc))
    assert load_deployment(path).start_block == 7


def test_load_deployment__no_blocks_recorded__starts_at_zero(tmp_path):
    path = _deployment(tmp_path, block=None)
    doc = json.loads(path.read_text())
    for entry in doc["contracts"].values():
        entry.pop("block")
    path.write_text(json.dumps(doc))
    assert load_deployment(path).start_block == 0


_FOUR = {"ClearingHouse": ADDRESS_CH, "Registry": ADDRESS_REGISTRY,
         "ClearingHouseView": ADDRESS_VIEW, "Oracle": ADDRESS_ORACLE}  # fmt: skip


def _contracts(**changes) -> str:
    table = {name: {"address": a} for name, a in {**_FOUR, **changes}.items() if a is not None}
    return json.dumps({"contracts": table})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ('{"contracts": {}}', "needs ClearingHouse, Registry, ClearingHouseView, Oracle"),
        (_contracts(Registry=None), "needs ClearingHouse, Registry, ClearingHouseView, Oracle"),
        (_contracts(ClearingHouseView=None), "needs ClearingHouse, Registry, ClearingHouseView"),
        (_contracts(ClearingHouse="0x12"), "bad ClearingHouse address"),
        (_contracts(Registry="0x12"), "bad Registry address"),
        (_contracts(ClearingHouseView="0xzz" + "0" * 38), "bad ClearingHouseView address"),
        ('{"complete": false, "error": "interrupted", "contracts": {"MockToken": {}}}',
         r"is incomplete \(interrupted after 1 contract\(s\)\): deploy again"),
    ],
)  # fmt: skip
def test_load_deployment__broken_file__one_line_config_error(tmp_path, content, message):
    path = tmp_path / "d.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_deployment(path)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ network


def test_resolve_rpc_url__url__unchanged():
    assert resolve_rpc_url("http://10.0.0.1:8545") == "http://10.0.0.1:8545"


def test_resolve_rpc_url__local_foundry_choice__ape_config_host(tmp_path, monkeypatch):
    monkeypatch.delenv("APE_FOUNDRY_HOST", raising=False)
    cfg = tmp_path / "ape-config.yaml"
    cfg.write_text("foundry:\n  host: http://127.0.0.1:9999\n")
    assert resolve_rpc_url("ethereum:local:foundry", cfg) == "http://127.0.0.1:9999"
    assert resolve_rpc_url("ethereum:local", tmp_path / "none.yaml") == "http://127.0.0.1:8545"


def test_resolve_rpc_url__ape_foundry_host_env__wins_over_the_config(tmp_path, monkeypatch):
    # operator trial point 3: one setting points every tool at a node on another port
    cfg = tmp_path / "ape-config.yaml"
    cfg.write_text("foundry:\n  host: http://127.0.0.1:9999\n")
    monkeypatch.setenv("APE_FOUNDRY_HOST", "http://127.0.0.1:23545")
    assert resolve_rpc_url("ethereum:local:foundry", cfg) == "http://127.0.0.1:23545"
    assert resolve_rpc_url("http://10.0.0.1:8545", cfg) == "http://10.0.0.1:8545"


def test_resolve_rpc_url__garbage__config_error():
    with pytest.raises(ConfigError, match="RPC URL"):
        resolve_rpc_url("not-a-network")


# ------------------------------------------------------------------ accounts


def test_load_signer__test_account_on_anvil__ape_test_account_address():
    signer = load_signer("TEST::0", 31_337)
    assert signer is not None
    assert signer.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil/Ape account 0


def test_load_signer__test_account_on_mainnet__refused():
    with pytest.raises(ConfigError, match="only on chain id 31337/1337"):
        load_signer("TEST::0", 1)


def test_load_signer__keystore_with_password_file__decrypts(tmp_path):
    keystore = Account.encrypt(KEEPER_KEY, "pw", kdf="pbkdf2", iterations=100)
    (tmp_path / "k.json").write_text(json.dumps(keystore))
    (tmp_path / "pw").write_text("pw\n")
    signer = load_signer(str(tmp_path / "k.json"), 1, tmp_path / "pw")
    assert signer is not None and signer.address == Account.from_key(KEEPER_KEY).address


def test_load_signer__keystore_wrong_password__config_error(tmp_path, monkeypatch):
    keystore = Account.encrypt(KEEPER_KEY, "pw", kdf="pbkdf2", iterations=100)
    (tmp_path / "k.json").write_text(json.dumps(keystore))
    monkeypatch.setenv("KEEPER_KEYSTORE_PASSWORD", "nope")
    with pytest.raises(ConfigError, match="wrong password"):
        load_signer(str(tmp_path / "k.json"), 1)


def test_read_password__nothing_given__config_error_names_the_variable(monkeypatch):
    monkeypatch.delenv("KEEPER_KEYSTORE_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="KEEPER_KEYSTORE_PASSWORD"):
        read_password(None)


def test_load_signer__no_account__none():
    assert load_signer(None, 1) is None


def test_load_signer__test_account_beyond_the_nodes__refused():
    # operator trial point 9: TEST::99 was accepted, an unfunded signer
    assert load_signer("TEST::9", 31_337) is not None  # ape-config: 10 test accounts
    with pytest.raises(ConfigError, match=r"TEST::0 to TEST::9 \(test.number_of_accounts"):
        load_signer("TEST::10", 31_337)


def test_load_signer__ape_alias__its_keystore_decrypted(tmp_path, monkeypatch):
    # operator trial point 9: an Ape alias gave a misleading keystore-password error
    keystore = Account.encrypt(KEEPER_KEY, "pw", kdf="pbkdf2", iterations=100)
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "liquidator.json").write_text(json.dumps(keystore))
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    monkeypatch.setenv("KEEPER_KEYSTORE_PASSWORD", "pw")
    signer = load_signer("liquidator", 1)
    assert signer is not None and signer.address == Account.from_key(KEEPER_KEY).address


def test_load_signer__neither_file_nor_alias__says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    monkeypatch.setenv("KEEPER_KEYSTORE_PASSWORD", "pw")
    with pytest.raises(ConfigError, match="no keystore file of that name and no Ape account"):
        load_signer("liquidatr", 1)


# ------------------------------------------------------------------ the loop


class FlakyKeeper:
    """A keeper whose node fails ``failures`` times, then answers with a rising head."""

    def __init__(self, failures: int):
        self.failures = failures
        self.head = 10
        self.scans = 0
        self.metrics = SimpleNamespace(positions_indexed=0, candidates=0, confirmed=0, settleable=0)
        self.chain = SimpleNamespace(
            block_number=self._block_number, chain_id=lambda: 31_337, block_hash=lambda n: "0xg"
        )

    def _block_number(self) -> int:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection refused")
        self.head += 1
        return self.head

    def scan(self):
        self.scans += 1
        return SimpleNamespace(block=self.head, seconds=0.001)


def test_service_run__node_down_then_back__backs_off_and_recovers(caplog):
    keeper = FlakyKeeper(failures=3)
    service = Service(keeper, poll_interval_s=0.0, backoff_base_s=0.001, backoff_max_s=0.002)
    with caplog.at_level("INFO", logger="keeper.service"):
        scans = service.run(max_scans=2)
    assert scans == 2 and keeper.scans == 2
    events = [r.getMessage() for r in caplog.records]
    assert events.count("scan_failed") == 3
    assert "recovered" in events
    assert service.failures == 0


def test_service_step__same_head__no_second_scan():
    keeper = FlakyKeeper(failures=0)
    keeper.chain.block_number = lambda: 5
    service = Service(keeper)
    assert service.step() is True
    assert service.step() is False
    assert keeper.scans == 1


def test_service_run__idle_chain__max_scans_counts_idle_polls_and_exits():
    keeper = FlakyKeeper(failures=0)
    keeper.chain.block_number = lambda: 5  # the head never moves
    service = Service(keeper, poll_interval_s=0.0)
    done = threading.Event()
    result = {}

    def _run():
        result["scans"] = service.run(max_scans=3)
        done.set()

    threading.Thread(target=_run, daemon=True).start()
    assert done.wait(5), "run(max_scans=3) did not return on an idle chain"
    service.stop.set()
    assert result["scans"] == 1 and keeper.scans == 1
    assert service.polls == 3


class ReplacedChainKeeper(FlakyKeeper):
    """Indexed to block 149 of one chain; then the node is replaced by ``new`` chain."""

    def __init__(self, new: dict):
        super().__init__(failures=0)
        self.index = SimpleNamespace(block=149)
        self.new = new
        self.calls = 0
        self.chain = SimpleNamespace(
            block_number=self._head, chain_id=self._chain_id, block_hash=self._genesis
        )

    def _replaced(self) -> bool:
        return self.calls > 2  # two good polls, then the new node answers

    def _head(self) -> int:
        self.calls += 1
        if self.calls == 3 and self.new.get("outage"):
            raise ConnectionError("connection refused")
        return self.new.get("head", 160) if self._replaced() else 150 + self.calls

    def _chain_id(self) -> int:
        return self.new.get("chain_id", 31_337) if self._replaced() else 31_337

    def _genesis(self, number: int) -> str:
        return self.new.get("genesis", "0xg") if self._replaced() else "0xg"


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ({"head": 1, "genesis": "0xother"}, "genesis block changed; head 1 is below the indexed"),
        ({"head": 3}, "(head 3 is below the indexed block 149)"),
        ({"chain_id": 1, "outage": True}, "(chain id 31337 is now 1)"),
        ({"genesis": "0xother", "outage": True}, "(its genesis block changed)"),
    ],
)  # fmt: skip
def test_service_run__node_replaced_by_another_chain__chain_replaced_in_one_line(new, reason):
    keeper = ReplacedChainKeeper(new)
    service = Service(keeper, poll_interval_s=0.0, backoff_base_s=0.001)
    with pytest.raises(ChainReplaced) as info:
        service.run(max_scans=50)
    message = str(info.value)
    assert "\n" not in message and reason in message
    assert message.startswith("the node is no longer the chain this keeper indexed")
    assert keeper.scans == 2  # nothing scanned on the new chain


def test_service_run__same_chain_after_an_outage__keeps_scanning():
    keeper = ReplacedChainKeeper({"outage": True})  # the same chain answers again
    service = Service(keeper, poll_interval_s=0.0, backoff_base_s=0.001)
    assert service.run(max_scans=4) == 3
    assert service.identity == (31_337, "0xg")


def test_keeper_config__metrics_port_out_of_range__config_error():
    with pytest.raises(ValueError, match="metrics_port 99999 is not a port"):
        KeeperConfig(metrics_port=99_999)


@pytest.mark.parametrize(
    "argv",
    [
        [KEEPER_BIN, "run", "--network", "x", "--deployment", "d", "--metrics-port", "99999"],
        [ORACLE_BIN, "push", "--config", "c.yaml", "--metrics-port", "99999"],
        [ORACLE_BIN, "push", "--config", "c.yaml", "--metrics-port", "-1"],
    ],
)
def test_cli__invalid_metrics_port__one_line_and_exit_2(argv):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Invalid value for '--metrics-port'" in lines[0], result.stderr
    assert lines[0].split(":")[0] in ("keeper", "oracle") and "is not in the range" in lines[0]


# ------------------------------------------------------------------ the bot


class RecordingBot:
    """Records what a SilverbackBot would register."""

    def __init__(self):
        self.startup = []
        self.blocks = []

    def on_startup(self):
        return lambda fn: self.startup.append(fn) or fn

    def on_(self, container):
        return lambda fn: self.blocks.append((container, fn)) or fn


def _bot_tasks(signer):
    """The bot's tasks over a fake opened service with `signer`; returns (tasks, keeper)."""
    keeper = FlakyKeeper(failures=0)
    keeper.index = SimpleNamespace(block=41)
    config = KeeperConfig(clearing_house=ADDRESS_CH, registry=ADDRESS_REGISTRY,
                          view=ADDRESS_VIEW, oracle=ADDRESS_ORACLE)  # fmt: skip
    opened = SimpleNamespace(
        service=SimpleNamespace(keeper=keeper), config=config, signer_address=signer
    )
    return keeper_bot.KeeperTasks(lambda: opened), keeper


def test_bot_wire__startup_and_block_handlers__scan_the_keeper():
    tasks, keeper = _bot_tasks("0xabc")
    fake, blocks = RecordingBot(), object()

    keeper_bot.wire(fake, blocks, tasks)

    (startup,) = fake.startup
    ((container, on_block),) = fake.blocks
    assert container is blocks
    # numbers only: Silverback turns every returned value into a scalar metric
    assert startup(None) == {"index_block": 41, "dry_run": False}
    figures = on_block({"number": 12})
    assert keeper.scans == 1 and figures["block"] == keeper.head


def test_bot_startup__no_account__warns_it_is_a_dry_run(caplog):
    # operator trial point 8: the bot ran as a dry run without saying so
    with caplog.at_level("INFO", logger="keeper.bot"):
        _bot_tasks(None)[0].startup()
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "dry run: KEEPER_ACCOUNT is not set" in warnings[0].getMessage()
    started = [r for r in caplog.records if r.getMessage() == "started"]
    assert started and started[0].signer is None


def test_bot_startup__with_account__no_dry_run_warning(caplog):
    with caplog.at_level("INFO", logger="keeper.bot"):
        _bot_tasks("0xabc")[0].startup()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_bot_opener__keeper_loggers_at_info_on_stderr(monkeypatch, capsys):
    # operator trial point 8: under Silverback the keeper's "submitted" lines were invisible
    import logging

    monkeypatch.setattr(keeper_bot, "open_service", lambda *a, **k: "opened")
    keeper_bot.opener_from_env(lambda: "http://node:8545", {"KEEPER_LOG_LEVEL": "info"})()
    logging.getLogger("keeper.sender").info("submitted", extra={"tx_hash": "0x01"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert json.loads(line)["event"] == "submitted" and json.loads(line)["tx_hash"] == "0x01"


def test_bot_opener_from_env__reads_keeper_variables(tmp_path, monkeypatch):
    seen = {}

    def fake_open_service(network, deployment, account, password_file, config, ape_config):
        seen.update(network=network, deployment=deployment, account=account,
                    password_file=password_file, shards=config.shards)  # fmt: skip
        return "opened"

    monkeypatch.setattr(keeper_bot, "open_service", fake_open_service)
    cfg = tmp_path / "k.yaml"
    cfg.write_text("shards: 3\nshard: 2\n")
    env = {"KEEPER_DEPLOYMENT": "d.json", "KEEPER_ACCOUNT": "TEST::4", "KEEPER_CONFIG": str(cfg)}
    assert keeper_bot.opener_from_env(lambda: "http://node:8545", env)() == "opened"
    assert seen == {"network": "http://node:8545", "deployment": "d.json",
                    "account": "TEST::4", "password_file": None, "shards": 3}  # fmt: skip


def test_bot_module__import__connects_nowhere():
    assert keeper_bot._BOT is None
    with pytest.raises(AttributeError):
        keeper_bot.not_a_thing  # noqa: B018


def test_bot_wire__real_silverback_bot__registers_startup_and_new_block_tasks():
    """Against Silverback 0.7.38 itself, on Ape's in-process test chain (no node)."""
    script = (
        "from silverback import SilverbackBot\n"
        "from keeper.bot import KeeperTasks, wire\n"
        "bot = SilverbackBot()\n"
        "from ape import chain\n"
        "wire(bot, chain.blocks, KeeperTasks(lambda: None))\n"
        "print(sorted((str(k), [t.name for t in v]) for k, v in bot.tasks.items() if v))\n"
    )
    env = {**os.environ, "SILVERBACK_NETWORK_CHOICE": "ethereum:local:test"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert "'user:startup', ['keeper_startup']" in last
    assert "'user:new-block', ['keeper_scan']" in last


def test_bench_section__discovered_and_rows_show_every_required_figure():
    from ringfence import bench
    from ringfence.bench import keeper as section

    assert bench.discover()["keeper"] is section
    result = {
        "positions": 10_000, "unhealthy_at_crash": 485, "scan_ms_median": 279.4,
        "crash_scan_ms": 589.8, "update_to_last_liquidation_submitted_s": 0.56,
        "blocks_to_all_liquidated": 1, "healthy_touched": 0, "unhealthy_left": 0,
        "seed_s": 34.6, "index_s": 3.9,
    }  # fmt: skip
    table = dict(section.rows(result))
    assert table["positions (vaults on anvil)"] == "10,000"
    assert table["blocks to all liquidated"] == "1"
    assert table["healthy touched"] == "0" and table["unhealthy left"] == "0"
    assert table["scan per block, median"] == "279.4 ms"
