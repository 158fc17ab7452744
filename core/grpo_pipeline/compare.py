"""The comparison: every model and naive forecaster on the test split, with 95%
bootstrap intervals over test windows."""

from __future__ import annotations

from numbers import Real
from typing import Any, Protocol

import numpy as np
import torch

from gridmarket.algorithms.grpo.batch import COMPLETION_IDS, COMPLETION_MASK
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule


class Forecaster(Protocol):
    def forecast(self, prompt: str) -> str: ...


class LMForecaster:
    """A causal LM as a forecaster: greedy decoding of one completion per prompt."""

    def __init__(
        self, module: GRPOTorchRLModule, max_new_tokens: int, max_prompt_length: int
    ):
        self.module = module
        self.max_new_tokens = max_new_tokens
        self.max_prompt_length = max_prompt_length

    def forecast_batch(self, prompts: list[str]) -> list[str]:
        out = self.module.generate(
            prompts,
            group_size=1,
            max_new_tokens=self.max_new_tokens,
            max_prompt_length=self.max_prompt_length,
            greedy=True,
        )
        return self.module.decode(out[COMPLETION_IDS], out[COMPLETION_MASK])

    def forecast(self, prompt: str) -> str:
        return self.forecast_batch([prompt])[0]


def score_forecaster(
    agent: Any, env: Any, window_ids: np.ndarray, batch_size: int = 16
) -> dict[str, np.ndarray]:
    """Per-window reward and every real-number ``info`` entry, ``{name: [W]}``."""
    prompts = [env.reset(options={"window_id": int(w)})[0] for w in window_ids]
    if hasattr(agent, "forecast_batch"):
        texts = []
        for start in range(0, len(prompts), batch_size):
            texts += agent.forecast_batch(prompts[start : start + batch_size])
    else:
        texts = [agent.forecast(p) for p in prompts]
    columns: dict[str, list[float]] = {"reward": []}
    for window, text in zip(window_ids, texts, strict=True):
        env.reset(options={"window_id": int(window)})
        _, reward, _, _, info = env.step(text)
        columns["reward"].append(float(reward))
        for key, value in {**info, **forecast_errors(info)}.items():
            if isinstance(value, Real) and key not in NOT_METRICS:
                columns.setdefault(key, []).append(float(value))
    return {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}


NOT_METRICS = ("window_id", "last_close")


def forecast_errors(info: dict[str, Any]) -> dict[str, float]:
    """MAE and MAPE (%) of a parsed forecast against the true closes, NaN when the
    forecast is invalid (so they average over valid forecasts only); ``{}`` for envs
    whose ``info`` has no ``forecast``/``target``."""
    if "target" not in info or "forecast" not in info:
        return {}
    if info["forecast"] is None:
        return {"mae": float("nan"), "mape": float("nan")}
    forecast = np.asarray(info["forecast"], dtype=np.float64)
    target = np.asarray(info["target"], dtype=np.float64)
    return {
        "mae": float(np.abs(forecast - target).mean()),
        "mape": float((np.abs(forecast - target) / np.abs(target)).mean() * 100),
    }


def bootstrap_interval(
    values: np.ndarray, rng: np.random.Generator, num_resamples: int = 2000
) -> tuple[float, float, float]:
    """``(mean, 2.5th, 97.5th percentile)`` of the bootstrap mean; NaNs dropped."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (float("nan"),) * 3
    idx = rng.integers(len(values), size=(num_resamples, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def comparison_table(
    scores: dict[str, dict[str, np.ndarray]], seed: int = 0
) -> list[dict[str, Any]]:
    """One row per agent: ``{"agent", metric: mean, metric_lo, metric_hi, ...}``."""
    rng = np.random.default_rng(seed)
    rows = []
    for agent, columns in scores.items():
        row: dict[str, Any] = {"agent": agent, "windows": len(columns["reward"])}
        for name, values in columns.items():
            mean, lo, hi = bootstrap_interval(values, rng)
            row[name], row[f"{name}_lo"], row[f"{name}_hi"] = mean, lo, hi
        rows.append(row)
    return rows


def format_markdown(rows: list[dict[str, Any]]) -> str:
    metrics = [
        k
        for k in rows[0]
        if k not in ("agent", "windows") and not k.endswith(("_lo", "_hi"))
    ]
    head = "| agent | windows | " + " | ".join(metrics) + " |"
    lines = [head, "|" + "---|" * (len(metrics) + 2)]
    for row in rows:
        cells = [
            f"{row.get(m, float('nan')):.4g} [{row.get(m + '_lo', float('nan')):.4g}, "
            f"{row.get(m + '_hi', float('nan')):.4g}]"
            for m in metrics
        ]
        lines.append(
            f"| {row['agent']} | {row['windows']} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def evaluate_models(
    models: dict[str, GRPOTorchRLModule],
    baselines: dict[str, Forecaster],
    env: Any,
    window_ids: np.ndarray,
    *,
    max_new_tokens: int,
    max_prompt_length: int,
) -> dict[str, dict[str, np.ndarray]]:
    """Scores of the baselines (first, in the given order) and then the models."""
    scores = {
        name: score_forecaster(agent, env, window_ids)
        for name, agent in baselines.items()
    }
    with torch.no_grad():
        for name, module in models.items():
            agent = LMForecaster(module, max_new_tokens, max_prompt_length)
            scores[name] = score_forecaster(agent, env, window_ids)
    return scores
