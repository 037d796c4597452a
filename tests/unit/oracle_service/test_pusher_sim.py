"""The seeded simulator: reproducible, regime-switching, jumping, always a valid smile."""

import math

import numpy as np
import pytest

from oracle.errors import ConfigError
from oracle.sources.sim import SimParams, SimSource

NOW = 1_700_000_000
EXPIRIES = [NOW + 7 * 86_400, NOW + 30 * 86_400]


def path(params: SimParams, steps: int = 200) -> list[float]:
    src = SimSource("ETH", params)
    return [src.fetch(NOW + i, EXPIRIES).spot for i in range(steps)]


def test_fetch__same_seed__same_path():
    assert path(SimParams(seed=42)) == path(SimParams(seed=42))


def test_fetch__different_seed__different_path():
    assert path(SimParams(seed=1)) != path(SimParams(seed=2))


def test_fetch__no_jumps__log_returns_match_regime_vol():
    params = SimParams(seed=3, regimes=(0.8,), jump_intensity=0.0, step_seconds=3_600)
    spots = np.array(path(params, 4_000))
    returns = np.diff(np.log(spots))
    annualised = returns.std() / math.sqrt(3_600 / 31_536_000)
    assert annualised == pytest.approx(0.8, rel=0.05)


def test_fetch__jumps__fatter_tails_than_diffusion():
    base = dict(seed=5, regimes=(0.5,), step_seconds=3_600)
    calm = np.diff(np.log(path(SimParams(**base, jump_intensity=0.0), 3_000)))
    jumpy = np.diff(np.log(path(SimParams(**base, jump_intensity=500.0, jump_std=0.03), 3_000)))
    kurt = lambda r: ((r - r.mean()) ** 4).mean() / r.var() ** 2  # noqa: E731
    assert kurt(jumpy) > kurt(calm) + 1


def test_fetch__regimes__switches_and_visits_each():
    src = SimSource("ETH", SimParams(seed=9, regimes=(0.3, 1.2), switch_probability=0.1))
    seen = set()
    for i in range(300):
        src.fetch(NOW + i, EXPIRIES)
        seen.add(src.regime_vol)
    assert seen == {0.3, 1.2}


def test_fetch__every_smile__passes_contract_checks_and_atm_is_regime_vol():
    params = SimParams(seed=11, regimes=(0.6,), jump_intensity=0.0, skew=-0.7, wing=3.0)
    src = SimSource("ETH", params)
    obs = src.fetch(NOW, EXPIRIES)
    assert sorted(obs.surfaces) == EXPIRIES
    for quote in obs.surfaces.values():
        quote.svi.check()
        assert quote.atm_vol(NOW) == pytest.approx(0.6)
        assert quote.forward == pytest.approx(obs.spot)


def test_fetch__expiry_within_an_hour__no_smile():
    obs = SimSource("ETH", SimParams()).fetch(NOW, [NOW + 600, EXPIRIES[0]])
    assert list(obs.surfaces) == [EXPIRIES[0]]


def test_params__bad_values__config_error():
    with pytest.raises(ConfigError, match="skew"):
        SimSource("ETH", SimParams(skew=1.0))
    with pytest.raises(ConfigError, match="regimes"):
        SimSource("ETH", SimParams(regimes=()))
