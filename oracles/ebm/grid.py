"""Exact distributional quantities of a return distribution held on a grid of bins.

The EBM's predictive distribution is piecewise uniform: the return range
``[lo, hi]`` is cut into ``K`` equal bins of width ``w``; bin ``k`` carries mass
``p_k = softmax(-E(x, c_k))`` (``c_k`` its centre), spread uniformly over the bin. That
is the midpoint-rule quadrature of ``exp(-E)`` made into an honest distribution, so
every quantity below is *exact* for it, with no sampling:

- density ``p_k / w`` inside bin ``k`` (integrates to exactly 1, zero outside),
- the CDF, linear inside each bin, hence monotone and continuous,
- quantiles, by inverting that CDF,
- CRPS, ``int (F(z) - 1{z >= y})^2 dz``, integrated piece by piece (each piece is a
  quadratic),
- tail probability ``P(r < q)`` and expected shortfall ``E[r | r <= VaR_a]``.

Everything is batched torch on the leading axis: ``log_mass [N, K]``; the functions
are differentiable, so training can use any of them as a loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ReturnGrid:
    """``n_bins`` equal bins over ``[low, high]`` (returns in percent)."""

    low: float
    high: float
    n_bins: int

    def __post_init__(self) -> None:
        if not (self.low < self.high):
            raise ValueError(
                f"ReturnGrid needs low < high, got low={self.low}, high={self.high}"
            )
        if isinstance(self.n_bins, bool) or int(self.n_bins) != self.n_bins:
            raise TypeError(f"ReturnGrid `n_bins` must be an int, got {self.n_bins!r}")
        if self.n_bins < 2:
            raise ValueError(f"ReturnGrid `n_bins` must be >= 2, got {self.n_bins}")

    @property
    def width(self) -> float:
        return (self.high - self.low) / self.n_bins

    def edges(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """``[K + 1]`` bin edges."""
        return torch.linspace(self.low, self.high, self.n_bins + 1, dtype=dtype)

    def centers(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """``[K]`` bin centres: where the energy is evaluated."""
        edges = self.edges(dtype)
        return 0.5 * (edges[1:] + edges[:-1])

    def bin_index(self, y: torch.Tensor) -> torch.Tensor:
        """``[N]`` bin of each return, clamped to the grid (long)."""
        k = torch.floor((y - self.low) / self.width).long()
        return k.clamp(0, self.n_bins - 1)


def log_mass(energy: torch.Tensor) -> torch.Tensor:
    """``[N, K]`` log bin masses from energies at the bin centres (softmax of -E)."""
    return torch.log_softmax(-energy, dim=-1)


def log_density(grid: ReturnGrid, logm: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``[N]`` log density at ``y [N]`` (``-inf`` outside the grid)."""
    k = grid.bin_index(y)
    out = logm.gather(-1, k[:, None])[:, 0] - torch.log(
        torch.tensor(grid.width, dtype=logm.dtype)
    )
    inside = (y >= grid.low) & (y <= grid.high)
    return torch.where(inside, out, torch.full_like(out, -torch.inf))


def cdf_at_edges(logm: torch.Tensor) -> torch.Tensor:
    """``[N, K + 1]`` CDF at the bin edges: 0, cumulative masses, exactly 1 at the end."""
    mass = logm.exp()
    cum = torch.cumsum(mass, dim=-1)
    cum = cum / cum[:, -1:]  # remove float round-off: the last edge is exactly 1
    return torch.cat([torch.zeros_like(cum[:, :1]), cum], dim=-1)


def cdf(grid: ReturnGrid, logm: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``[N]`` CDF ``P(r <= y)`` at ``y [N]`` (linear inside a bin)."""
    edges_f = cdf_at_edges(logm)
    k = grid.bin_index(y)
    frac = ((y - grid.low) / grid.width - k).clamp(0.0, 1.0)
    left = edges_f.gather(-1, k[:, None])[:, 0]
    right = edges_f.gather(-1, (k + 1)[:, None])[:, 0]
    out = left + frac * (right - left)
    out = torch.where(y < grid.low, torch.zeros_like(out), out)
    return torch.where(y > grid.high, torch.ones_like(out), out)


def quantiles(
    grid: ReturnGrid, logm: torch.Tensor, levels: torch.Tensor
) -> torch.Tensor:
    """``[N, L]`` quantiles at ``levels [L]`` in (0, 1): the inverse of the linear CDF."""
    edges_f = cdf_at_edges(logm)  # [N, K+1]
    levels = levels.to(logm.dtype)
    target = levels.expand(logm.shape[0], -1).contiguous()
    # First edge whose CDF reaches the level; the quantile lies in the bin before it.
    j = torch.searchsorted(edges_f.contiguous(), target, right=False).clamp(
        1, grid.n_bins
    )
    left = edges_f.gather(-1, j - 1)
    right = edges_f.gather(-1, j)
    frac = ((target - left) / (right - left).clamp_min(1e-300)).clamp(0.0, 1.0)
    return grid.low + grid.width * (j - 1 + frac)


def mean(grid: ReturnGrid, logm: torch.Tensor) -> torch.Tensor:
    """``[N]`` predictive mean (bins are uniform, so their means are the centres)."""
    return (logm.exp() * grid.centers(logm.dtype)).sum(-1)


def tail_probability(
    grid: ReturnGrid, logm: torch.Tensor, threshold: float
) -> torch.Tensor:
    """``[N]`` ``P(r < threshold)``."""
    y = torch.full(logm.shape[:1], float(threshold), dtype=logm.dtype)
    return cdf(grid, logm, y)


def expected_shortfall(
    grid: ReturnGrid, logm: torch.Tensor, alpha: float
) -> torch.Tensor:
    """``[N]`` ``E[r | r <= VaR_alpha]``: the mean of the lowest ``alpha`` of mass.

    Whole bins below the VaR contribute ``p_k c_k``; the bin holding the VaR
    contributes its part below the VaR, uniform, at the mean of that part.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"expected_shortfall `alpha` must be in (0, 1), got {alpha}")
    var = quantiles(grid, logm, torch.tensor([alpha]))[:, 0]  # [N]
    edges = grid.edges(logm.dtype)
    lo_e, hi_e = edges[:-1], edges[1:]
    # Part of each bin below the VaR, as [a, b] with b = min(hi, VaR).
    b = torch.minimum(hi_e[None, :], var[:, None])
    part = ((b - lo_e[None, :]) / grid.width).clamp(0.0, 1.0)  # [N, K]
    mass_below = logm.exp() * part
    centre_below = lo_e[None, :] + 0.5 * part * grid.width
    total = (mass_below * centre_below).sum(-1)
    return total / mass_below.sum(-1).clamp_min(1e-300)


def crps(grid: ReturnGrid, logm: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``[N]`` exact CRPS ``int (F(z) - 1{z >= y})^2 dz`` of the grid distribution.

    Inside each bin ``F`` is linear; on a piece ``[a, b]`` where ``g = F - H`` runs
    linearly from ``u`` to ``v``, the integral is ``(b - a)(u^2 + uv + v^2) / 3``. The
    bin holding ``y`` is split at ``y``. Outside the grid ``F`` is 0 or 1, so a ``y``
    below it adds ``low - y`` and one above adds ``y - high``.
    """
    edges_f = cdf_at_edges(logm)  # [N, K+1]
    u, v = edges_f[:, :-1], edges_f[:, 1:]
    edges = grid.edges(logm.dtype)
    lo_e, hi_e = edges[:-1][None, :], edges[1:][None, :]
    yc = y[:, None]
    w = grid.width

    def piece(length: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return length * (a * a + a * b + b * b) / 3.0

    left_of_y = hi_e <= yc  # whole bin below y: H = 0
    right_of_y = lo_e >= yc  # whole bin above y: H = 1
    full_left = piece(torch.full_like(u, w), u, v)
    full_right = piece(torch.full_like(u, w), u - 1.0, v - 1.0)
    # The split bin: F(y) by interpolation, then [lo, y] with H=0 and [y, hi] with H=1.
    t = ((yc - lo_e) / w).clamp(0.0, 1.0)
    fy = u + t * (v - u)
    split = piece(t * w, u, fy) + piece((1.0 - t) * w, fy - 1.0, v - 1.0)
    per_bin = torch.where(
        left_of_y, full_left, torch.where(right_of_y, full_right, split)
    )
    outside = (grid.low - y).clamp_min(0.0) + (y - grid.high).clamp_min(0.0)
    return per_bin.sum(-1) + outside
