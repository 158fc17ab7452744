"""Trajectory-balance loss math as pure torch functions (Malkin et al. 2022).

Shapes: ``B`` trajectories, ``M`` transitions packed across them.
"""

from __future__ import annotations

import torch


def trajectory_balance_residuals(
    log_z: torch.Tensor,  # []
    log_pf: torch.Tensor,  # [B] sum_t log P_F(s_t+1 | s_t)
    log_pb: torch.Tensor,  # [B] sum_t log P_B(s_t | s_t+1)
    log_reward: torch.Tensor,  # [B] log R(x)
) -> torch.Tensor:
    """``log Z + sum log P_F - log R(x) - sum log P_B`` per trajectory, ``[B]``."""
    return log_z + log_pf - log_reward - log_pb


def trajectory_balance_loss(
    log_z: torch.Tensor,  # []
    log_pf: torch.Tensor,  # [B]
    log_pb: torch.Tensor,  # [B]
    log_reward: torch.Tensor,  # [B]
) -> torch.Tensor:
    """Mean squared trajectory-balance residual, ``[]``."""
    residuals = trajectory_balance_residuals(log_z, log_pf, log_pb, log_reward)  # [B]
    return residuals.pow(2).mean()


def sum_per_trajectory(
    values: torch.Tensor,  # [M] one value per packed transition
    trajectory_ids: torch.Tensor,  # [M] int64 in [0, B)
    num_trajectories: int,
) -> torch.Tensor:
    """Sum packed per-transition values into per-trajectory totals, ``[B]``."""
    totals = values.new_zeros(num_trajectories)
    return totals.index_add(0, trajectory_ids, values)


def masked_log_softmax(
    logits: torch.Tensor,  # [..., A]
    mask: torch.Tensor,  # [..., A] bool, at least one True per row
) -> torch.Tensor:
    """log-softmax over the valid entries; invalid entries get a large negative."""
    masked = logits.masked_fill(~mask, torch.finfo(logits.dtype).min / 2)
    return torch.log_softmax(masked, dim=-1)
