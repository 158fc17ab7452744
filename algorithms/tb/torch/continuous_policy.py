"""Mixture-of-Betas forward and backward policies for continuous increment DAGs.

Env contract (GridMarket-v0 follows it): the observation is ``Box`` ``[t, x_1..x_D]``
whose ``x`` bounds are the state box, the action ``Box(step_low, step_high, (D,))``
is an increment, ``x' = x + a`` and ``t' = t + 1``, and every trajectory starts from
one fixed ``s_0``.

Each action dimension ``d`` has its own mixture of ``K`` Betas on ``(0, 1)`` with a
categorical over components (a true mixture, not an averaged Beta), mapped
affinely onto an interval with the log-Jacobian included:

- forward, with ``bounded_actions`` (default): ``a_d`` in
  ``[max(step_low, lo_d - x_d), min(step_high, hi_d - x_d)]``, so ``x + a`` never
  leaves the state box and no clipping breaks the backward density;
- backward from ``s_{t+1}``: the increment that leads back to a parent reachable
  from ``s_0`` in ``t`` steps and inside the box. The first transition has one
  parent, ``s_0``, so its backward log-probability is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.nn import functional as F

from gridmarket.algorithms.tb.config_checks import check_backward_policy
from gridmarket.algorithms.tb.losses import sum_per_trajectory
from gridmarket.algorithms.tb.torch.networks import ACTIVATIONS
from gridmarket.algorithms.tb.torch.random_variates import sample_beta

UNIT_EPS = 1e-6  # Beta samples are kept in [eps, 1 - eps]
MIN_WIDTH = 1e-4  # guards float rounding at the edge of the reachable set
MIN_CONCENTRATION, MAX_CONCENTRATION = 0.1, 100.0
SOFTPLUS_SHIFT = float(np.log(np.expm1(1.0 - MIN_CONCENTRATION)))  # raw 0 -> 1.0


def check_continuous_dag_spaces(
    observation_space: spaces.Space, action_space: spaces.Space
) -> None:
    """``TypeError`` unless the spaces follow the continuous increment contract."""
    if not isinstance(action_space, spaces.Box) or len(action_space.shape) != 1:
        raise TypeError(
            f"continuous TB needs a 1-D Box action space, got {action_space}"
        )
    dim = action_space.shape[0]
    if not isinstance(observation_space, spaces.Box) or observation_space.shape != (
        dim + 1,
    ):
        raise TypeError(
            f"continuous TB needs a Box observation [t, x_1..x_{dim}] of shape "
            f"({dim + 1},), got {observation_space}"
        )
    for name, space in (("observation", observation_space), ("action", action_space)):
        if not (np.isfinite(space.low).all() and np.isfinite(space.high).all()):
            raise TypeError(f"continuous TB needs finite {name} bounds, got {space}")


def beta_mixture_log_prob(
    logits: torch.Tensor,  # [..., K] component logits
    alpha: torch.Tensor,  # [..., K]
    beta: torch.Tensor,  # [..., K]
    unit: torch.Tensor,  # [...] points in (0, 1)
) -> torch.Tensor:
    """log sum_k pi_k Beta(unit; alpha_k, beta_k), ``[...]``."""
    u = unit.unsqueeze(-1)
    log_beta_fn = torch.lgamma(alpha) + torch.lgamma(beta) - torch.lgamma(alpha + beta)
    log_density = (
        (alpha - 1) * torch.log(u) + (beta - 1) * torch.log1p(-u) - log_beta_fn
    )
    # log sum_k softmax(logits)_k f_k = LSE(logits + log f) - LSE(logits); two
    # logsumexps are several times faster on CPU than log_softmax over small K.
    mixed = torch.logsumexp(logits + log_density, dim=-1)
    return mixed - torch.logsumexp(logits, dim=-1)


class MixtureHead(nn.Module):
    """Maps features to per-dimension mixture parameters ``(logits, alpha, beta)``."""

    def __init__(self, width: int, dim: int, components: int) -> None:
        super().__init__()
        self.dim, self.components = dim, components
        self.linear = nn.Linear(width, dim * components * 3)

    def forward(
        self, hidden: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # [..., 3, D, K]: each parameter block is contiguous (fast softmax/sigmoid).
        raw = self.linear(hidden).reshape(
            *hidden.shape[:-1], 3, self.dim, self.components
        )
        # softplus starts every Beta near Beta(1, 1), the uniform: a broad sampler.
        concentrations = torch.clamp(
            MIN_CONCENTRATION + F.softplus(raw[..., 1:, :, :] + SOFTPLUS_SHIFT),
            max=MAX_CONCENTRATION,
        )
        logits = raw[..., 0, :, :]
        return logits, concentrations[..., 0, :, :], concentrations[..., 1, :, :]


class ContinuousDAGPolicy(nn.Module):
    """Forward and (learned or uniform) backward mixture-of-Betas policies."""

    def __init__(
        self,
        observation_space: spaces.Box,
        action_space: spaces.Box,
        model_config: Mapping[str, Any],
    ) -> None:
        super().__init__()
        check_continuous_dag_spaces(observation_space, action_space)
        self.dim = int(action_space.shape[0])
        components = int(model_config.get("num_components", 15))
        hiddens = list(model_config.get("fcnet_hiddens", [256, 256]))
        activation = ACTIVATIONS[model_config.get("fcnet_activation", "relu")]
        self.backward_policy = check_backward_policy(
            model_config.get("backward_policy", "learned"), owner="model_config"
        )
        if components < 1:
            raise ValueError(f"`num_components` must be >= 1, got {components}")
        self.bounded_actions = bool(model_config.get("bounded_actions", True))
        low = torch.as_tensor(observation_space.low, dtype=torch.float32)
        high = torch.as_tensor(observation_space.high, dtype=torch.float32)
        self.register_buffer("obs_center", (high + low) / 2, persistent=False)
        self.register_buffer(
            "obs_scale", ((high - low) / 2).clamp_min(1e-6), persistent=False
        )
        self.register_buffer("state_low", low[1:], persistent=False)
        self.register_buffer("state_high", high[1:], persistent=False)
        self.register_buffer(
            "step_low",
            torch.as_tensor(action_space.low, dtype=torch.float32),
            persistent=False,
        )
        self.register_buffer(
            "step_high",
            torch.as_tensor(action_space.high, dtype=torch.float32),
            persistent=False,
        )
        layers: list[nn.Module] = []
        for width_in, width_out in zip(
            [self.dim + 1, *hiddens[:-1]], hiddens, strict=True
        ):
            layers += [nn.Linear(width_in, width_out), activation()]
        self.trunk = nn.Sequential(*layers)
        self.forward_head = MixtureHead(hiddens[-1], self.dim, components)
        self.backward_head = (
            MixtureHead(hiddens[-1], self.dim, components)
            if self.backward_policy == "learned"
            else None
        )

    def features(self, obs: torch.Tensor) -> torch.Tensor:  # [..., D+1] -> [..., H]
        return self.trunk((obs - self.obs_center) / self.obs_scale)

    def forward_interval(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Where the forward increment may go from ``x`` ``[..., D]``."""
        if not self.bounded_actions:
            return self.step_low.expand_as(x), self.step_high.expand_as(x)
        low = torch.maximum(self.step_low, self.state_low - x)
        high = torch.minimum(self.step_high, self.state_high - x)
        return low, high

    def backward_interval(
        self, x_next: torch.Tensor, x_start: torch.Tensor, parent_step: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Increments ``a`` with ``x_next - a`` a parent reachable from ``x_start``
        in ``parent_step`` steps (``[...]``) and inside the state box."""
        steps = parent_step.unsqueeze(-1).to(x_next.dtype)
        parent_low = torch.maximum(self.state_low, x_start + self.step_low * steps)
        parent_high = torch.minimum(self.state_high, x_start + self.step_high * steps)
        low = torch.maximum(self.step_low, x_next - parent_high)
        high = torch.minimum(self.step_high, x_next - parent_low)
        return low, high

    def sample_actions(
        self,
        obs: torch.Tensor,  # [W, D+1]
        *,
        epsilon: float,
        temperature: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """Increments ``[W, D]``: per dimension, a component from softmax(logits/T),
        then a Beta draw; with probability ``epsilon`` a uniform draw instead.

        Every draw comes from ``generator`` (torch's global RNG when None)."""
        logits, alpha, beta = self.forward_head(self.features(obs))  # [W, D, K]
        scaled = logits / temperature
        weights = torch.exp(scaled - scaled.amax(dim=-1, keepdim=True))
        probs = weights.reshape(-1, logits.shape[-1])  # multinomial normalizes rows
        chosen = torch.multinomial(probs, 1, generator=generator).reshape(
            logits.shape[:-1]
        )
        a = alpha.gather(-1, chosen.unsqueeze(-1)).squeeze(-1)  # [W, D]
        b = beta.gather(-1, chosen.unsqueeze(-1)).squeeze(-1)
        unit = sample_beta(a, b, generator)
        if epsilon > 0:
            explore = (
                torch.rand(unit.shape, generator=generator, device=unit.device)
                < epsilon
            )
            uniform = torch.rand(unit.shape, generator=generator, device=unit.device)
            unit = torch.where(explore, uniform, unit)
        unit = unit.clamp(UNIT_EPS, 1 - UNIT_EPS)
        low, high = self.forward_interval(obs[..., 1:])
        return low + (high - low) * unit

    def forward_log_probs(
        self, obs: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """log P_F(a | s) with the log-Jacobian of the affine map, ``[...]``."""
        return self._forward_density(self.features(obs), obs[..., 1:], actions)

    def _forward_density(
        self, features: torch.Tensor, x: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        low, high = self.forward_interval(x)
        width = (high - low).clamp_min(MIN_WIDTH)
        unit = ((actions - low) / width).clamp(UNIT_EPS, 1 - UNIT_EPS)
        logits, alpha, beta = self.forward_head(features)
        density = beta_mixture_log_prob(logits, alpha, beta, unit) - torch.log(width)
        return density.sum(-1)

    def inference_actions(self, obs: torch.Tensor) -> torch.Tensor:
        return self.sample_actions(obs, epsilon=0.0, temperature=1.0, generator=None)

    def trajectory_log_probs(
        self,
        obs: torch.Tensor,  # [N, L+1, D+1]
        actions: torch.Tensor,  # [N, L, D]
        traj_len: torch.Tensor,  # [N]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(sum_t log P_F, sum_t log P_B)`` per trajectory, each ``[N]``.

        The trunk runs once on each trajectory's states ``s_0 .. s_len``; parents
        and children of the transitions index into those features.
        """
        num, length = actions.shape[:2]
        steps = torch.arange(length + 1, device=actions.device)
        state_traj, state_step = (steps <= traj_len[:, None]).nonzero(as_tuple=True)
        features = self.features(obs[state_traj, state_step])  # [S, H]
        first_row = torch.cumsum(traj_len + 1, 0) - (traj_len + 1)  # [N]
        traj_ids, step_ids = (steps[:-1] < traj_len[:, None]).nonzero(as_tuple=True)
        parent_rows = first_row[traj_ids] + step_ids  # [M]
        taken = actions[traj_ids, step_ids]  # [M, D]
        x_parent = obs[traj_ids, step_ids, 1:]
        step_log_pf = self._forward_density(features[parent_rows], x_parent, taken)
        log_pf = sum_per_trajectory(step_log_pf, traj_ids, num)

        # Transitions out of s_0 have exactly one parent: log P_B = 0 there.
        later = (step_ids > 0).nonzero().squeeze(-1)  # [K]
        child_rows, taken = parent_rows[later] + 1, taken[later]
        x_child = obs[traj_ids[later], step_ids[later] + 1, 1:]
        low, high = self.backward_interval(
            x_child, obs[traj_ids[later], 0, 1:], step_ids[later]
        )
        width = (high - low).clamp_min(MIN_WIDTH)
        if self.backward_head is None:
            step_log_pb = -torch.log(width).sum(-1)
        else:
            unit = ((taken - low) / width).clamp(UNIT_EPS, 1 - UNIT_EPS)
            logits, alpha, beta = self.backward_head(features[child_rows])
            density = beta_mixture_log_prob(logits, alpha, beta, unit) - torch.log(
                width
            )
            step_log_pb = density.sum(-1)
        log_pb = sum_per_trajectory(step_log_pb, traj_ids[later], num)
        return log_pf, log_pb
