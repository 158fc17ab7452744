"""The pipeline's comparison: forecast errors, bootstrap intervals, and the naive
forecasters on the real TextForecast-v0 test split (no Ray)."""

import gymnasium as gym
import numpy as np
import pytest

import gridmarket  # noqa: F401
from gridmarket.grpo_pipeline.baselines import PersistenceForecaster, naive_forecasters
from gridmarket.grpo_pipeline.compare import (
    bootstrap_interval,
    comparison_table,
    forecast_errors,
    score_forecaster,
)


def test_forecast_errors_by_hand():
    info = {"forecast": (10.0, 12.0), "target": [11.0, 10.0]}
    errors = forecast_errors(info)
    assert errors["mae"] == pytest.approx(1.5)
    assert errors["mape"] == pytest.approx((1 / 11 + 2 / 10) / 2 * 100)
    assert np.isnan(forecast_errors({"forecast": None, "target": [1.0]})["mae"])
    assert forecast_errors({"format": 1.0}) == {}


def test_bootstrap_interval_brackets_the_mean_and_drops_nan():
    rng = np.random.default_rng(0)
    mean, lo, hi = bootstrap_interval(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), rng)
    assert mean == pytest.approx(2.5)
    assert 1.0 <= lo < 2.5 < hi <= 4.0
    assert bootstrap_interval(np.array([2.0, 2.0]), rng) == (2.0, 2.0, 2.0)


def test_persistence_on_the_test_split_is_valid_and_scored_against_truth():
    env = gym.make(
        "gridmarket:TextForecast-v0",
        ticker="AAPL",
        split="test",
        window=20,
        prompt_format="compact",
    )
    windows = np.arange(0, env.unwrapped.num_windows, 20)
    agents = naive_forecasters(("persistence", "drift"), env.unwrapped.horizon)
    assert list(agents) == ["persistence", "drift"]
    scores = {name: score_forecaster(a, env, windows) for name, a in agents.items()}
    persistence = scores["persistence"]
    assert np.all(persistence["format"] == 1.0)
    # persistence's MAE is the mean |last close - future close|, recomputed here
    first = int(windows[0])
    prompt, _ = env.reset(options={"window_id": first})
    info = env.step(PersistenceForecaster(env.unwrapped.horizon).forecast(prompt))[-1]
    expected = np.mean(np.abs(info["last_close"] - np.asarray(info["target"])))
    assert persistence["mae"][0] == pytest.approx(expected, rel=1e-3)
    rows = comparison_table(scores)
    assert [r["agent"] for r in rows] == ["persistence", "drift"]
    assert rows[0]["mae_lo"] <= rows[0]["mae"] <= rows[0]["mae_hi"]
    with pytest.raises(ValueError, match="unknown naive forecasters"):
        naive_forecasters(("oracle",), 10)
