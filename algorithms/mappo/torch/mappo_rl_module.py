"""The MAPPO RLModule: a shared actor, a pooled centralized critic and the value
normalizer's running moments (buffers, so weights sync and checkpoints carry them).

Batch columns, one row per world and step (``B`` rows, ``N`` banks):
``Columns.OBS`` ``[B, N, D]``, ``ALIVE`` ``[B, N]`` bool, ``POLICY_GROUP``
``[B, N]`` int (optional), and for training ``Columns.ACTIONS`` ``[B, N, A]``
(unclipped), ``Columns.ACTION_LOGP``, ``Columns.VF_PREDS`` (unnormalized),
``Columns.ADVANTAGES`` and ``Columns.VALUE_TARGETS`` (unnormalized), ``[B, N]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override

from gridmarket.algorithms.mappo.losses import merge_moments
from gridmarket.algorithms.mappo.torch.networks import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    ClippedGaussianActor,
    PooledCritic,
)

ALIVE = "alive"
POLICY_GROUP = "policy_group"
VALUE_NORM_EPS = 1e-5


class MAPPOTorchRLModule(TorchRLModule):
    """Decentralized actor (parameters shared by all banks, optionally one head per
    policy group) and a centralized, permutation-invariant critic.

    ``model_config`` keys: ``actor_hiddens`` (``[64, 64]``), ``critic_hiddens``
    (``[64, 64]``), ``critic_embed_dim`` (64), ``activation`` (``"tanh"``),
    ``init_log_std`` (-1.0, the actor's initial log std per action dimension),
    ``num_policy_groups`` (1; 2 gives core and periphery their own heads).
    """

    @override(TorchRLModule)
    def setup(self) -> None:
        config = self.model_config or {}
        if not isinstance(self.action_space, spaces.Box) or not isinstance(
            self.observation_space, spaces.Box
        ):
            raise TypeError(
                "MAPPO needs Box observation and action spaces per bank, got "
                f"{self.observation_space} and {self.action_space}"
            )
        obs_dim = int(self.observation_space.shape[-1])
        action_dim = int(self.action_space.shape[-1])
        activation = config.get("activation", "tanh")
        self.num_policy_groups = int(config.get("num_policy_groups", 1))
        low, high = self.action_space.low, self.action_space.high
        self.actor = ClippedGaussianActor(
            obs_dim,
            action_dim,
            list(config.get("actor_hiddens", [64, 64])),
            activation,
            self.num_policy_groups,
            center=float(np.mean((low + high) / 2)),
            init_log_std=float(config.get("init_log_std", -1.0)),
        )
        self.register_buffer("action_low", torch.as_tensor(low, dtype=torch.float32))
        self.register_buffer("action_high", torch.as_tensor(high, dtype=torch.float32))
        self.critic = PooledCritic(
            obs_dim,
            list(config.get("critic_hiddens", [64, 64])),
            int(config.get("critic_embed_dim", 64)),
            activation,
        )
        # Running moments of the value targets (Yu et al.: value normalization),
        # merged in float64 and stored in float32: RLlib's state conversion casts
        # float64 arrays to float32, so float32 buffers round-trip exactly.
        self.register_buffer("value_mean", torch.zeros((), dtype=torch.float32))
        self.register_buffer("value_var", torch.ones((), dtype=torch.float32))
        self.register_buffer("value_count", torch.zeros((), dtype=torch.float32))

    # ---- value normalization --------------------------------------------------------
    @torch.no_grad()
    def update_value_normalizer(self, targets: np.ndarray) -> None:
        """Fold unnormalized value targets ``[M]`` into the running moments."""
        mean, var, count = merge_moments(
            float(self.value_mean),
            float(self.value_var),
            float(self.value_count),
            targets,
        )
        self.value_mean.fill_(mean)
        self.value_var.fill_(var)
        self.value_count.fill_(count)

    def normalize_values(self, values: torch.Tensor) -> torch.Tensor:
        std = torch.sqrt(self.value_var + VALUE_NORM_EPS)
        return ((values - self.value_mean) / std).to(values.dtype)

    def denormalize_values(self, values: torch.Tensor) -> torch.Tensor:
        std = torch.sqrt(self.value_var + VALUE_NORM_EPS)
        return (values * std + self.value_mean).to(values.dtype)

    # ---- forward passes -------------------------------------------------------------
    def _group(self, batch: dict[str, Any]) -> torch.Tensor | None:
        return batch.get(POLICY_GROUP) if self.num_policy_groups > 1 else None

    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Actor only: ``Columns.ACTION_DIST_INPUTS`` ``[..., 2A]`` for any ``[..., D]``."""
        return {
            Columns.ACTION_DIST_INPUTS: self.actor(
                batch[Columns.OBS], self._group(batch)
            )
        }

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Actor and critic on ``[B, N, D]``; values in the normalized scale."""
        obs = batch[Columns.OBS]
        return {
            Columns.ACTION_DIST_INPUTS: self.actor(obs, self._group(batch)),
            Columns.VF_PREDS: self.critic(obs, batch[ALIVE].bool()),
        }

    @torch.no_grad()
    def act(
        self,
        obs: torch.Tensor,  # [W, N, D]
        alive: torch.Tensor,  # [W, N] bool
        *,
        group: torch.Tensor | None = None,  # [W, N] int
        explore: bool = True,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(u [W, N, A], log pi(u) [W, N], V [W, N] unnormalized)``; the env's
        action is :meth:`env_actions` of ``u``. Without ``explore``, ``u`` is the
        mean."""
        dist_inputs = self.actor(obs, group if self.num_policy_groups > 1 else None)
        mean, log_std = dist_inputs.chunk(2, dim=-1)
        std = torch.exp(log_std.clamp(LOG_STD_MIN, LOG_STD_MAX))
        noise = (
            torch.randn(mean.shape, generator=generator, device=mean.device)
            if explore
            else torch.zeros_like(mean)
        )
        u = mean + std * noise
        log_prob = (-0.5 * noise**2 - torch.log(std) - 0.5 * np.log(2 * np.pi)).sum(-1)
        values = self.denormalize_values(self.critic(obs, alive))
        return u, log_prob, values

    def env_actions(self, u: torch.Tensor) -> torch.Tensor:
        """The actions the env takes: ``u`` clipped to the action box."""
        return torch.minimum(torch.maximum(u, self.action_low), self.action_high)

    @torch.no_grad()
    def values(self, obs: torch.Tensor, alive: torch.Tensor) -> torch.Tensor:
        """Unnormalized values ``[W, N]`` of ``obs`` ``[W, N, D]``."""
        return self.denormalize_values(self.critic(obs, alive))
