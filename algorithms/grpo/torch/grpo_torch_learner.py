"""Torch GRPO learner: AdamW on the trainable weights, the pure GRPO loss, and a
frozen reference policy only when ``beta > 0``."""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.typing import ModuleID

from gridmarket.algorithms.grpo.batch import (
    ADVANTAGES,
    COMPLETION_MASK,
    OLD_LOGP,
)
from gridmarket.algorithms.grpo.losses import grpo_loss
from gridmarket.algorithms.grpo.torch.grpo_rl_module import LOGP, model_identity
from gridmarket.algorithms.grpo.torch.hf import ModelIdentity, load_causal_lm

REFERENCE_STATE = "reference_model"
LOSS_KEY = "grpo_loss"
KL_KEY = "kl"
CLIP_FRACTION_KEY = "clip_fraction"


class GRPOTorchLearner(TorchLearner):
    """GRPO updates on groups of completions.

    The reference policy for the KL term is loaded only when ``beta > 0``: with
    LoRA it is the base model with the adapters switched off (no second copy);
    otherwise a frozen copy loaded from ``reference_model`` (default: the
    module's ``model``). Its identity, not its weights, is part of the state.
    """

    @override(TorchLearner)
    def build(self) -> None:
        super().build()
        self._reference: torch.nn.Module | None = None
        self.reference_identity: ModelIdentity | None = None
        if self.config.beta > 0:
            self._set_reference(self._default_reference_identity())

    def _default_reference_identity(self) -> ModelIdentity:
        if self.config.reference_model:
            return ModelIdentity(**self.config.reference_model)
        return model_identity(self.config.model_config)

    def _uses_lora_reference(self, identity: ModelIdentity) -> bool:
        return bool(self.config.lora) and identity == model_identity(
            self.config.model_config
        )

    def _set_reference(self, identity: ModelIdentity) -> None:
        self.reference_identity = identity
        if self._uses_lora_reference(identity):
            self._reference = None  # the adapters are switched off instead
            return
        reference = load_causal_lm(
            identity, self.config.model_config.get("dtype", "float32")
        )
        reference.requires_grad_(False)
        self._reference = reference.to(self._device)

    @override(TorchLearner)
    def configure_optimizers_for_module(
        self, module_id: ModuleID, config: Any = None
    ) -> None:
        module = self.module[module_id].unwrapped()
        params = list(module.trainable_named_parameters().values())
        if not params:
            raise ValueError("the GRPO module has no trainable parameters")
        self.register_optimizer(
            module_id=module_id,
            optimizer=torch.optim.AdamW(
                params, weight_decay=config.weight_decay, betas=config.adam_betas
            ),
            params=params,
            lr_or_lr_schedule=config.lr,
        )

    @torch.no_grad()
    def reference_log_probs(
        self, module_id: ModuleID, batch: dict[str, Any]
    ) -> torch.Tensor:
        module = self.module[module_id].unwrapped()
        if self._reference is None:
            context = module.lm.disable_adapter()
            lm = module.lm
        else:
            context, lm = contextlib.nullcontext(), self._reference
        with context:
            return module.log_probs(batch, lm=lm)

    @override(TorchLearner)
    def compute_loss_for_module(
        self,
        *,
        module_id: ModuleID,
        config: Any,
        batch: dict[str, Any],
        fwd_out: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        ref_logp = (
            self.reference_log_probs(module_id, batch) if config.beta > 0 else None
        )
        loss, stats = grpo_loss(
            fwd_out[LOGP],  # [N, T]
            batch[OLD_LOGP].float(),  # [N, T]
            batch[ADVANTAGES].float(),  # [N]
            batch[COMPLETION_MASK],  # [N, T]
            ref_logp=ref_logp,
            beta=config.beta,
            clip_low=config.clip_low,
            clip_high=config.clip_high,
            aggregation=config.resolved_loss_aggregation,
            max_length=config.max_new_tokens,
        )
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"non-finite GRPO loss {loss.item()}; lower `lr` or check the rewards"
            )
        self.metrics.log_value((module_id, LOSS_KEY), loss.detach(), window=1)
        self.metrics.log_value((module_id, KL_KEY), stats["kl"], window=1)
        self.metrics.log_value(
            (module_id, CLIP_FRACTION_KEY), stats["clip_fraction"], window=1
        )
        return loss

    @override(TorchLearner)
    def get_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        state = super().get_state(*args, **kwargs)
        state[REFERENCE_STATE] = (
            None
            if self.reference_identity is None
            else self.reference_identity.as_dict()
        )
        return state

    @override(TorchLearner)
    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        stored = state.get(REFERENCE_STATE)
        if stored is not None and ModelIdentity(**stored) != self.reference_identity:
            self._set_reference(ModelIdentity(**stored))
