"""The trajectory-balance RLModule: a forward policy, a backward policy and log Z."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from ray.rllib.core.columns import Columns
from ray.rllib.core.distribution.torch.torch_distribution import TorchCategorical
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override
from torch import nn

from gridmarket.algorithms.tb.torch.continuous_policy import ContinuousDAGPolicy
from gridmarket.algorithms.tb.torch.discrete_policy import DiscreteDAGPolicy
from gridmarket.algorithms.tb.trajectories import TRAJ_LEN

LOG_PF = "log_pf"
LOG_PB = "log_pb"
LOG_Z = "log_z"


class TBTorchRLModule(TorchRLModule):
    """Forward policy P_F, backward policy P_B and the learned scalar log Z.

    ``model_config`` keys: ``fcnet_hiddens`` (default ``[256, 256]``),
    ``fcnet_activation`` (``"relu"``), ``backward_policy`` (``"learned"`` or
    ``"uniform"``) and ``init_log_z`` (``0.0``). All parts, log Z included, are
    module parameters, so checkpoints and DDP carry them.

    - ``_forward`` (inference/exploration) returns masked logits under
      ``Columns.ACTION_DIST_INPUTS``, so RLlib's standard runners can act with it.
    - ``_forward_train`` takes a trajectory batch (see
      :mod:`gridmarket.algorithms.tb.trajectories`) and returns per-trajectory
      ``log_pf`` and ``log_pb`` sums and ``log_z``.
    """

    @override(TorchRLModule)
    def setup(self) -> None:
        config = self.model_config or {}
        if isinstance(self.action_space, spaces.Discrete):
            self.policy = DiscreteDAGPolicy(
                self.observation_space, self.action_space, config
            )
        elif isinstance(self.action_space, spaces.Box):
            self.policy = ContinuousDAGPolicy(
                self.observation_space, self.action_space, config
            )
        else:
            raise TypeError(
                "TBTorchRLModule supports Discrete and Box action spaces, got "
                f"{self.action_space}"
            )
        init_log_z = float(config.get("init_log_z", 0.0))
        self.log_z = nn.Parameter(torch.tensor(init_log_z, dtype=torch.float32))

    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        if isinstance(self.policy, ContinuousDAGPolicy):
            # A mixture of Betas has no RLlib distribution class: hand RLlib's
            # runners the sampled actions and their log-probabilities directly.
            actions = self.policy.inference_actions(obs)
            return {
                Columns.ACTIONS: actions,
                Columns.ACTION_LOGP: self.policy.forward_log_probs(obs, actions),
            }
        return {Columns.ACTION_DIST_INPUTS: self.policy.action_dist_inputs(obs)}

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        log_pf, log_pb = self.policy.trajectory_log_probs(
            batch[Columns.OBS], batch[Columns.ACTIONS], batch[TRAJ_LEN]
        )
        return {LOG_PF: log_pf, LOG_PB: log_pb, LOG_Z: self.log_z}

    @override(TorchRLModule)
    def get_inference_action_dist_cls(self) -> type[TorchCategorical] | None:
        # Continuous policies return sampled actions from _forward instead.
        return TorchCategorical if isinstance(self.policy, DiscreteDAGPolicy) else None

    @torch.no_grad()
    def sample_actions(
        self,
        obs: dict[str, torch.Tensor],
        *,
        epsilon: float = 0.0,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Exploratory actions for a batch of states (no gradient)."""
        return self.policy.sample_actions(
            obs, epsilon=epsilon, temperature=temperature, generator=generator
        )

    @torch.no_grad()
    def forward_log_probs(
        self, obs: Any, actions: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log P_F of the learned policy (no exploration): of every action
        ``[..., A]`` for discrete envs, of ``actions`` ``[...]`` for continuous ones."""
        if actions is None:
            return self.policy.forward_log_probs(obs)
        return self.policy.forward_log_probs(obs, actions)
