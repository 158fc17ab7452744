"""The GRPO RLModule: a Hugging Face causal LM (optionally with LoRA adapters)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override

from gridmarket.algorithms.grpo.batch import (
    COMPLETION_IDS,
    COMPLETION_MASK,
    PROMPT_IDS,
    PROMPT_MASK,
)
from gridmarket.algorithms.grpo.torch.generation import (
    completion_log_probs,
    sample_completions,
)
from gridmarket.algorithms.grpo.torch.hf import (
    ModelIdentity,
    apply_lora,
    load_causal_lm,
    load_tokenizer,
)

LOGP = "logp"


def model_identity(model_config: dict[str, Any]) -> ModelIdentity:
    if not model_config.get("model"):
        raise ValueError("GRPO's model_config needs `model` (a hub id or local path)")
    return ModelIdentity(
        model=str(model_config["model"]),
        gguf_file=model_config.get("gguf_file"),
        revision=model_config.get("revision"),
    )


class GRPOTorchRLModule(TorchRLModule):
    """A causal LM as an RLModule.

    ``model_config`` keys: ``model`` (id or path, required), ``gguf_file``,
    ``revision``, ``dtype`` (``"float32"``), ``lora`` (``None`` or a dict, see
    :func:`~gridmarket.algorithms.grpo.torch.hf.apply_lora`), ``temperature``,
    ``share_prompt_forward`` (``True``: each distinct prompt's forward runs once
    per batch, see :func:`~gridmarket.algorithms.grpo.torch.generation.completion_log_probs`).

    Its state (``get_state``) is the trainable parameters only: the LoRA adapters
    when LoRA is on, every weight otherwise. The frozen base weights come from
    ``model``, so weight sync and checkpoints never carry them.
    """

    @override(TorchRLModule)
    def setup(self) -> None:
        config = self.model_config or {}
        self.identity = model_identity(config)
        self.tokenizer = load_tokenizer(self.identity)
        model = load_causal_lm(self.identity, config.get("dtype", "float32"))
        if config.get("lora"):
            model = apply_lora(model, dict(config["lora"]))
        self.lm = model
        self.temperature = float(config.get("temperature", 1.0))
        self.share_prompt_forward = bool(config.get("share_prompt_forward", True))

    @override(TorchRLModule)
    def train(self, mode: bool = True) -> GRPOTorchRLModule:
        # Dropout stays off: the learner's log-probs must equal the sampler's.
        super().train(mode)
        self.lm.eval()
        return self

    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {LOGP: self.log_probs(batch)}

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {LOGP: self.log_probs(batch)}

    def log_probs(
        self, batch: dict[str, Any], lm: torch.nn.Module | None = None
    ) -> torch.Tensor:
        """Per-token log-probs of the batch's completions under ``lm`` (default:
        this module's model), ``[B, T]``."""
        return completion_log_probs(
            self.lm if lm is None else lm,
            batch[PROMPT_IDS],
            batch[PROMPT_MASK],
            batch[COMPLETION_IDS],
            batch[COMPLETION_MASK],
            self.temperature,
            share_prompts=self.share_prompt_forward,
        )

    @torch.no_grad()
    def generate(
        self,
        prompts: list[str],
        *,
        group_size: int,
        max_new_tokens: int,
        max_prompt_length: int,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
        greedy: bool = False,
    ) -> dict[str, torch.Tensor]:
        """``group_size`` sampled completions of each prompt, rows grouped."""
        encoded = self.tokenizer(
            prompts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_prompt_length,
        )
        device = next(self.lm.parameters()).device
        prompt_ids = encoded["input_ids"].repeat_interleave(group_size, 0).to(device)
        prompt_mask = encoded["attention_mask"].repeat_interleave(group_size, 0)
        prompt_mask = prompt_mask.to(device)
        ids, mask, logp = sample_completions(
            self.lm,
            prompt_ids,
            prompt_mask,
            max_new_tokens=max_new_tokens,
            eos_token_id=self.tokenizer.eos_token_id,
            pad_token_id=self.tokenizer.pad_token_id,
            temperature=self.temperature,
            top_p=top_p,
            generator=generator,
            greedy=greedy,
        )
        return {
            PROMPT_IDS: prompt_ids,
            PROMPT_MASK: prompt_mask,
            COMPLETION_IDS: ids,
            COMPLETION_MASK: mask,
            LOGP: logp,
        }

    def decode(self, completion_ids: torch.Tensor, mask: torch.Tensor) -> list[str]:
        """Completion texts without special tokens."""
        return [
            self.tokenizer.decode(row[: int(m.sum())], skip_special_tokens=True)
            for row, m in zip(completion_ids.tolist(), mask, strict=True)
        ]

    def save_pretrained(self, path: str) -> None:
        """Write the (LoRA-merged) model and its tokenizer as a Hugging Face
        directory (safetensors), loadable as ``model`` by a later stage."""
        lm = self.lm
        if hasattr(lm, "merge_and_unload"):
            import copy

            lm = copy.deepcopy(lm).merge_and_unload()
        lm.save_pretrained(path)
        self.tokenizer.save_pretrained(path)

    def trainable_named_parameters(self) -> dict[str, torch.nn.Parameter]:
        return {n: p for n, p in self.lm.named_parameters() if p.requires_grad}

    @override(TorchRLModule)
    def get_state(self, components: Any = None, **kwargs: Any) -> dict[str, Any]:
        return {
            name: param.detach().cpu().numpy().copy()
            for name, param in self.trainable_named_parameters().items()
        }

    @override(TorchRLModule)
    def set_state(self, state: dict[str, Any]) -> None:
        params = self.trainable_named_parameters()
        if set(state) != set(params):
            missing, extra = set(params) - set(state), set(state) - set(params)
            raise KeyError(
                f"GRPO module state does not match the trainable parameters: "
                f"missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
            )
        with torch.no_grad():
            for name, value in state.items():
                params[name].copy_(torch.as_tensor(np.asarray(value)))
