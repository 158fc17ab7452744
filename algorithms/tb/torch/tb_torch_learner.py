"""Torch trajectory-balance learner."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.typing import ModuleID

from gridmarket.algorithms.tb.losses import (
    trajectory_balance_loss,
    trajectory_balance_residuals,
)
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
        module = self.module[module_id]
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
    def postprocess_gradients(self, gradients_dict: dict[Any, torch.Tensor]) -> Any:
        """Raise on NaN or inf gradients, then clip as configured.

        RLlib would zero non-finite gradients and step on; in TB they mean a
        diverged log Z or a broken reward, which must stop the run.
        """
        grads = [g for g in gradients_dict.values() if g is not None]
        if grads and not torch.isfinite(torch.nn.utils.get_total_norm(grads)):
            raise FloatingPointError(
                "TB gradients contain NaN or inf; lower `lr`/`lr_logz` or check the "
                "env's log rewards"
            )
        return super().postprocess_gradients(gradients_dict)

    @torch.no_grad()
    def warm_start_log_z(self, batch: dict[str, Any]) -> float:
        """Set log Z to mean(log R + log P_B - log P_F) over ``batch`` under the
        current policies, and return it (see ``TBConfig.init_log_z``)."""
        tensors = map_arrays(lambda a: torch.as_tensor(a, device=self.device), batch)
        estimate = float("nan")
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule is no dict)
            module = self.module[module_id].unwrapped()
            out = module.forward_train(tensors)
            residuals = trajectory_balance_residuals(
                out[LOG_PF].new_zeros(()),
                out[LOG_PF],
                out[LOG_PB],
                tensors[LOG_REWARD].float(),
            )  # [B] log P_F - log R - log P_B
            estimate = float(-residuals.mean())
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
        loss = trajectory_balance_loss(
            fwd_out[LOG_Z], fwd_out[LOG_PF], fwd_out[LOG_PB], batch[LOG_REWARD].float()
        )  # []
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
