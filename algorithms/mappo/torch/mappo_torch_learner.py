"""Torch MAPPO learner: PPO's clipped loss with death masks and a normalized,
clipped value loss on the centralized critic."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.typing import ModuleID

from gridmarket.algorithms.mappo.losses import (
    clipped_value_loss,
    masked_mean,
    normalize_advantages,
    ppo_clip_loss,
)
from gridmarket.algorithms.mappo.torch.mappo_rl_module import ALIVE
from gridmarket.algorithms.mappo.torch.networks import (
    gaussian_entropy,
    gaussian_log_prob,
)

POLICY_LOSS_KEY = "policy_loss"
VF_LOSS_KEY = "vf_loss"
ENTROPY_KEY = "entropy"
ENTROPY_COEFF_KEY = "curr_entropy_coeff"
KL_KEY = "approx_kl"
CLIP_FRACTION_KEY = "clip_fraction"


class MAPPOTorchLearner(TorchLearner):
    """``loss = policy + vf_loss_coeff * value - entropy_coeff * entropy`` over the
    alive banks. The entropy coefficient follows ``config.entropy_coeff``'s schedule
    (set each iteration through :meth:`set_entropy_coeff`)."""

    @override(TorchLearner)
    def build(self) -> None:
        super().build()
        self.entropy_coeff = float(np.asarray(self.config.entropy_coeff_at(0)))

    def set_entropy_coeff(self, value: float) -> None:
        self.entropy_coeff = float(value)

    def update_value_normalizer(self, targets: np.ndarray) -> float:
        """Fold value targets into every module's running moments; returns the
        new mean (all learners get the same targets, so they stay in sync)."""
        mean = float("nan")
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule is no dict)
            module = self.module[module_id].unwrapped()
            module.update_value_normalizer(targets)
            mean = float(module.value_mean)
        return mean

    @override(TorchLearner)
    def compute_loss_for_module(
        self,
        *,
        module_id: ModuleID,
        config: Any,
        batch: dict[str, Any],
        fwd_out: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        module = self.module[module_id].unwrapped()
        mask = batch[ALIVE].bool()  # [B, N]
        dist_inputs = fwd_out[Columns.ACTION_DIST_INPUTS]  # [B, N, 2A]
        logp = gaussian_log_prob(dist_inputs, batch[Columns.ACTIONS])  # [B, N]
        old_logp = batch[Columns.ACTION_LOGP]
        advantages = normalize_advantages(batch[Columns.ADVANTAGES], mask)
        policy_loss = ppo_clip_loss(logp, old_logp, advantages, mask, config.clip_param)
        value_loss = clipped_value_loss(
            fwd_out[Columns.VF_PREDS],
            module.normalize_values(batch[Columns.VF_PREDS]),
            module.normalize_values(batch[Columns.VALUE_TARGETS]),
            mask,
            config.vf_clip_param,
        )
        entropy = masked_mean(gaussian_entropy(dist_inputs), mask)
        loss = (
            policy_loss
            + config.vf_loss_coeff * value_loss
            - self.entropy_coeff * entropy
        )
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"non-finite MAPPO loss (policy {policy_loss.item():.4g}, value "
                f"{value_loss.item():.4g}); lower `lr` or check the env's rewards"
            )
        with torch.no_grad():
            log_ratio = logp - old_logp
            kl = masked_mean(torch.exp(log_ratio) - 1.0 - log_ratio, mask)
            clipped = (
                torch.abs(torch.exp(log_ratio) - 1.0) > config.clip_param
            ).float()
            clip_fraction = masked_mean(clipped, mask)
        for key, value in (
            (POLICY_LOSS_KEY, policy_loss),
            (VF_LOSS_KEY, value_loss),
            (ENTROPY_KEY, entropy),
            (KL_KEY, kl),
            (CLIP_FRACTION_KEY, clip_fraction),
        ):
            self.metrics.log_value((module_id, key), value.detach(), window=1)
        self.metrics.log_value(
            (module_id, ENTROPY_COEFF_KEY), self.entropy_coeff, window=1
        )
        return loss
