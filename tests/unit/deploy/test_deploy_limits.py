"""The Python mirror of the contracts' limits (ringfence/deploy_config.py) against the
constants in the Vyper sources: a limit changed in a contract fails here until the deploy
check follows."""

import re

import pytest

from ringfence import deploy_config as dc
from ringfence.paths import CONTRACTS

_CONSTANT = re.compile(
    r"^(\w+): constant\((?:u?int\d+)\) = (.+?)(?=^[A-Za-z_#@]|^$|\Z)", re.M | re.S
)


def constants(relative: str) -> dict[str, int]:
    """Every integer `NAME: constant(uint256) = <expr>` of a source, evaluated."""
    source = (CONTRACTS / relative).read_text()
    out = {}
    for name, expr in _CONSTANT.findall(source):
        expr = re.sub(r"#.*", "", expr).replace("\n", " ").strip()
        if re.fullmatch(r"[\d_*+\-() ]+", expr):
            out[name] = eval(expr)  # arithmetic on literals only (checked above)
    return out


RISK = constants("lib/risk_params.vy")
ORACLE = constants("Oracle.vy")
GOVERNOR = constants("OracleGovernor.vy")


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("spot_shock", "MIN_SPOT_SHOCK", "MAX_SPOT_SHOCK"),
        ("spot_sigmas", None, "MAX_SPOT_SIGMAS"),
        ("crash_factor", "MIN_CRASH_FACTOR", "MAX_CRASH_FACTOR"),
        ("vol_up", None, "MAX_VOL_UP"),
        ("vol_down", None, "MAX_VOL_DOWN"),
        ("vol_tenor_cap", "MIN_VOL_TENOR_CAP", "MAX_VOL_TENOR_CAP"),
        ("horizon", "MIN_HORIZON", "MAX_HORIZON"),
        ("im_factor", "MIN_IM_FACTOR", "MAX_IM_FACTOR"),
        ("min_short_margin", None, "MAX_MIN_SHORT_MARGIN"),
        ("liquidation_reward", None, "MAX_LIQUIDATION_REWARD"),
        ("insurance_fee", None, "MAX_INSURANCE_FEE"),
        ("spread_vol", None, "MAX_SPREAD_VOL"),
        ("rate", "MIN_RATE", "MAX_RATE"),
        ("min_size", "MIN_MIN_SIZE", "MAX_MIN_SIZE"),
    ],
)
def test_risk_limits__match_risk_params_vy(name, low, high):
    assert dc.RISK_LIMITS[name] == (RISK[low] if low else 0, RISK[high])


def test_risk_precision__matches_ppm_unit():
    assert RISK["PPM_UNIT"] == dc.RISK_PRECISION


def test_risk_limits__cover_every_risk_parameter():
    assert set(dc.RISK_LIMITS) == set(dc.RISK_KEYS)


def test_oracle_limits__match_oracle_and_governor_vy():
    assert {
        "max_age": (GOVERNOR["MIN_MAX_AGE"], GOVERNOR["MAX_MAX_AGE"]),
        "spot_cap_bps": (GOVERNOR["MIN_SPOT_CAP_BPS"], GOVERNOR["MAX_SPOT_CAP_BPS"]),
        "vol_cap": (GOVERNOR["MIN_VOL_CAP"], GOVERNOR["MAX_VOL_CAP"]),
    } == dc.FEED_LIMITS
    for name in ("MAX_SIGNERS", "MAX_FEEDS", "MAX_EXPIRIES"):
        assert ORACLE[name] == GOVERNOR[name] == getattr(dc, name)
    assert ORACLE["MAX_PRICE"] == dc.MAX_PRICE
    assert ORACLE["MAX_ATM_VOL"] == dc.MAX_ATM_VOL
    assert 10 * constants("lib/constants.vy")["YEAR"] == dc.MAX_EXPIRY_HORIZON


def test_other_limits__match_registry_clearing_house_and_mock_token():
    assert constants("Registry.vy")["MAX_UTILISATION_LIMIT"] == dc.MAX_UTILISATION
    assert constants("lib/position_store.vy")["MAX_COLLATERAL"] == dc.MAX_DEPOSIT
    assert constants("lib/series_terms.vy")["MAX_EXPIRY"] == dc.MAX_EXPIRY
    assert constants("lib/series_terms.vy")["MAX_STRIKE"] == dc.MAX_PRICE
    assert constants("mocks/MockToken.vy")["MAX_MINT"] == dc.MAX_MINT


@pytest.mark.parametrize(
    ("source", "pattern", "limit"),
    [
        ("OracleGovernor.vy", r"description: String\[(\d+)\]", dc.MAX_DESCRIPTION),
        ("interfaces/IRingfenceOracle.vyi", r"description: String\[(\d+)\]", dc.MAX_DESCRIPTION),
        ("ChainlinkAdapter.vy", r"description: String\[(\d+)\]", dc.MAX_DESCRIPTION),
        ("LiquidityPool.vy", r"name: String\[(\d+)\]", dc.MAX_NAME),
        ("LiquidityPool.vy", r"symbol: String\[(\d+)\]", dc.MAX_SYMBOL),
        ("mocks/MockToken.vy", r"name_: String\[(\d+)\]", dc.MAX_NAME),
        ("mocks/MockToken.vy", r"symbol_: String\[(\d+)\]", dc.MAX_SYMBOL),
    ],
)
def test_string_limits__match_constructor_arguments(source, pattern, limit):
    sizes = {int(n) for n in re.findall(pattern, (CONTRACTS / source).read_text())}
    assert sizes == {limit}
