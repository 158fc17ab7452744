"""Pipeline options, one frozen dataclass (units in the field comments)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PipelineConfig:
    model: str  # Hugging Face id or local path of the base model
    out_dir: str  # stage directories, checkpoints and pipeline state
    env: Any = "gridmarket:TextForecast-v0"  # Gymnasium id or env class
    env_config: dict[str, Any] = field(default_factory=dict)  # without `split`
    gguf_file: str | None = None
    lora: dict[str, Any] | None = None
    seed: int = 0
    # GRPO stages (1 and 3)
    grpo_iterations: int = 20  # train() calls per GRPO stage
    group_size: int = 8  # completions per prompt
    prompts_per_iteration: int = 8
    max_new_tokens: int = 64  # tokens per completion
    max_prompt_length: int = 512  # tokens
    lr: float = 1e-5
    beta: float = 0.0
    temperature: float = 1.0
    checkpoint_every: int = 1  # GRPO iterations between checkpoints
    num_env_runners: int = 0
    # rejection sampling and SFT
    rs_num_samples: int = 8  # N of best-of-N
    rs_max_windows: int = 64  # training windows sampled
    # rejection samples score at least this; None: format-valid completions only
    rs_min_reward: float | None = None
    sft_epochs: int = 2
    sft_lr: float = 1e-5
    # comparison
    eval_max_windows: int = 64  # test windows (evenly spaced)
    baselines: tuple[str, ...] = ()  # naive forecaster names, persistence first
    tracking_uri: str | None = None
    experiment: str = "grpo_pipeline"

    def __post_init__(self) -> None:
        positive = (
            "grpo_iterations",
            "group_size",
            "prompts_per_iteration",
            "max_new_tokens",
            "max_prompt_length",
            "checkpoint_every",
            "rs_num_samples",
            "rs_max_windows",
            "sft_epochs",
            "eval_max_windows",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise ValueError(f"group_size must be >= 2, got {self.group_size}")
        for name in ("lr", "sft_lr", "temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.rs_min_reward is not None and math.isnan(self.rs_min_reward):
            raise ValueError("rs_min_reward must be a number or None, got nan")

    def loggable(self) -> dict[str, Any]:
        params = asdict(self)
        params["env"] = self.env if isinstance(self.env, str) else self.env.__name__
        return params
