"""The pipeline's stages. Each takes its inputs as paths, writes its outputs under
``stage_dir``, calls ``report(metrics, step)`` as it goes, and returns its final
metrics. A GRPO stage resumes from its last complete checkpoint."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gridmarket.algorithms.grpo import GRPO, GRPOConfig
from gridmarket.algorithms.grpo.env_runner import make_text_env
from gridmarket.algorithms.grpo.rejection import best_of_n, describe_eligibility
from gridmarket.algorithms.grpo.sft import train_sft
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule
from gridmarket.grpo_pipeline.config import PipelineConfig

Report = Callable[[dict[str, float], int], None]
MODEL_DIR = "model"
CHECKPOINT = "checkpoint"
SAMPLES = "samples.jsonl"
RESULT_KEYS = ("reward_mean", "reward_std", "completion_length_mean")


def stage_env(cfg: PipelineConfig, split: str) -> Any:
    return make_text_env(cfg.env, {**cfg.env_config, "split": split})


def load_module(
    cfg: PipelineConfig, model: str, *, lora: bool = False
) -> GRPOTorchRLModule:
    """A GRPO module on ``model`` outside RLlib (for sampling, SFT, evaluation)."""
    gguf = cfg.gguf_file if model == cfg.model else None
    return GRPOTorchRLModule(
        model_config={
            "model": model,
            "gguf_file": gguf,
            "temperature": cfg.temperature,
            "lora": cfg.lora if lora else None,
        }
    )


def spaced_windows(num_windows: int, limit: int) -> np.ndarray:
    """Up to ``limit`` window ids spread evenly over ``[0, num_windows)``."""
    return np.unique(
        np.linspace(0, num_windows - 1, min(limit, num_windows)).round()
    ).astype(int)


def grpo_config(cfg: PipelineConfig, model: str) -> GRPOConfig:
    return (
        GRPOConfig()
        .environment(cfg.env, env_config={**cfg.env_config, "split": "train"})
        .training(
            hf_model=model,
            gguf_file=cfg.gguf_file if model == cfg.model else None,
            lora=cfg.lora,
            group_size=cfg.group_size,
            prompts_per_iteration=cfg.prompts_per_iteration,
            max_new_tokens=cfg.max_new_tokens,
            max_prompt_length=cfg.max_prompt_length,
            temperature=cfg.temperature,
            lr=cfg.lr,
            beta=cfg.beta,
        )
        .env_runners(num_env_runners=cfg.num_env_runners)
        .debugging(seed=cfg.seed)
    )


def _save_checkpoint_atomically(algo: GRPO, stage_dir: Path) -> None:
    """Write to ``checkpoint.tmp``, then swap it in: a kill leaves one complete
    checkpoint (``checkpoint`` or ``checkpoint.old``) behind."""
    final, tmp, old = (stage_dir / f"{CHECKPOINT}{s}" for s in ("", ".tmp", ".old"))
    shutil.rmtree(tmp, ignore_errors=True)
    algo.save_to_path(str(tmp))
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def last_complete_checkpoint(stage_dir: Path) -> Path | None:
    for name in (CHECKPOINT, f"{CHECKPOINT}.old"):
        if (stage_dir / name).is_dir():
            return stage_dir / name
    return None


def grpo_stage(
    cfg: PipelineConfig, model: str, stage_dir: Path, report: Report
) -> dict[str, float]:
    """``grpo_iterations`` GRPO iterations from ``model``; writes ``stage_dir/model``."""
    checkpoint = last_complete_checkpoint(stage_dir)
    algo = (
        GRPO.from_checkpoint(str(checkpoint))
        if checkpoint is not None
        else grpo_config(cfg, model).build_algo()
    )
    final: dict[str, float] = {"resumed_at_iteration": float(algo.iteration)}
    try:
        while algo.iteration < cfg.grpo_iterations:
            result = algo.train()
            metrics = {k: float(result[k]) for k in RESULT_KEYS if k in result}
            metrics.update(
                {
                    f"env/{k}": float(v)
                    for k, v in result["env_runners"].items()
                    if k.startswith("reward/")
                }
            )
            final.update(metrics)
            report(metrics, algo.iteration)
            if algo.iteration % cfg.checkpoint_every == 0:
                _save_checkpoint_atomically(algo, stage_dir)
        algo.get_module().save_pretrained(str(stage_dir / MODEL_DIR))
    finally:
        algo.stop()
    return final


def rejection_stage(
    cfg: PipelineConfig, model: str, stage_dir: Path, report: Report
) -> dict[str, float]:
    """Best of ``rs_num_samples`` per training window; writes ``samples.jsonl``.

    Only format-valid completions (or, with ``rs_min_reward``, those scoring at
    least that) compete; windows with none are dropped and counted."""
    torch.manual_seed(cfg.seed)
    module = load_module(cfg, model)
    env = stage_env(cfg, "train")
    windows = spaced_windows(env.unwrapped.num_windows, cfg.rs_max_windows)
    samples = best_of_n(
        module,
        env,
        windows,
        num_samples=cfg.rs_num_samples,
        max_new_tokens=cfg.max_new_tokens,
        max_prompt_length=cfg.max_prompt_length,
        generator=torch.Generator().manual_seed(cfg.seed),
        min_reward=cfg.rs_min_reward,
    )
    kept = samples.kept
    if not kept:  # raised before DONE.json: the next run samples again
        raise NoSamplesError(
            f"rejection sampling kept none of {len(windows)} windows: no completion "
            f"{describe_eligibility(cfg.rs_min_reward)}, so SFT would have nothing "
            "to train on. Rerun the same command with more --rs-samples or "
            "--rs-windows, or a lower --rs-min-reward: this stage runs again."
        )
    tmp = stage_dir / f"{SAMPLES}.tmp"
    with tmp.open("w") as f:
        for row in kept:
            f.write(json.dumps(row) + "\n")
    os.replace(tmp, stage_dir / SAMPLES)
    metrics = {
        "num_windows": float(len(kept)),
        "num_dropped": float(len(samples.dropped)),
    }
    if kept:
        metrics["best_reward_mean"] = float(np.mean([row["reward"] for row in kept]))
        metrics["sample_reward_mean"] = float(
            np.mean([np.mean(row["rewards"]) for row in kept])
        )
    print(
        f"[pipeline] rejection_sampling: kept {len(kept)} of {len(windows)} windows, "
        f"dropped {len(samples.dropped)} "
        f"(no completion {describe_eligibility(cfg.rs_min_reward)})"
    )
    report(metrics, 0)
    return metrics


class NoSamplesError(RuntimeError):
    """Rejection sampling kept no window, so SFT would have nothing to train on."""


def sft_stage(
    cfg: PipelineConfig, model: str, samples: Path, stage_dir: Path, report: Report
) -> dict[str, float]:
    """SFT of ``model`` on the rejection samples; writes ``stage_dir/model``."""
    torch.manual_seed(cfg.seed)
    rows = [json.loads(line) for line in samples.read_text().splitlines() if line]
    module = load_module(cfg, model, lora=True)
    losses = train_sft(
        module,
        [r["prompt"] for r in rows],
        [r["completion"] for r in rows],
        epochs=cfg.sft_epochs,
        lr=cfg.sft_lr,
        max_prompt_length=cfg.max_prompt_length,
        seed=cfg.seed,
        on_epoch=lambda epoch, loss: report({"sft_loss": loss}, epoch),
    )
    module.save_pretrained(str(stage_dir / MODEL_DIR))
    return {"sft_loss_first": losses[0], "sft_loss_last": losses[-1]}
