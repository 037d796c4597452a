"""The market models: moments and jump frequency against their parameters, seeds reproduce."""

import math
from dataclasses import replace

import numpy as np
import pytest

from ringfence.tools.backtest import surface
from ringfence.tools.backtest.book import EXPIRY_SECONDS
from ringfence.tools.backtest.config import YEAR_SECONDS
from ringfence.tools.backtest.market import (
    build_start,
    loading,
    simulate,
    smile,
    stationary_stressed,
    time_grid,
)

DAY = 86_400
N = 200_000


def _quiet(model, **changes):
    """`model` with every random factor but the ones in `changes` switched off."""
    calm = replace(model.calm, vol_of_vol=0.0, jump_intensity=0.0, leave_rate=0.0)
    base = replace(
        model,
        calm=calm,
        stressed=replace(calm),
        vol_mean_reversion=0.0,
        skew_vol=0.0,
        skew_mean_reversion=0.0,
        curvature_vol=0.0,
        curvature_mean_reversion=0.0,
        vol_jump_beta=0.0,
        skew_jump_beta=0.0,
        curvature_jump_beta=0.0,
    )
    regime = {k: changes.pop(k) for k in list(changes) if hasattr(calm, k)}
    if regime:
        base = replace(base, calm=replace(base.calm, **regime))
    return replace(base, **changes)


def _calm_start(default_config, model, regime="calm"):
    params = replace(default_config.starts[0], regime=regime)
    return build_start(params, model, 0.0, EXPIRY_SECONDS)


def test_time_grid__horizons_are_points_and_steps_bounded():
    grid = time_grid((60, 3_600, DAY), 300)
    assert grid[0] == 0 and {60, 3_600, DAY} <= set(grid)
    steps = np.diff(grid)
    assert steps.max() <= 300 and steps.min() > 0
    assert len(grid) == 1 + 1 + 12 + 276


def test_simulate__same_seed__same_paths_other_seed__other_paths(default_config, model):
    start = _calm_start(default_config, model, "stationary")
    run = lambda seed: simulate(start, model, (60, DAY), 3_600, 1_000, np.random.default_rng(seed))  # noqa: E731
    a, b, c = run(7), run(7), run(8)
    for x, y in zip(a, b, strict=True):
        for field in ("spot", "d_logvol", "d_skew", "d_logwing", "stressed", "jumps"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
    assert not np.array_equal(a[-1].spot, c[-1].spot)


def test_merton__log_return_moments_and_jump_count__match_parameters(default_config, model):
    lam, mu_j, sd_j, drift = 365.0 * 2, -0.03, 0.05, 0.3  # two jumps a day on average
    m = _quiet(model, jump_intensity=lam, drift=drift, jump_mean=mu_j, jump_std=sd_j)
    start = _calm_start(default_config, m)
    sigma = m.realised_to_implied * start.ref_atm
    t = DAY / YEAR_SECONDS
    (state,) = simulate(start, m, (DAY,), 3_600, N, np.random.default_rng(1))
    r = np.log(state.spot / start.spot)
    kappa = math.exp(mu_j + sd_j**2 / 2) - 1
    mean = (drift - lam * kappa - sigma**2 / 2) * t + lam * t * mu_j
    var = sigma**2 * t + lam * t * (mu_j**2 + sd_j**2)
    assert r.mean() == pytest.approx(mean, abs=4 * math.sqrt(var / N))
    assert r.var() == pytest.approx(var, rel=4 * math.sqrt(2 / N) * 2)  # excess kurtosis slack
    assert state.jumps.mean() == pytest.approx(lam * t, abs=4 * math.sqrt(lam * t / N))
    assert state.jumps.var() == pytest.approx(lam * t, rel=0.03)  # Poisson: var = mean
    # jumps are compensated: E[S_T] = S_0 exp(drift T)
    se = state.spot.std() / math.sqrt(N)
    assert state.spot.mean() == pytest.approx(start.spot * math.exp(drift * t), abs=4 * se)


def test_vol__jumps_with_spot__negative_jump_lifts_vol_by_beta(default_config, model):
    beta = 2.0
    m = _quiet(model, jump_intensity=3650.0, vol_jump_beta=beta, realised_to_implied=0.0)
    start = _calm_start(default_config, m)
    (state,) = simulate(start, m, (3_600,), 600, 20_000, np.random.default_rng(2))
    kappa = math.exp(m.jump_mean + m.jump_std**2 / 2) - 1
    jumps = np.log(state.spot / start.spot) + 3650.0 * kappa * 3_600 / YEAR_SECONDS
    np.testing.assert_allclose(state.d_logvol, -beta * jumps, atol=1e-12)
    down = (state.jumps > 0) & (jumps < -1e-9)
    assert down.sum() > 1_000
    assert (state.d_logvol[down] > 0).all()


def test_vol__diffusion__log_vol_sd_is_vol_of_vol(default_config, model):
    m = _quiet(model, vol_of_vol=0.9)
    start = _calm_start(default_config, m)
    (state,) = simulate(start, m, (DAY,), 3_600, N, np.random.default_rng(3))
    assert state.d_logvol.std() == pytest.approx(0.9 * math.sqrt(DAY / YEAR_SECONDS), rel=0.01)
    corr = np.corrcoef(state.d_logvol, np.log(state.spot))[0, 1]
    assert corr == pytest.approx(m.spot_vol_correlation, abs=0.01)


def test_vol__mean_reversion__expected_log_vol_moves_to_target(default_config, model):
    kappa, target = 50.0, 1.0  # fast, so a day moves visibly
    m = _quiet(model, vol_mean_reversion=kappa, vol_target=target)
    start = _calm_start(default_config, m)
    (state,) = simulate(start, m, (5 * DAY,), 600, 100, np.random.default_rng(4))
    x0 = math.log(start.ref_atm)
    expected = (math.log(target) - x0) * (1 - math.exp(-kappa * 5 * DAY / YEAR_SECONDS))
    assert state.d_logvol.mean() == pytest.approx(expected, rel=1e-3)


def test_regimes__switch_probability__matches_two_state_chain(default_config, model):
    q = 36.5  # a switch every ten days on average, both ways
    m = _quiet(model, leave_rate=q)
    m = replace(m, stressed=replace(m.stressed, leave_rate=q))
    start = _calm_start(default_config, m)
    step = 6 * 3_600
    (state,) = simulate(start, m, (5 * DAY,), step, N, np.random.default_rng(5))
    # each step switches with probability s = 1 - exp(-q dt): after n steps
    # P(stressed) = (1 - (1 - 2 s)^n) / 2, which tends to (1 - exp(-2 q T)) / 2
    s = -math.expm1(-q * step / YEAR_SECONDS)
    expected = 0.5 * (1 - (1 - 2 * s) ** (5 * DAY // step))
    assert expected == pytest.approx(
        0.5 * (1 - math.exp(-2 * q * 5 * DAY / YEAR_SECONDS)), rel=0.01
    )
    assert state.stressed.mean() == pytest.approx(expected, abs=4 * math.sqrt(0.25 / N))


def test_regimes__stationary_start__stressed_share(default_config, model):
    start = _calm_start(default_config, model, "stationary")
    (state,) = simulate(start, model, (60,), 60, N, np.random.default_rng(6))
    p = stationary_stressed(model)
    assert p == pytest.approx(4.0 / 30.0)
    assert state.stressed.mean() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / N))


def test_regimes__stressed_regime__more_jumps(default_config, model):
    start = _calm_start(default_config, model, "stressed")
    (state,) = simulate(start, model, (DAY,), 3_600, N, np.random.default_rng(7))
    # the chain may leave "stressed" during the day: between the two regimes' rates
    per_day = state.jumps.mean() * YEAR_SECONDS / DAY
    assert model.calm.jump_intensity < per_day <= model.stressed.jump_intensity * 1.02
    assert per_day > 0.9 * model.stressed.jump_intensity


def test_smile__skew_and_wing_move_more_at_short_tenors(default_config, model):
    m = _quiet(model, skew_vol=1.0, curvature_vol=1.0)
    start = _calm_start(default_config, m)
    (state,) = simulate(start, m, (DAY,), 3_600, 2_000, np.random.default_rng(8))
    moves = []
    for i in range(3):
        tau, atm, rho, wing = smile(start, m, state, i)
        d_rho = np.arctanh(rho) - math.atanh(start.rho[i])
        d_wing = np.log(wing / start.wing[i])
        np.testing.assert_allclose(d_rho, loading(m, tau) * state.d_skew, atol=1e-12)
        np.testing.assert_allclose(d_wing, loading(m, tau) * state.d_logwing, atol=1e-12)
        moves.append(d_rho.std())
    assert moves[0] > moves[1] > moves[2]
    assert state.d_skew.std() == pytest.approx(math.sqrt(DAY / YEAR_SECONDS), rel=0.05)


def test_surface__start_smiles__atm_variance_and_oracle_bounds(start):
    for i in range(len(EXPIRY_SECONDS)):
        a, b, rho, m, sigma = start.svi(i)
        tau = start.tau(i)
        w0 = surface.total_variance(0.0, a, b, rho, m, sigma)
        assert w0 == pytest.approx(start.atm[i] ** 2 * tau, rel=1e-12)
        assert b >= 0 and abs(rho) < 1 and sigma > 0
        assert a + b * sigma * math.sqrt(1 - rho * rho) > 0  # no negative total variance
        assert b * (1 + abs(rho)) < 2  # Lee's wing bound


def test_surface__shape_in_standard_deviations__same_at_every_tenor():
    z = np.linspace(-2, 2, 9)
    shapes = []
    for atm, tau in ((0.6, 7 / 365), (1.3, 90 / 365)):
        svi = surface.raw_svi(atm, -0.3, 0.3, 0.5, tau)
        k = z * atm * math.sqrt(tau)
        shapes.append(surface.implied_vol(np.exp(k), 1.0, tau, svi) / atm)
    np.testing.assert_allclose(shapes[0], shapes[1], rtol=1e-12)
    expected = np.sqrt(1 + 0.3 * (-0.3 * z + np.sqrt(z * z + 0.25) - 0.5))
    np.testing.assert_allclose(shapes[0], expected, rtol=1e-12)
