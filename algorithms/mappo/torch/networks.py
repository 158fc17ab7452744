"""MAPPO's networks: a shared decentralized actor and a centralized critic whose
cost is linear in the number of banks.

Shapes: ``B`` rows (worlds at a step), ``N`` banks, ``D`` observation features,
``A`` action dimensions, ``H`` hidden units, ``E`` critic embedding width.
"""

from __future__ import annotations

import math

import torch
from torch import nn

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU}


def mlp(
    sizes: list[int], activation: str, *, last_activation: bool = False
) -> nn.Sequential:
    """Linear layers of ``sizes`` with ``activation`` between them."""
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
        )
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2 or last_activation:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class ClippedGaussianActor(nn.Module):
    """pi(a | o) for each bank: ``u ~ Normal(mu(o), sigma)``, the env acts on
    ``clip(u, low, high)``.

    The unclipped ``u`` is what the batch stores as the action, so PPO's ratio is a
    ratio of Normal densities. Clipping (rather than a sigmoid squash) lets a bank
    take the box's bounds exactly: "sell nothing" is ``sell = 0``, which a sigmoid
    only approaches. The mean starts at the box's centre and the std at
    ``exp(init_log_std)``. With ``num_groups > 1`` every group of banks (e.g. core
    and periphery) has its own mean head and log-std on a shared torso.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hiddens: list[int],
        activation: str,
        num_groups: int = 1,
        *,
        center: float = 0.5,
        init_log_std: float = -1.0,
    ) -> None:
        super().__init__()
        self.action_dim, self.num_groups, self.center = action_dim, num_groups, center
        self.torso = mlp([obs_dim, *hiddens], activation, last_activation=True)
        self.mean_head = nn.Linear(hiddens[-1], action_dim * num_groups)
        nn.init.orthogonal_(self.mean_head.weight, gain=0.01)
        nn.init.zeros_(self.mean_head.bias)
        self.log_std = nn.Parameter(torch.full((num_groups, action_dim), init_log_std))

    def forward(
        self,
        obs: torch.Tensor,  # [..., D]
        group: torch.Tensor | None = None,  # [...] int64 in [0, num_groups)
    ) -> torch.Tensor:
        """Distribution inputs ``[..., 2A]``: mean of ``u``, then log std."""
        means = self.mean_head(self.torso(obs)) + self.center  # [..., A * G]
        if self.num_groups == 1:
            log_std = self.log_std[0].expand_as(means)
            return torch.cat([means, log_std], dim=-1)
        group = (
            torch.zeros(obs.shape[:-1], dtype=torch.long, device=obs.device)
            if group is None
            else group.long()
        )
        means = means.unflatten(-1, (self.num_groups, self.action_dim))  # [..., G, A]
        index = group[..., None, None].expand(*group.shape, 1, self.action_dim)
        mean = means.gather(-2, index).squeeze(-2)  # [..., A]
        return torch.cat([mean, self.log_std[group]], dim=-1)


def gaussian_log_prob(
    dist_inputs: torch.Tensor,  # [..., 2A]
    u: torch.Tensor,  # [..., A] unclipped actions
) -> torch.Tensor:
    """Sum over action dimensions of log Normal(u; mean, std), ``[...]``."""
    mean, log_std = dist_inputs.chunk(2, dim=-1)
    log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
    z = (u - mean) * torch.exp(-log_std)
    return (-0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def gaussian_entropy(dist_inputs: torch.Tensor) -> torch.Tensor:
    """Entropy of the (unclipped) Normal, summed over action dimensions, ``[...]``."""
    _, log_std = dist_inputs.chunk(2, dim=-1)
    log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
    return (log_std + 0.5 * math.log(2 * math.pi * math.e)).sum(-1)


class PooledCritic(nn.Module):
    """V_i = f(o_i, mean_j phi(o_j), max_j phi(o_j)) over the alive banks j.

    Every bank is encoded by the same ``phi``; the mean and max over alive banks
    form a fixed-size, permutation-invariant summary of the system (the
    observations carry the market and infrastructure features: prices, exchange
    congestion, CCP margin and equity). The values are therefore equivariant
    under a relabeling of banks, one set of weights serves any number of banks,
    and the cost is linear in the number of banks (no N x N attention).
    """

    def __init__(
        self, obs_dim: int, hiddens: list[int], embed_dim: int, activation: str
    ) -> None:
        super().__init__()
        self.encoder = mlp(
            [obs_dim, *hiddens, embed_dim], activation, last_activation=True
        )
        self.own = mlp([obs_dim, hiddens[0]], activation, last_activation=True)
        self.head = mlp([hiddens[0] + 2 * embed_dim, *hiddens, 1], activation)

    def forward(
        self,
        obs: torch.Tensor,  # [B, N, D]
        alive: torch.Tensor,  # [B, N] bool
    ) -> torch.Tensor:
        """Values ``[B, N]`` (in the value normalizer's scale)."""
        phi = self.encoder(obs)  # [B, N, E]
        weights = alive.to(phi.dtype).unsqueeze(-1)  # [B, N, 1]
        count = weights.sum(1).clamp(min=1.0)  # [B, 1]
        pooled_mean = (phi * weights).sum(1) / count  # [B, E]
        masked = phi.masked_fill(~alive.unsqueeze(-1), torch.finfo(phi.dtype).min)
        pooled_max = masked.max(1).values  # [B, E]
        pooled_max = torch.where(alive.any(1, keepdim=True), pooled_max, 0.0)
        summary = torch.cat([pooled_mean, pooled_max], dim=-1)  # [B, 2E]
        own = self.own(obs)  # [B, N, H]
        joined = torch.cat([own, summary.unsqueeze(1).expand(-1, obs.shape[1], -1)], -1)
        return self.head(joined).squeeze(-1)  # [B, N]
