"""The generator-driven Gamma and Beta samplers against scipy's distributions."""

import numpy as np
import pytest
import torch
from scipy import stats

from gridmarket.algorithms.tb.torch.random_variates import (
    log_standard_gamma,
    sample_beta,
)

N = 20_000


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [0.1, 0.7, 1.0, 3.5, 100.0])
def test_gamma_matches_scipy(shape: float) -> None:
    concentration = torch.full((N,), shape, dtype=torch.float64)
    draws = torch.exp(log_standard_gamma(concentration, _generator(0))).numpy()
    # A fixed seed makes the p-value a fixed number: a wrong sampler fails this
    # (p < 1e-6 for a 2% error in the shape at this N), a right one passes always.
    assert stats.kstest(draws, stats.gamma(shape).cdf).pvalue > 0.01


@pytest.mark.parametrize(("a", "b"), [(0.1, 0.5), (0.5, 3.0), (2.0, 2.0), (100.0, 1.0)])
def test_beta_matches_scipy(a: float, b: float) -> None:
    alpha = torch.full((N,), a, dtype=torch.float64)
    beta = torch.full((N,), b, dtype=torch.float64)
    draws = sample_beta(alpha, beta, _generator(1)).numpy()
    assert stats.kstest(draws, stats.beta(a, b).cdf).pvalue > 0.01
    assert np.all((draws >= 0) & (draws <= 1))


def test_beta_moments_at_the_smallest_concentrations() -> None:
    # Beta(0.1, 0.1) puts about 1% of its mass within 1e-16 of 1, where float64
    # rounds to 1.0; a KS test against the exact CDF then fails for any sampler
    # (numpy's included), so check the moments: mean 1/2, variance 0.01/0.048.
    alpha = torch.full((N,), 0.1, dtype=torch.float64)
    draws = sample_beta(alpha, alpha, _generator(2)).numpy()
    assert abs(draws.mean() - 0.5) < 0.015  # 4.6 standard errors
    assert abs(draws.var() - 0.01 / 0.048) < 0.01


def test_beta_draws_only_from_the_given_generator() -> None:
    alpha = torch.tensor([[0.3, 2.0], [5.0, 40.0]])
    beta = torch.tensor([[1.5, 0.2], [5.0, 1.0]])
    first = sample_beta(alpha, beta, _generator(7))
    torch.manual_seed(123)
    torch.rand(1000)  # other code drawing from the global RNG changes nothing
    second = sample_beta(alpha, beta, _generator(7))
    other_seed = sample_beta(alpha, beta, _generator(8))
    assert torch.equal(first, second)
    assert not torch.equal(first, other_seed)


def test_rejects_non_positive_or_nan_concentration() -> None:
    with pytest.raises(ValueError, match=r"finite and > 0, got values in \[-1"):
        log_standard_gamma(torch.tensor([1.0, -1.0]), _generator(0))
    with pytest.raises(ValueError, match="finite and > 0"):
        log_standard_gamma(torch.tensor([float("nan")]), _generator(0))
    with pytest.raises(ValueError, match="one shape"):
        sample_beta(torch.ones(2), torch.ones(3), _generator(0))
