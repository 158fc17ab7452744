"""Forward and backward policies for discrete GFlowNet DAG envs.

The env contract (HyperGrid-v0 follows it): a ``Dict`` observation with
``observation`` (the state), ``action_mask`` (valid forward actions, the last one
being stop) and ``backward_mask`` (valid backward moves); the backward move that
undoes forward action ``i`` is ``i``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from gridmarket.algorithms.tb.config_checks import check_backward_policy
from gridmarket.algorithms.tb.losses import masked_log_softmax, sum_per_trajectory
from gridmarket.algorithms.tb.torch.networks import trunk

REQUIRED_KEYS = ("observation", "action_mask", "backward_mask")


def check_discrete_dag_spaces(
    observation_space: spaces.Space, action_space: spaces.Space
) -> None:
    """``TypeError`` unless the spaces follow the discrete GFlowNet env contract."""
    if not isinstance(action_space, spaces.Discrete):
        raise TypeError(
            f"discrete TB needs a Discrete action space, got {action_space}"
        )
    if not isinstance(observation_space, spaces.Dict) or any(
        k not in observation_space.spaces for k in REQUIRED_KEYS
    ):
        raise TypeError(
            "discrete TB needs a Dict observation space with keys "
            f"{list(REQUIRED_KEYS)}, got {observation_space}"
        )


class DiscreteDAGPolicy(nn.Module):
    """Shared trunk with a forward head (D+1 logits) and a backward head (D logits).

    ``backward_policy="uniform"`` replaces the backward head by the uniform
    distribution over valid parents (no parameters).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Discrete,
        model_config: Mapping[str, Any],
    ) -> None:
        super().__init__()
        check_discrete_dag_spaces(observation_space, action_space)
        hiddens = list(model_config.get("fcnet_hiddens", [256, 256]))
        activation = model_config.get("fcnet_activation", "relu")
        self.backward_policy = check_backward_policy(
            model_config.get("backward_policy", "learned"), owner="model_config"
        )
        self.trunk = trunk(observation_space["observation"], hiddens, activation)
        self.n_actions = int(action_space.n)
        self.forward_head = nn.Linear(hiddens[-1], self.n_actions)
        self.backward_head = (
            nn.Linear(hiddens[-1], self.n_actions - 1)
            if self.backward_policy == "learned"
            else None
        )

    def forward_log_probs(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """log P_F(a | s) for every action, ``[..., A]`` (masked entries ~ -inf)."""
        logits = self.forward_head(self.trunk(obs["observation"]))
        return masked_log_softmax(logits, obs["action_mask"].bool())

    def action_dist_inputs(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Masked logits for RLlib's ``TorchCategorical``, ``[..., A]``."""
        return self.forward_log_probs(obs)

    def sample_actions(
        self,
        obs: Mapping[str, torch.Tensor],
        *,
        epsilon: float,
        temperature: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """Draw from softmax(logits / T), mixed with the uniform over valid actions
        with weight ``epsilon``. ``[W]`` int64."""
        mask = obs["action_mask"].bool()  # [W, A]
        logits = self.forward_head(self.trunk(obs["observation"]))  # [W, A]
        probs = masked_log_softmax(logits / temperature, mask).exp()
        if epsilon > 0:
            uniform = mask.float() / mask.sum(-1, keepdim=True)
            probs = (1.0 - epsilon) * probs + epsilon * uniform
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

    def trajectory_log_probs(
        self,
        obs: Mapping[str, torch.Tensor],  # [N, L+1, ...] per key
        actions: torch.Tensor,  # [N, L]
        traj_len: torch.Tensor,  # [N]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(sum_t log P_F, sum_t log P_B)`` per trajectory, each ``[N]``.

        Only the valid states are pushed through the network: they are packed
        row-major, so the child of packed row ``r`` is row ``r + 1``.
        """
        num, length = actions.shape
        steps = torch.arange(length, device=actions.device)
        traj_ids, step_ids = (steps < traj_len[:, None]).nonzero(as_tuple=True)  # [M]
        hidden = self.trunk(obs["observation"][traj_ids, step_ids])  # [M, H]
        taken = actions[traj_ids, step_ids].long()  # [M]
        forward_mask = obs["action_mask"][traj_ids, step_ids].bool()  # [M, A]
        step_log_pf = masked_log_softmax(self.forward_head(hidden), forward_mask)
        step_log_pf = step_log_pf.gather(-1, taken[:, None]).squeeze(-1)  # [M]
        log_pf = sum_per_trajectory(step_log_pf, traj_ids, num)  # [N]

        # Every action but the final stop moved s_t -> s_t+1; score its undoing.
        move_rows = (step_ids < traj_len[traj_ids] - 1).nonzero().squeeze(-1)  # [K]
        child_rows = move_rows + 1
        backward_mask = obs["backward_mask"][traj_ids, step_ids][child_rows].bool()
        if self.backward_head is None:
            step_log_pb = -backward_mask.sum(-1).float().log()  # [K]
        else:
            logits = self.backward_head(hidden[child_rows])  # [K, A-1]
            step_log_pb = masked_log_softmax(logits, backward_mask)
            step_log_pb = step_log_pb.gather(-1, taken[move_rows, None]).squeeze(-1)
        log_pb = sum_per_trajectory(step_log_pb, traj_ids[move_rows], num)  # [N]
        return log_pf, log_pb
