"""Supervised fine-tuning on (prompt, completion) pairs, the loss on completion
tokens only; used between GRPO stages on rejection-sampled completions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from gridmarket.algorithms.grpo.torch.generation import completion_log_probs
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule


def encode_pairs(
    tokenizer,
    prompts: Sequence[str],
    completions: Sequence[str],
    max_prompt_length: int,
) -> dict[str, torch.Tensor]:
    """Left-padded prompts and right-padded completions ending in EOS."""
    prompt = tokenizer(
        list(prompts),
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=max_prompt_length,
    )
    ids = [
        tokenizer(c, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        for c in completions
    ]
    width = max(len(row) for row in ids)
    completion_ids = torch.full((len(ids), width), tokenizer.pad_token_id)
    completion_mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        completion_ids[i, : len(row)] = torch.tensor(row)
        completion_mask[i, : len(row)] = 1
    return {
        "prompt_ids": prompt["input_ids"],
        "prompt_mask": prompt["attention_mask"],
        "completion_ids": completion_ids,
        "completion_mask": completion_mask,
    }


def sft_loss(module: GRPOTorchRLModule, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per completion token, ``[]``."""
    logp = completion_log_probs(
        module.lm,
        batch["prompt_ids"],
        batch["prompt_mask"],
        batch["completion_ids"],
        batch["completion_mask"],
        temperature=1.0,
    )  # [B, T]
    mask = batch["completion_mask"].to(logp.dtype)
    return -(logp * mask).sum() / mask.sum().clamp(min=1.0)


def train_sft(
    module: GRPOTorchRLModule,
    prompts: Sequence[str],
    completions: Sequence[str],
    *,
    epochs: int,
    lr: float,
    batch_size: int = 8,
    max_prompt_length: int = 512,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """AdamW on the module's trainable weights; returns the mean loss per epoch."""
    if len(prompts) != len(completions) or not prompts:
        raise ValueError(
            f"need as many prompts as completions (>= 1), got {len(prompts)} and "
            f"{len(completions)}"
        )
    params = list(module.trainable_named_parameters().values())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(len(prompts))
        epoch_losses = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = encode_pairs(
                module.tokenizer,
                [prompts[i] for i in rows],
                [completions[i] for i in rows],
                max_prompt_length,
            )
            loss = sft_loss(module, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite SFT loss {loss.item()}")
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            epoch_losses.append(loss.item())
        losses.append(float(np.mean(epoch_losses)))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses
