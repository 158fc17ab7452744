"""Naive forecasters on a tiny hand-computed series, and learned ones on data
whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.text_forecast import baselines, prompts
from gridmarket.envs.text_forecast.features import FEATURE_NAMES
from gridmarket.envs.text_forecast.reward import parse_forecast


def tiny_prompt(closes, horizon=3, prompt_format="compact", **features):
    values = dict.fromkeys(FEATURE_NAMES, 0.0) | features
    return prompts.render_prompt(
        prompt_format,
        ticker="TOY",
        last_date="2017-01-02",
        closes=[f"{c:.2f}" for c in closes],
        features=values,
        horizon=horizon,
    )


CLOSES = [10.0, 11.0, 12.0, 13.0, 15.0]


@pytest.mark.parametrize("prompt_format", ["seed", "compact"])
def test_rule_forecasters_by_hand(prompt_format):
    prompt = tiny_prompt(CLOSES, prompt_format=prompt_format)
    assert baselines.prompt_horizon(prompt) == 3
    expected = {
        "persistence": "<answer>15.00, 15.00, 15.00</answer>",
        "drift": "<answer>16.25, 17.50, 18.75</answer>",  # (15 - 10) / 4 per day
    }
    for name, answer in expected.items():
        assert baselines.NAIVE_FORECASTERS[name]().forecast(prompt) == answer
    assert baselines.MovingAverage(3).forecast(prompt) == (
        "<answer>13.33, 13.33, 13.33</answer>"
    )


def test_moving_average_default_period_is_ten():
    closes = np.arange(1.0, 21.0)
    answer = baselines.MovingAverage().forecast(tiny_prompt(closes, horizon=2))
    assert answer == "<answer>15.50, 15.50</answer>"  # mean of 11..20


def synthetic_windows(n, horizon, seed):
    """Prompts with random features whose next returns are linear in rsi and
    macd, read back from the prompt text as the forecasters will read them."""
    rng = np.random.default_rng(seed)
    texts, targets = [], []
    for _ in range(n):
        closes = 50 + np.cumsum(rng.normal(0, 1, 12))
        text = tiny_prompt(
            closes, horizon=horizon, rsi=rng.uniform(10, 90), macd=rng.normal(0, 1)
        )
        history, feats = prompts.parse_prompt(text)
        days = np.arange(1, horizon + 1)
        returns = (
            0.002 * (feats["rsi"] - 50) * days / horizon
            + 0.01 * feats["macd"] / history[-1]
        )
        texts.append(text)
        targets.append(history[-1] * (1 + returns))
    return texts, np.array(targets)


def test_linear_regression_recovers_a_linear_rule():
    texts, targets = synthetic_windows(120, 4, seed=0)
    model = baselines.linear_regression().fit(texts, targets)
    test_texts, test_targets = synthetic_windows(20, 4, seed=1)
    for text, target in zip(test_texts, test_targets, strict=True):
        parsed = parse_forecast(model.forecast(text), 4)
        assert parsed.status == "ok"
        np.testing.assert_allclose(parsed.values, target, atol=0.006)  # cents


def test_gradient_boosting_beats_persistence_on_a_learnable_rule():
    texts, targets = synthetic_windows(300, 3, seed=2)
    model = baselines.gradient_boosting(seed=0, max_iter=60).fit(texts, targets)
    test_texts, test_targets = synthetic_windows(60, 3, seed=3)
    persistence = baselines.Persistence()

    def mae(agent):
        errors = [
            np.abs(np.array(parse_forecast(agent.forecast(t), 3).values) - y).mean()
            for t, y in zip(test_texts, test_targets, strict=True)
        ]
        return float(np.mean(errors))

    assert mae(model) < 0.3 * mae(persistence)


def test_unfitted_learned_forecaster_says_so():
    with pytest.raises(RuntimeError, match="linear_regression: call fit"):
        baselines.linear_regression().forecast(tiny_prompt(CLOSES))
