"""Score forecasting agents on TextForecast-v0 windows: metrics with block-bootstrap
intervals, a table, forecast-vs-actual plots, MLflow.

Any object with ``forecast(prompt) -> str`` is an agent. Per window (``valid``
forecasts only, see ``reward.parse_forecast``):

* ``mae``: mean absolute error of the ``horizon`` closes, in dollars;
* ``mape``: mean absolute percentage error, in percent;
* ``nmae``: MAE divided by the window's mean absolute daily change (the reward's
  scale);
* ``direction``: the reward's directional accuracy (share of horizon days on the
  right side of the last close; a flat forecast or target day counts 0.5);

and over all windows ``validity`` (share of completions that parse to a valid
forecast) and ``reward`` (the env's reward at default weights). Means of the first
four are over valid windows only, which is why validity sits beside them.

95% intervals come from a moving-block bootstrap over windows in time order, blocks
of ``horizon`` windows: consecutive windows share ``horizon - 1`` target days, so an
i.i.d. bootstrap would understate the uncertainty.
"""

from __future__ import annotations

import csv
import importlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.envs.text_forecast.data import WindowSet
from gridmarket.envs.text_forecast.reward import (
    RewardWeights,
    forecast_components,
    parse_forecast,
    score_completion,
)

METRICS: tuple[str, ...] = ("mae", "mape", "nmae", "direction", "validity", "reward")


@dataclass(frozen=True)
class ForecastEvaluation:
    """One agent on one window set: per-window values and the summary."""

    agent: str
    forecasts: np.ndarray  # (n, horizon), NaN rows where invalid
    per_window: dict[str, np.ndarray]  # metric -> (n,), NaN where undefined
    summary: dict[str, tuple[float, float, float]]  # metric -> (mean, lo, hi)


def per_window_metrics(
    completions: list[str], windows: WindowSet, weights: RewardWeights | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forecasts and the metrics of each window (see the module docstring)."""
    weights = weights or RewardWeights()
    n, h = windows.targets.shape
    forecasts = np.full((n, h), np.nan)
    values = {name: np.full(n, np.nan) for name in METRICS}
    for i, text in enumerate(completions):
        target, last, scale = (
            windows.targets[i],
            float(windows.last_close[i]),
            float(windows.scale[i]),
        )
        values["reward"][i], _ = score_completion(text, target, last, scale, weights)
        parsed = parse_forecast(text, h)
        values["validity"][i] = float(parsed.values is not None)
        if parsed.values is None:
            continue
        f = np.asarray(parsed.values)
        forecasts[i] = f
        abs_err = np.abs(f - target)
        values["mae"][i] = abs_err.mean()
        values["mape"][i] = 100.0 * (abs_err / target).mean()
        values["nmae"][i] = abs_err.mean() / scale
        _, values["direction"][i] = forecast_components(
            parsed.values, target.tolist(), last, scale, np.inf
        )
    return forecasts, values


def block_bootstrap_ci(
    values: np.ndarray,
    block: int,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """``(nanmean, lo, hi)``: a moving-block bootstrap interval of the mean.

    ``values``: shape (n,), in time order, NaN where undefined. Blocks of ``block``
    consecutive values are drawn with replacement until ``n`` values are reached.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0 or np.isnan(values).all():
        return (float("nan"),) * 3
    block = int(min(max(block, 1), n))
    n_blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, n_boot, 100):  # chunks bound the memory at 100 x n
        size = min(100, n_boot - start)
        starts = rng.integers(0, n - block + 1, size=(size, n_blocks))
        index = (starts[:, :, None] + np.arange(block)).reshape(size, -1)[:, :n]
        with warnings.catch_warnings():  # a resample of only invalid windows
            warnings.simplefilter("ignore", RuntimeWarning)
            means.append(np.nanmean(values[index], axis=1))
    boot = np.concatenate(means)
    tail = 100 * (1 - level) / 2
    lo, hi = np.nanpercentile(boot, [tail, 100 - tail])
    return float(np.nanmean(values)), float(lo), float(hi)


def evaluate_agent(
    agent: Any,
    windows: WindowSet,
    *,
    name: str | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> ForecastEvaluation:
    """Ask ``agent.forecast`` about every window and summarise the answers.

    An agent may also offer ``forecast_batch(prompts) -> list[str]`` (an LLM
    generating in batches, a model predicting in one call); it is used when present.
    """
    if not callable(getattr(agent, "forecast", None)):
        raise TypeError(
            f"agent must have a forecast(prompt) -> str method, got {type(agent).__name__}"
        )
    batch = getattr(agent, "forecast_batch", None)
    if callable(batch):
        completions = list(batch(windows.prompts))
    else:
        completions = [agent.forecast(p) for p in windows.prompts]
    forecasts, per_window = per_window_metrics(completions, windows)
    summary = {
        metric: block_bootstrap_ci(
            values, windows.horizon, n_boot=n_boot, seed=seed + k
        )
        for k, (metric, values) in enumerate(per_window.items())
    }
    return ForecastEvaluation(
        agent=name or getattr(agent, "name", type(agent).__name__),
        forecasts=forecasts,
        per_window=per_window,
        summary=summary,
    )


def load_agent(spec: str) -> Any:
    """``module:attr`` -> the object (called with no arguments when it is a class
    or a factory without a ``forecast`` method)."""
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(
            f"agent {spec!r} is neither a naive forecaster nor module:attr"
        )
    target = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type) or not callable(getattr(target, "forecast", None)):
        target = target()
    return target


def summary_rows(evaluations: list[ForecastEvaluation]) -> list[list[str]]:
    """Rows of ``agent, metric: mean [lo, hi] ...`` for a table."""
    formats = {"mape": ".2f", "direction": ".3f", "validity": ".3f", "reward": ".3f"}
    rows = []
    for e in evaluations:
        row = [e.agent]
        for metric in METRICS:
            mean, lo, hi = e.summary[metric]
            f = formats.get(metric, ".3f")
            row.append(f"{mean:{f}} [{lo:{f}}, {hi:{f}}]")
        rows.append(row)
    return rows


def write_forecasts_csv(
    evaluations: list[ForecastEvaluation], windows: WindowSet, path: Path
) -> None:
    """One row per agent and window: date, ticker, last close, forecast, target."""
    h = windows.horizon
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["agent", "ticker", "date", "last_close"]
            + [f"forecast_{k}" for k in range(1, h + 1)]
            + [f"target_{k}" for k in range(1, h + 1)]
        )
        for e in evaluations:
            for i in range(len(windows)):
                writer.writerow(
                    [e.agent, windows.ticker[i], windows.end_date[i]]
                    + [f"{windows.last_close[i]:.6f}"]
                    + [f"{v:.4f}" for v in e.forecasts[i]]
                    + [f"{v:.6f}" for v in windows.targets[i]]
                )
