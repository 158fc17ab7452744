"""Torch trajectory-balance learner."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.typing import ModuleID

from gridmarket.algorithms.tb.losses import trajectory_balance_residuals
from gridmarket.algorithms.tb.tb_learner import (
    LOG_Z_KEY,
    LOG_Z_OPTIMIZER,
    POLICY_OPTIMIZER,
    TB_LOSS_KEY,
    TBLearner,
)
from gridmarket.algorithms.tb.torch.tb_rl_module import LOG_PB, LOG_PF, LOG_Z
from gridmarket.algorithms.tb.trajectories import LOG_REWARD, map_arrays


def make_adam(params: list[torch.nn.Parameter]) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one for these tensors."""
    try:
        return torch.optim.Adam(params, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params)


class TBTorchLearner(TBLearner, TorchLearner):
    """Adam on the policies (``lr``) and, separately, on log Z (``lr_logz``)."""

    @override(TorchLearner)
    def configure_optimizers_for_module(
        self, module_id: ModuleID, config: Any = None
    ) -> None:
        module = self._module[module_id]
        named = dict(module.named_parameters())
        log_z = [p for name, p in named.items() if name.split(".")[-1] == "log_z"]
        policy = [p for name, p in named.items() if name.split(".")[-1] != "log_z"]
        self.register_optimizer(
            module_id=module_id,
            optimizer_name=POLICY_OPTIMIZER,
            optimizer=make_adam(policy),
            params=policy,
            lr_or_lr_schedule=config.lr,
        )
        self.register_optimizer(
            module_id=module_id,
            optimizer_name=LOG_Z_OPTIMIZER,
            optimizer=make_adam(log_z),
            params=log_z,
            lr_or_lr_schedule=config.lr_logz,
        )

    @override(TorchLearner)
    def apply_gradients(self, gradients_dict: dict[Any, torch.Tensor]) -> None:
        """Step every optimizer, or raise if any gradient is NaN or inf.

        One fused norm replaces RLlib's per-tensor finiteness checks, and a
        non-finite gradient is an error here rather than a skipped step.
        """
        if self._lr_scheduler_classes is not None or self._grad_scalers is not None:
            return super().apply_gradients(gradients_dict)
        grads = [g for g in gradients_dict.values() if g is not None]
        if grads and not torch.isfinite(torch.nn.utils.get_total_norm(grads)):
            raise FloatingPointError(
                "TB gradients contain NaN or inf; lower `lr`/`lr_logz` or check the "
                "env's log rewards"
            )
        for pid, grad in gradients_dict.items():
            self._params[pid].grad = grad
        for module_id, optimizer_names in self._module_optimizers.items():
            for optimizer_name in optimizer_names:
                self.get_optimizer(module_id, optimizer_name).step()

    @torch.no_grad()
    def warm_start_log_z(self, batch: dict[str, Any]) -> float:
        """Set log Z to mean(log R / T + log P_B - log P_F) over ``batch`` under the
        current policies, and return it (see ``TBConfig.init_log_z``)."""
        tensors = map_arrays(lambda a: torch.as_tensor(a, device=self._device), batch)
        estimate = float("nan")
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule is no dict)
            module = self.module[module_id].unwrapped()
            out = module._forward_train(tensors)
            log_reward = tensors[LOG_REWARD].float() / self.config.reward_temperature
            estimate = float((log_reward + out[LOG_PB] - out[LOG_PF]).mean())
            if not np.isfinite(estimate):
                raise FloatingPointError(f"log Z estimate is not finite: {estimate}")
            module.log_z.fill_(estimate)
        return estimate

    @override(TorchLearner)
    def compute_loss_for_module(
        self,
        *,
        module_id: ModuleID,
        config: Any,
        batch: dict[str, Any],
        fwd_out: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        log_reward = batch[LOG_REWARD].float() / config.reward_temperature  # [B]
        residuals = trajectory_balance_residuals(
            fwd_out[LOG_Z], fwd_out[LOG_PF], fwd_out[LOG_PB], log_reward
        )  # [B]
        loss = residuals.pow(2).mean()
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"non-finite TB loss {loss.item()} (log Z={fwd_out[LOG_Z].item():.4g}); "
                "check the env's log rewards and the learning rates"
            )
        self.metrics.log_value((module_id, TB_LOSS_KEY), loss.detach(), window=1)
        self.metrics.log_value(
            (module_id, LOG_Z_KEY), fwd_out[LOG_Z].detach(), window=1
        )
        return loss
