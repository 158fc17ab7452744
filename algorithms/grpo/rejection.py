"""Rejection sampling: the best of N sampled completions per window, by the env's reward.

Only eligible completions compete: by default the format-valid ones (the env's
``info[valid_key]`` is 1; TextForecast-v0 reports ``format``, 0.0 for an
unparseable forecast, which scores the floor reward -10), or, given
``min_reward``, those whose reward reaches it. A window with no eligible completion
is dropped, so SFT never trains on a forecast the env could not read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from gridmarket.algorithms.grpo.batch import COMPLETION_IDS, COMPLETION_MASK
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule

logger = logging.getLogger(__name__)

VALID_KEY = "format"  # TextForecast-v0's info entry: 1.0 valid forecast, 0.0 not


@dataclass
class RejectionSamples:
    """``kept``: one row per kept window, ``{"window_id", "prompt", "completion",
    "reward", "rewards"}``; ``dropped``: the window ids with no eligible completion."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


def _eligible(
    reward: float, info: dict[str, Any], min_reward: float | None, valid_key: str
) -> bool:
    if min_reward is not None:
        return reward >= min_reward
    if valid_key not in info:
        raise KeyError(
            f"the env's info has no {valid_key!r} entry to tell format-valid "
            f"completions; name the entry (valid_key) or pass a min_reward"
        )
    return float(info[valid_key]) == 1.0


def describe_eligibility(min_reward: float | None, valid_key: str = VALID_KEY) -> str:
    """What made a completion eligible, for messages."""
    if min_reward is None:
        return f"format-valid (info[{valid_key!r}] == 1)"
    return f"with reward >= {min_reward}"


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
    min_reward: float | None = None,
    valid_key: str = VALID_KEY,
) -> RejectionSamples:
    """For each window, ``num_samples`` completions scored by one episode each; keeps
    the best eligible one (first on ties) and drops windows with none.

    Eligible: ``reward >= min_reward``; with ``min_reward=None`` (the default),
    ``info[valid_key] == 1`` (format-valid). ``min_reward=-inf`` keeps the best of
    every window. ``rewards`` in a kept row lists all ``num_samples`` rewards.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    if min_reward is not None and np.isnan(min_reward):
        raise ValueError("min_reward must be a number or None, got nan")
    windows = [int(w) for w in window_ids]
    result = RejectionSamples()
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
            rewards, eligible = [], []
            for text in group:
                env.reset(options={"window_id": window})
                _, reward, _, _, info = env.step(text)
                rewards.append(float(reward))
                eligible.append(_eligible(float(reward), info, min_reward, valid_key))
            if not any(eligible):
                result.dropped.append(window)
                continue
            masked = np.where(eligible, rewards, -np.inf)
            best = int(np.argmax(masked))
            result.kept.append(
                {
                    "window_id": window,
                    "prompt": prompt,
                    "completion": group[best],
                    "reward": rewards[best],
                    "rewards": rewards,
                }
            )
    if result.dropped:
        logger.warning(
            "rejection sampling dropped %d of %d windows: no completion %s",
            len(result.dropped),
            len(windows),
            describe_eligibility(min_reward, valid_key),
        )
    return result
