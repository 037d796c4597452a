"""The contract adapter: MM / IM exactly as ClearingHouse.health computes them (real oracle)."""

from dataclasses import replace

import boa
import pytest

from ringfence import deploy_config
from ringfence.paths import ROOT
from ringfence.risk_table import WAD
from ringfence.tools.backtest.book import build_book
from ringfence.tools.backtest.contract_margin import ContractError, ContractMargin, to_wad
from ringfence.tools.backtest.revalue import start_values

PARAMS = ROOT / "deploy" / "local.yaml"


@pytest.fixture(scope="module")
def params():
    return deploy_config.load(PARAMS)


@pytest.fixture(scope="module")
def margin(params):
    return ContractMargin(params, "ETH")


@pytest.fixture(scope="module")
def small_book(default_config):
    from ringfence.tools.backtest.book import EXPIRY_SECONDS
    from ringfence.tools.backtest.market import build_start

    start = build_start(default_config.starts[0], default_config.model, 0.0, EXPIRY_SECONDS)
    keys = {"short_put_10d_7d", "short_iron_condor_30d", "calendar_7d_30d", "long_straddle_7d"}
    return start, [s for s in build_book(start) if s.key in keys]


def test_requirements__marks__equal_the_models_start_values(margin, small_book, model):
    start, book = small_book
    values = start_values(book, start, model)
    for strategy, req in zip(book, margin.requirements(book, start), strict=True):
        assert req.value == pytest.approx(values[strategy.key], abs=1e-9 * start.spot)
        assert 0 < req.mm <= req.im
        assert req.cost > 0  # the opening spread: the vault's equity is collateral - cost


def test_requirements__im__is_im_factor_times_mm(margin, small_book, params):
    start, book = small_book
    factor = params.risk["ETH"].im_factor
    for strategy, req in zip(book, margin.requirements(book, start), strict=True):
        if strategy.family != "long":  # all-long vaults are capped at their value
            assert req.im_wad == req.mm_wad * factor // WAD


def test_requirements__equity_at_im__opens_one_base_unit_less__reverts(margin, small_book):
    # The adapter's (IM, cost) are the contract's: collateral = IM + cost opens a vault with
    # equity at IM, one base unit less is refused. The backtest's collateral at the start is
    # MM + cost by the same accounting, so its equity is exactly MM.
    start, book = small_book
    strategy = book[0]
    (req,) = margin.requirements([strategy], start)
    proto = margin.proto
    scale = 10 ** (18 - proto.decimals)
    need = -(-(req.im_wad + req.cost_wad) // scale)  # base units, rounded up
    with margin.market([strategy], start) as listed:
        legs = [(listed.ids[leg.series], to_wad(leg.size)) for leg in strategy.legs]
        proto.fund(margin.trader, 2 * need)
        with boa.env.prank(margin.trader):
            with boa.reverts("clearing: collateral below initial margin"):
                proto.ch.open_position(legs, need - 1, need)
            pid = proto.ch.open_position(legs, need, need)
        equity, im, mm = proto.ch.health(pid)
    assert (im, mm) == (req.im_wad, req.mm_wad)
    assert 0 <= equity - im < scale


def test_contract_margin__parameters_out_of_the_contracts_bounds__contract_error(params):
    risk = replace(params.risk["ETH"], spot_shock=9 * 10**17)
    bad = replace(params, risk={"ETH": risk})
    with pytest.raises(ContractError, match="risk_params: spot_shock"):
        ContractMargin(bad, "ETH")


def test_contract_margin__unknown_underlying__contract_error(params):
    with pytest.raises(ContractError, match="no risk.BTC section"):
        ContractMargin(params, "BTC")


def test_requirements__flat_smile__same_margin_as_risk_table(params):
    # Two independent wirings of today's contracts: risk_table (oracle mock, flat vol) and
    # this adapter (real oracle, a flat raw-SVI smile pushed by signed reports).
    from ringfence.deploy_config import RiskConfig
    from ringfence.risk_table import DEFAULT_PARAMS, STRATEGIES, compute_rows
    from ringfence.tools.backtest.book import Leg, Strategy
    from ringfence.tools.backtest.market import StartState

    flat = StartState("flat", 2000.0, 0.0, (30 * 86_400,), (0.8,), (0.0,), (0.0,), 0.5, 0.8, "calm")
    margin = ContractMargin(replace(params, risk={"ETH": RiskConfig(**DEFAULT_PARAMS)}), "ETH")
    book = [
        Strategy(name, name, "pod", tuple(Leg(0, float(k), c, float(s)) for k, c, s in legs))
        for name, legs in STRATEGIES
    ]
    expected = {row["strategy"]: row for row in compute_rows()}
    for strategy, req in zip(book, margin.requirements(book, flat), strict=True):
        row = expected[strategy.key]
        assert req.mm == pytest.approx(row["rf_mm"], rel=1e-9, abs=1e-9)
        assert req.im == pytest.approx(row["rf_im"], rel=1e-9, abs=1e-9)
        assert req.value == pytest.approx(row["value"], rel=1e-9, abs=1e-9)
