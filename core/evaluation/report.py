"""Summaries of a set of GridMarket stress paths: metrics, a fan chart, a CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.algorithms.baselines.paths import PathBatch
from gridmarket.evaluation import metrics as m

TOP_K = 50
COVER_EPSILON = 25.0  # scaled units (the training box is [-100, 100] per variable)


def path_metrics(
    paths: PathBatch,
    oracle: Any,
    *,
    tail_threshold: float,
    top_k: int = TOP_K,
    cover_epsilon: float = COVER_EPSILON,
    seed: int = 0,
) -> dict[str, Any]:
    """The issue's scenario-set metrics for one method's evaluation paths.

    - ``log_reward_mean``, ``top_k_log_reward_mean``;
    - ``tail_coverage``: share with predicted return <= ``tail_threshold`` (%);
    - ``expected_shortfall_5``: mean of the worst 5% of predicted returns (%);
    - ``top_k_diversity``: mean pairwise distance of the top-k whole paths;
    - ``severe_modes``: greedy ``cover_epsilon``-cover count of the terminal states
      of the tail paths, visited best first;
    - ``attribution``: permutation importance of each feature on the oracle's
      predictions over the top-k terminal states.
    """
    top = m.top_k_indices(paths.log_reward, min(top_k, len(paths.log_reward)))
    terminal = paths.states[:, -1]
    tail = np.flatnonzero(paths.predicted <= tail_threshold)
    order = tail[np.argsort(-paths.log_reward[tail], kind="stable")]
    importance = m.permutation_importance(
        oracle.predict, terminal[top], np.random.default_rng(seed), repeats=10
    )
    return {
        "log_reward_mean": float(paths.log_reward.mean()),
        "top_k_log_reward_mean": float(paths.log_reward[top].mean()),
        "predicted_return_median": float(np.median(paths.predicted)),
        "tail_coverage": m.tail_coverage(paths.predicted, tail_threshold),
        "expected_shortfall_5": m.expected_shortfall(paths.predicted, 0.05),
        "top_k_diversity": m.mean_pairwise_distance(paths.states[top]),
        "severe_modes": m.epsilon_cover_count(terminal, cover_epsilon, order=order)
        if len(order)
        else 0,
        "attribution": dict(
            zip(oracle.feature_names, importance.round(4).tolist(), strict=True)
        ),
    }


def save_path_report(
    paths: PathBatch,
    oracle: Any,
    out_dir: str | Path,
    *,
    title: str,
    metrics: dict[str, Any] | None = None,
    top: int = 20,
) -> dict[str, Path]:
    """Write ``fan_chart.png`` (all paths, real units), ``top_paths.csv`` (the best
    ``top`` terminal states in real units) and ``metrics.json``; return the paths."""
    from gridmarket.envs.grid_market.render import fan_chart, save_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    real = oracle.to_real_units(paths.states)
    files = {
        "fan_chart": save_png(
            fan_chart(real, oracle.feature_names, title=title), out / "fan_chart.png"
        )
    }
    best = m.top_k_indices(paths.log_reward, min(top, len(paths.log_reward)))
    files["top_paths"] = out / "top_paths.csv"
    with files["top_paths"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["rank", "log_reward", "predicted_return_pct", *oracle.feature_names]
        )
        for rank, index in enumerate(best, start=1):
            terminal = [round(float(v), 4) for v in real[index, -1]]
            writer.writerow(
                [
                    rank,
                    round(float(paths.log_reward[index]), 4),
                    round(float(paths.predicted[index]), 4),
                    *terminal,
                ]
            )
    if metrics is not None:
        files["metrics"] = out / "metrics.json"
        files["metrics"].write_text(json.dumps(metrics, indent=2))
    return files


def tail_threshold_from_random_paths(
    scorer_env: str,
    env_config: dict[str, Any],
    *,
    quantile: float = 0.05,
    num: int = 4096,
    seed: int = 12345,
) -> float:
    """The ``quantile`` of predicted returns over uniform random paths: a tail
    threshold that means "more severe than 95% of random paths" for any oracle."""
    from gridmarket.algorithms.baselines.paths import PathScorer

    scorer = PathScorer(scorer_env, env_config, num)
    unit = np.random.default_rng(seed).uniform(size=(num, scorer.horizon, scorer.dim))
    return float(np.quantile(scorer.score(unit).predicted, quantile))
