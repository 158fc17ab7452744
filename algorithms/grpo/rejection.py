"""Rejection sampling: the best of N sampled completions per window, by the env's reward."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from gridmarket.algorithms.grpo.batch import COMPLETION_IDS, COMPLETION_MASK
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule


def best_of_n(
    module: GRPOTorchRLModule,
    env: gym.Env,
    window_ids: Iterable[int],
    *,
    num_samples: int,
    max_new_tokens: int,
    max_prompt_length: int = 512,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    prompts_per_batch: int = 8,
) -> list[dict[str, Any]]:
    """For each window, ``num_samples`` completions scored by one episode each;
    returns ``{"window_id", "prompt", "completion", "reward", "rewards"}`` of the best
    (first on ties)."""
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    windows = [int(w) for w in window_ids]
    kept = []
    for start in range(0, len(windows), prompts_per_batch):
        chunk = windows[start : start + prompts_per_batch]
        prompts = [env.reset(options={"window_id": w})[0] for w in chunk]
        out = module.generate(
            prompts,
            group_size=num_samples,
            max_new_tokens=max_new_tokens,
            max_prompt_length=max_prompt_length,
            top_p=top_p,
            generator=generator,
        )
        texts = module.decode(out[COMPLETION_IDS], out[COMPLETION_MASK])
        for i, (window, prompt) in enumerate(zip(chunk, prompts, strict=True)):
            group = texts[i * num_samples : (i + 1) * num_samples]
            rewards = []
            for text in group:
                env.reset(options={"window_id": window})
                rewards.append(float(env.step(text)[1]))
            best = int(np.argmax(rewards))
            kept.append(
                {
                    "window_id": window,
                    "prompt": prompt,
                    "completion": group[best],
                    "reward": rewards[best],
                    "rewards": rewards,
                }
            )
    return kept
