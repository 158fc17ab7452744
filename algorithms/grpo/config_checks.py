"""GRPOConfig validation: every error names the option, its value and what is allowed."""

from __future__ import annotations

from typing import Any

from gridmarket.algorithms.grpo.losses import ADVANTAGE_TYPES, AGGREGATIONS
from gridmarket.algorithms.grpo.torch.hf import DTYPES


def validate_grpo_options(config: Any) -> None:
    errors = []
    if not config.hf_model:
        errors.append("`hf_model` must name a Hugging Face model id or local path")
    checks = [
        ("group_size", config.group_size >= 2, ">= 2"),
        ("prompts_per_iteration", config.prompts_per_iteration >= 1, ">= 1"),
        ("max_new_tokens", config.max_new_tokens >= 1, ">= 1"),
        ("max_prompt_length", config.max_prompt_length >= 1, ">= 1"),
        ("temperature", config.temperature > 0, "> 0"),
        ("top_p", 0 < config.top_p <= 1, "in (0, 1]"),
        (
            "share_prompt_forward",
            isinstance(config.share_prompt_forward, bool),
            "True or False",
        ),
        ("beta", config.beta >= 0, ">= 0"),
        ("clip_low", 0 <= config.clip_low < 1, "in [0, 1)"),
        ("clip_high", config.clip_high >= 0, ">= 0"),
        ("advantage_eps", config.advantage_eps > 0, "> 0"),
        ("num_epochs", config.num_epochs >= 1, ">= 1"),
        (
            "max_dynamic_sampling_rounds",
            config.max_dynamic_sampling_rounds >= 0,
            ">= 0",
        ),
        (
            "advantage_type",
            config.advantage_type in ADVANTAGE_TYPES,
            f"one of {ADVANTAGE_TYPES}",
        ),
        (
            "loss_aggregation",
            config.loss_aggregation in (None, *AGGREGATIONS),
            f"None or one of {AGGREGATIONS}",
        ),
        ("dtype", config.dtype in DTYPES, f"one of {sorted(DTYPES)}"),
    ]
    for name, ok, allowed in checks:
        if not ok:
            errors.append(f"`{name}` must be {allowed}, got {getattr(config, name)!r}")
    total = config.prompts_per_iteration * config.group_size
    learners = max(1, config.num_learners)
    if total % learners:
        errors.append(
            f"prompts_per_iteration * group_size = {total} completions must split "
            f"evenly over num_learners={learners}"
        )
    if config.prompts_per_iteration < max(1, config.num_env_runners):
        errors.append(
            f"prompts_per_iteration={config.prompts_per_iteration} must be >= "
            f"num_env_runners={config.num_env_runners} (one group per runner at least)"
        )
    if errors:
        raise ValueError("invalid GRPOConfig: " + "; ".join(errors))
