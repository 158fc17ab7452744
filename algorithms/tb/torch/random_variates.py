"""Gamma and Beta variates drawn from a caller's ``torch.Generator``.

``torch.distributions.Beta.sample`` draws from torch's global RNG (through a
private op), so any other code that draws from that RNG between two samples
changes the trajectories. These samplers take every uniform and normal draw from
the generator they are given, through public torch ops only, so a sampler seeded
once is reproducible whatever else runs in the process.

Gamma(a) uses Marsaglia and Tsang's (2000) squeeze-free rejection method on
Gamma(a + 1), whose acceptance probability is above 0.95 for every a > 0, and the
boost ``Gamma(a) = Gamma(a + 1) * U^(1/a)`` in log space so that small shapes do not
underflow to 0. Beta(a, b) = Ga / (Ga + Gb) is computed as a sigmoid of the log
difference for the same reason.
"""

from __future__ import annotations

import torch

CANDIDATES_PER_PASS = 4  # a pass fails for one variate with probability < 0.05**4


def log_standard_gamma(
    concentration: torch.Tensor,  # [...] shape a > 0
    generator: torch.Generator | None,
) -> torch.Tensor:
    """log of one Gamma(a, 1) variate per element, ``[...]``."""
    shape = concentration.reshape(-1)  # [n]
    if not torch.isfinite(shape).all() or (shape <= 0).any():
        raise ValueError(
            "Gamma concentrations must be finite and > 0, got values in "
            f"[{shape.min().item():.4g}, {shape.max().item():.4g}]"
        )
    d = shape + (1.0 - 1.0 / 3.0)  # Marsaglia-Tsang on a + 1 >= 1
    c = torch.rsqrt(9.0 * d)
    log_gamma = torch.empty_like(shape)
    pending = torch.arange(shape.numel(), device=shape.device)
    while pending.numel() > 0:
        dp, cp = d[pending], c[pending]  # [p]
        normal = _draw(
            torch.randn, (CANDIDATES_PER_PASS, pending.numel()), shape, generator
        )
        uniform = _draw(
            torch.rand, (CANDIDATES_PER_PASS, pending.numel()), shape, generator
        )
        v = (1.0 + cp * normal).clamp_min(0.0) ** 3  # [C, p]
        log_v = torch.log(v)  # -inf where rejected for v <= 0
        accept = (v > 0) & (
            torch.log(uniform) < 0.5 * normal**2 + dp - dp * v + dp * log_v
        )  # [C, p]
        first = accept.to(torch.int8).argmax(dim=0)  # first accepted candidate [p]
        done = accept.any(dim=0)  # [p]
        chosen_log_v = log_v.gather(0, first.unsqueeze(0)).squeeze(0)  # [p]
        rows = pending[done]
        log_gamma[rows] = torch.log(dp[done]) + chosen_log_v[done]
        pending = pending[~done]
    boost = _draw(torch.rand, (shape.numel(),), shape, generator)  # U in [0, 1)
    log_gamma = log_gamma + torch.log1p(-boost) / shape  # 1 - U in (0, 1]
    return log_gamma.reshape(concentration.shape)


def sample_beta(
    alpha: torch.Tensor,  # [...] > 0
    beta: torch.Tensor,  # [...] > 0, same shape
    generator: torch.Generator | None,
) -> torch.Tensor:
    """One Beta(alpha, beta) variate per element in (0, 1), ``[...]``."""
    if alpha.shape != beta.shape:
        raise ValueError(
            f"alpha and beta must have one shape, got {tuple(alpha.shape)} and "
            f"{tuple(beta.shape)}"
        )
    log_gammas = log_standard_gamma(torch.stack((alpha, beta)), generator)  # [2, ...]
    return torch.sigmoid(log_gammas[0] - log_gammas[1])


def _draw(
    sampler,
    size: tuple[int, ...],
    like: torch.Tensor,
    generator: torch.Generator | None,
) -> torch.Tensor:
    return sampler(size, generator=generator, dtype=like.dtype, device=like.device)
