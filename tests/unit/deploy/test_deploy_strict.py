"""A deploy parameter file is strict: typos and out-of-range values fail in one line,
before anything is sent (parse for the static bounds, plan for the chain's clock)."""

import copy

import pytest
import yaml

from ringfence import deployer
from ringfence.deploy_config import RISK_LIMITS, WAD, ConfigError, human, parse
from ringfence.paths import ROOT

NOW = 1_795_402_800  # 2026-11-24 03:00:00 UTC
DEPLOYER = "0x" + "f3" * 20
ROLES = {"guardian": "0x" + "99" * 20, "oracle_signer": "0x" + "97" * 20, "lp": "0x" + "70" * 20}
LOCAL = yaml.safe_load((ROOT / "deploy" / "local.yaml").read_text())


def _local() -> dict:
    return copy.deepcopy(LOCAL)


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse(data)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("path", "typo", "meant"),
    [
        ((), "bogus_key", None),
        ((), "max_utilisaton", "max_utilisation"),
        (("token",), "decimal", "decimals"),
        (("oracle",), "quorom", "quorum"),
        (("oracle", "feeds", 0), "max_agee", "max_age"),
        (("risk", "ETH"), "spot_shok", "spot_shock"),
        (("series", 0), "oi_cpa", "oi_cap"),
        (("pool",), "nmae", "name"),
        (("local",), "role", "roles"),
    ],
)
def test_parse__unknown_key_anywhere__one_line_naming_it_with_a_suggestion(path, typo, meant):
    data = _local()
    section = data
    for step in path:
        section = section[step]
    section[typo] = 1
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    name = f"{where}.{typo}" if where else typo
    hint = f" (did you mean {meant!r}?)" if meant else ""
    assert _error(data) == f"{name}: unknown key{hint}"


def test_parse__risk_for_a_symbol_without_feed__suggests_the_feed():
    data = _local()
    data["risk"]["ETHH"] = data["risk"]["ETH"]
    assert _error(data) == "risk.ETHH: not an oracle feed (did you mean 'ETH'?)"


def test_parse__typo_of_a_required_risk_key__reported_as_the_typo_not_as_missing():
    data = _local()
    data["risk"]["ETH"]["spot_shok"] = data["risk"]["ETH"].pop("spot_shock")
    assert "spot_shok: unknown key (did you mean 'spot_shock'?)" in _error(data)


def test_parse__liquidation_deposit__still_the_key_for_the_deposit():
    config = parse(_local())
    assert config.liquidation_deposit == 5 * 10**6  # 5 tokens of 6 decimals


@pytest.mark.parametrize("name", sorted(RISK_LIMITS))
def test_parse__each_risk_limit__inclusive_edges_pass_one_step_outside_fails(name):
    low, high = RISK_LIMITS[name]
    seconds = name == "horizon"
    step = 1 if seconds else 10**12
    for ok in (low, high):
        data = _local()
        data["risk"]["ETH"][name] = ok if seconds else human(ok)
        if seconds and ok == 0:
            continue
        assert parse(data).risk["ETH"].as_tuple()[list(RISK_LIMITS).index(name)] == ok
    for bad in (low - step, high + step):
        if bad < 0 and name != "rate":
            continue  # negative: refused as negative before the range check
        data = _local()
        data["risk"]["ETH"][name] = bad if seconds else human(bad)
        assert _error(data).startswith(f"risk.ETH.{name}: {human(bad, seconds)} is outside")


def test_parse__im_factor_half__outside_the_contract_range():
    data = _local()
    data["risk"]["ETH"]["im_factor"] = 0.5
    assert _error(data) == "risk.ETH.im_factor: 0.5 is outside the contract's range [1.05, 3]"


def test_parse__risk_value_finer_than_ppm__refused():
    data = _local()
    data["risk"]["ETH"]["spot_shock"] = "0.0600001"
    assert "finer than the contract's 0.000001" in _error(data)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max_age", 59, "max_age: 59 is outside the contract's range [60, 86400]"),
        ("max_age", 86_401, "is outside"),
        ("max_age", "soon", "max_age: expected a whole number"),
        ("spot_cap_bps", 0, "spot_cap_bps: 0 is outside the contract's range [1, 10000]"),
        ("vol_cap", 6, "vol_cap: 6 is outside the contract's range [0.001, 5]"),
        ("initial_spot", 0, "initial_spot: 0 is outside"),
        ("initial_vol", 11, "initial_vol: 11 is outside"),
        ("description", "x" * 65, "longer than the contract's 64 bytes"),
    ],
)
def test_parse__feed_out_of_oracle_limits__refused(key, value, expected):
    data = _local()
    data["oracle"]["feeds"][0][key] = value
    message = _error(data)
    assert message.startswith("oracle.feeds[0]") and expected in message


def _set(*path):
    """An edit of the document: ``_set("oracle", "quorum", 2)`` sets data.oracle.quorum."""

    def edit(data):
        for step in path[:-2]:
            data = data[step]
        data[path[-2]] = path[-1]

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set("max_utilisation", 0), "max_utilisation: 0 is outside the contract's range [0.0"),
        (_set("max_utilisation", 21), "max_utilisation: 21 is outside"),
        (_set("liquidation_deposit", 2**93), "liquidation_deposit: above the clearing house's"),
        (_set("oracle", "quorum", 2), "oracle.quorum: 2 is outside [1, 1 signers]"),
        (_set("oracle", "signers", ["a", "a"]), "oracle.signers: a signer is listed twice"),
        (_set("oracle", "signers", [f"s{i}" for i in range(17)]), "the Oracle takes at most 16"),
        (_set("oracle", "feeds", [LOCAL["oracle"]["feeds"][0]] * 2), "feeds[1].underlying: ETH"),
        (_set("pool", "symbol", "TOOLONG"), "pool.symbol: 'TOOLONG' is longer than the contract's"),
        (_set("token", "name", "N" * 26), "token.name:"),
        (_set("token", "address", "0x1234"), "token.address: '0x1234' is not"),
        (_set("series", 0, "strikes", [3000, 3000]), "series[0].strikes: a strike is listed twice"),
        (_set("series", 0, "strikes", [0]), "series[0].strikes: 0 is outside"),
        (_set("local", "pool_seed", 2_000_000), "local.pool_seed: more than the lp role is funded"),
    ],
)
def test_parse__other_contract_limits__refused(edit, expected):
    data = _local()
    edit(data)
    assert expected in _error(data)


def _plan(data: dict, network: str = "local", now: int = NOW, roles=None):
    return deployer.plan(
        parse(data), network, 31_337, now, DEPLOYER, ROLES if roles is None else roles
    )


def test_plan__shipped_local_file__resolves_roles_expiries_and_16_series():
    plan = _plan(_local())
    assert plan.signers == [ROLES["oracle_signer"]] and plan.guardian == ROLES["guardian"]
    assert len(plan.expiries["ETH"]) == 3 and len(plan.series) == 16
    assert all(expiry > NOW for expiry in plan.expiries["ETH"])
    steps = "\n".join(plan.steps())
    assert "im_factor 1.25" in steps and "16 series" in steps and "deploy MockToken" in steps


def test_plan__expiry_in_the_past__refused_before_sending():
    data = _local()
    data["oracle"]["feeds"][0]["expiries"] = [NOW - 1]
    with pytest.raises(ConfigError, match=r"^oracle\.feeds\[0\]\.expiries: .* not in the future"):
        _plan(data)


def test_plan__too_many_expiries__refused():
    data = _local()
    data["oracle"]["feeds"][0]["expiries"] = [f"+{n}d" for n in range(1, 18)]
    with pytest.raises(ConfigError, match="17 expiries, the Oracle takes 16"):
        _plan(data)


def test_plan__series_expiry_not_listed_on_the_oracle__refused():
    data = _local()
    data["series"][0]["expiry"] = "+21d"
    with pytest.raises(
        ConfigError, match=r"^series\[0\]\.expiry: '\+21d' .* not among the expiries"
    ):
        _plan(data)


def test_plan__same_series_in_two_groups__refused():
    data = _local()
    data["series"].append(dict(data["series"][0]))
    with pytest.raises(ConfigError, match=r"^series\[2\]: the 2400 call of .* is listed twice"):
        _plan(data)


def test_plan__unknown_role__suggests_the_close_one():
    data = _local()
    data["guardian"] = "guardain"
    with pytest.raises(
        ConfigError, match=r"^guardian: unknown account 'guardain' \(did you mean 'guardian'\?\)"
    ):
        _plan(data)


def test_plan__non_local_network_without_token_address__refused():
    with pytest.raises(ConfigError, match="token.address: required on non-local networks"):
        _plan(_local(), network="sepolia", roles={})


def test_plan__sepolia_file__valid_on_its_network_before_its_expiries():
    data = yaml.safe_load((ROOT / "deploy" / "sepolia.yaml").read_text())
    plan = _plan(data, network="sepolia", roles={})
    assert len(plan.signers) == 2 and not plan.local
    assert plan.series and plan.series[0][1] % WAD == 0
