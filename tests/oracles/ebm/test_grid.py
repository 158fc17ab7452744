"""The grid distribution's exact quantities against integrals and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import norm

from gridmarket.oracles.ebm import grid as G

GRID = G.ReturnGrid(-100.0, 200.0, 300)


def _random_logm(n: int, seed: int, grid: G.ReturnGrid = GRID) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    energy = 3.0 * torch.randn(n, grid.n_bins, generator=gen, dtype=torch.float64)
    return G.log_mass(energy)


def _gaussian_logm(grid: G.ReturnGrid, mu: np.ndarray, sd: np.ndarray) -> torch.Tensor:
    edges = grid.edges().numpy()
    cdf = norm.cdf((edges[None, :] - mu[:, None]) / sd[:, None])
    mass = np.diff(cdf, axis=1)
    return torch.log(torch.as_tensor(mass / mass.sum(axis=1, keepdims=True)))


def test_density_integrates_to_one():
    logm = _random_logm(4, seed=1)
    # 20 midpoints per bin: the piecewise-constant density integrates exactly.
    z = torch.linspace(GRID.low, GRID.high, 20 * GRID.n_bins + 1, dtype=torch.float64)
    mids = 0.5 * (z[1:] + z[:-1])
    dz = float(z[1] - z[0])
    for row in range(4):
        dens = G.log_density(
            GRID, logm[row : row + 1].expand(mids.numel(), -1), mids
        ).exp()
        assert float(dens.sum() * dz) == pytest.approx(1.0, abs=1e-9)
    outside = torch.tensor([-150.0, 250.0], dtype=torch.float64)
    assert torch.isneginf(G.log_density(GRID, logm[:2], outside)).all()


def test_cdf_and_quantiles_are_monotone_and_inverse():
    logm = _random_logm(3, seed=2)
    ys = torch.linspace(-120.0, 220.0, 701, dtype=torch.float64)
    for row in range(3):
        f = G.cdf(GRID, logm[row : row + 1].expand(ys.numel(), -1), ys)
        assert (torch.diff(f) >= 0).all()
        assert float(f[0]) == 0.0 and float(f[-1]) == 1.0
    levels = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)
    q = G.quantiles(GRID, logm, levels)
    assert (torch.diff(q, dim=1) > 0).all()
    back = G.cdf(GRID, logm.repeat_interleave(99, 0), q.reshape(-1)).reshape(3, 99)
    assert torch.allclose(back, levels.expand(3, -1), atol=1e-9)


def test_crps_matches_gaussian_closed_form_and_numeric_integral():
    fine = G.ReturnGrid(-100.0, 200.0, 6000)
    mu, sd = np.array([3.0, -10.0, 8.0]), np.array([7.0, 15.0, 16.0])
    y = np.array([0.0, -40.0, 60.0])
    crps = G.crps(fine, _gaussian_logm(fine, mu, sd), torch.as_tensor(y)).numpy()
    z = (y - mu) / sd
    closed = sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    np.testing.assert_allclose(crps, closed, rtol=1e-4)
    # Arbitrary masses, y inside and outside the grid: brute-force integral of (F-H)^2.
    logm = _random_logm(1, seed=3)
    zs = torch.linspace(-300.0, 400.0, 140_001, dtype=torch.float64)
    f = G.cdf(GRID, logm.expand(zs.numel(), -1), zs)
    for yv in (-130.0, -12.3, 57.05, 260.0):
        brute = float(((f - (zs >= yv).double()) ** 2).sum() * (zs[1] - zs[0]))
        exact = float(G.crps(GRID, logm, torch.tensor([yv], dtype=torch.float64)))
        assert exact == pytest.approx(brute, rel=1e-3)


def test_tail_probability_and_expected_shortfall_of_a_gaussian():
    fine = G.ReturnGrid(-100.0, 200.0, 6000)
    mu, sd = np.array([5.0, -5.0]), np.array([10.0, 20.0])
    logm = _gaussian_logm(fine, mu, sd)
    tail = G.tail_probability(fine, logm, -20.0).numpy()
    np.testing.assert_allclose(tail, norm.cdf((-20.0 - mu) / sd), rtol=1e-4)
    es = G.expected_shortfall(fine, logm, 0.05).numpy()
    closed = mu - sd * norm.pdf(norm.ppf(0.05)) / 0.05
    np.testing.assert_allclose(es, closed, rtol=1e-3)
    np.testing.assert_allclose(G.mean(fine, logm).numpy(), mu, atol=1e-3)


def test_bad_grid_and_alpha_are_refused():
    with pytest.raises(ValueError, match="low < high"):
        G.ReturnGrid(10.0, -10.0, 50)
    with pytest.raises(ValueError, match="n_bins"):
        G.ReturnGrid(-10.0, 10.0, 1)
    with pytest.raises(ValueError, match="alpha"):
        G.expected_shortfall(GRID, _random_logm(1, 0), 1.5)
