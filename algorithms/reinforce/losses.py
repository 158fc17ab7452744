"""REINFORCE on whole trajectories, as pure torch functions (Williams 1992)."""

from __future__ import annotations

import torch

REINFORCE_LOSS_KEY = "reinforce_loss"


def leave_one_out_baseline(returns: torch.Tensor) -> torch.Tensor:  # [B] -> [B]
    """b_i = mean of the other returns in the batch (unbiased, no critic)."""
    count = returns.shape[0]
    if count < 2:
        return torch.zeros_like(returns)
    return (returns.sum() - returns) / (count - 1)


def reinforce_loss(
    log_pf: torch.Tensor,  # [B] sum_t log pi(a_t | s_t)
    returns: torch.Tensor,  # [B] trajectory return
) -> torch.Tensor:
    """-mean((G - b) * log pi(tau)) with the leave-one-out baseline, ``[]``."""
    advantages = (returns - leave_one_out_baseline(returns)).detach()  # [B]
    return -(advantages * log_pf).mean()
