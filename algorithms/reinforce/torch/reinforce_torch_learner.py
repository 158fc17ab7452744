"""Torch REINFORCE learner on TB's trajectory batches."""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.utils.annotations import override
from ray.rllib.utils.typing import ModuleID

from gridmarket.algorithms.reinforce.losses import REINFORCE_LOSS_KEY, reinforce_loss
from gridmarket.algorithms.tb.torch.tb_rl_module import LOG_PF
from gridmarket.algorithms.tb.torch.tb_torch_learner import TBTorchLearner
from gridmarket.algorithms.tb.trajectories import LOG_REWARD


class ReinforceTorchLearner(TBTorchLearner):
    """Maximizes E[log R(x)] with the REINFORCE gradient; log Z and P_B idle."""

    @override(TBTorchLearner)
    def compute_loss_for_module(
        self,
        *,
        module_id: ModuleID,
        config: Any,
        batch: dict[str, Any],
        fwd_out: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        returns = batch[LOG_REWARD].float()  # [B]
        loss = reinforce_loss(fwd_out[LOG_PF], returns)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite REINFORCE loss {loss.item()}")
        self.metrics.log_value((module_id, REINFORCE_LOSS_KEY), loss.detach(), window=1)
        return loss
