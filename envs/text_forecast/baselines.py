"""Naive forecasters: agents that read only the prompt and answer a completion.

Each has ``forecast(prompt) -> str``, the whole agent interface of
``TextForecast-v0`` and ``gridmarket evaluate-forecast``; an LLM wrapper needs
nothing more. They parse the closes and features written in the prompt
(``prompts.parse_prompt``), so they see exactly what a language model sees, closes
rounded to cents included.

* ``persistence``: the last close, repeated. The bar most published price
  forecasters fail to clear, so it leads every table.
* ``drift``: the last close plus ``k`` times the window's mean daily change.
* ``moving_average``: the mean of the last ``period`` closes, repeated.
* ``linear_regression`` and ``gradient_boosting`` (scikit-learn): fitted on the
  train split's prompts, mapping the prompt's features (price-like ones as ratios
  to the last close) and the last five daily returns to the next ``horizon``
  returns relative to the last close.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from gridmarket.envs.text_forecast.features import FEATURE_NAMES
from gridmarket.envs.text_forecast.prompts import parse_prompt
from gridmarket.envs.text_forecast.reward import format_forecast

_HORIZON = re.compile(r"next (\d+) (?:closes|closing prices|trading days)")
_PRICE_LIKE = frozenset(
    {"sma", "ema", "bb_upper", "bb_middle", "bb_lower", "min", "max", "mean", "median"}
)
_PRICE_DIFF = frozenset({"mom", "macd", "macd_signal", "trend"})
N_RECENT_RETURNS = 5


class Forecaster(Protocol):
    """Anything that answers a prompt with a completion."""

    def forecast(self, prompt: str) -> str: ...


def prompt_horizon(prompt: str) -> int:
    """The number of closes a prompt asks for."""
    match = _HORIZON.search(prompt)
    if match is None:
        raise ValueError("prompt does not say how many closes to forecast")
    return int(match.group(1))


class _RuleForecaster:
    """A forecaster defined by a rule on the history's closes."""

    name = "rule"

    def forecast(self, prompt: str) -> str:
        closes, _ = parse_prompt(prompt)
        return format_forecast(self.predict(np.asarray(closes), prompt_horizon(prompt)))

    def predict(self, closes: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError


class Persistence(_RuleForecaster):
    name = "persistence"

    def predict(self, closes: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, closes[-1])


class Drift(_RuleForecaster):
    name = "drift"

    def predict(self, closes: np.ndarray, horizon: int) -> np.ndarray:
        step = (closes[-1] - closes[0]) / (closes.size - 1)
        return closes[-1] + step * np.arange(1, horizon + 1)


class MovingAverage(_RuleForecaster):
    name = "moving_average"

    def __init__(self, period: int = 10) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        self.period = period

    def predict(self, closes: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, closes[-self.period :].mean())


def prompt_features(prompt: str) -> tuple[np.ndarray, float]:
    """The regression inputs of one prompt, and its last close."""
    closes, features = parse_prompt(prompt)
    last = closes[-1]
    row = []
    for name in FEATURE_NAMES:
        value = features[name]
        if name in _PRICE_LIKE:
            value = value / last - 1.0
        elif name in _PRICE_DIFF:
            value = value / last
        row.append(value)
    recent = np.asarray(closes[-N_RECENT_RETURNS - 1 :])
    row.extend((recent[1:] / recent[:-1] - 1.0).tolist())
    return np.asarray(row), last


class LearnedForecaster:
    """A scikit-learn regressor from prompt features to the next returns."""

    def __init__(self, name: str, make_model: Callable[[], object]) -> None:
        self.name = name
        self.make_model = make_model
        self.model: object | None = None
        self.horizon: int | None = None

    def fit(self, prompts: Sequence[str], targets: np.ndarray) -> LearnedForecaster:
        """Fit on prompts and their true next closes, shape (n, horizon)."""
        x, last = _feature_matrix(prompts)
        y = np.asarray(targets, dtype=np.float64) / last[:, None] - 1.0
        self.model = self.make_model()
        with _one_thread():
            self.model.fit(x, y)
        self.horizon = y.shape[1]
        return self

    def forecast(self, prompt: str) -> str:
        return self.forecast_batch([prompt])[0]

    def forecast_batch(self, prompts: Sequence[str]) -> list[str]:
        """``forecast`` of many prompts in one model call."""
        if self.model is None:
            raise RuntimeError(f"{self.name}: call fit() before forecast()")
        x, last = _feature_matrix(prompts)
        with _one_thread():
            returns = np.asarray(self.model.predict(x)).reshape(len(prompts), -1)
        return [format_forecast(row) for row in last[:, None] * (1.0 + returns)]


def _feature_matrix(prompts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    rows = [prompt_features(p) for p in prompts]
    return np.stack([r[0] for r in rows]), np.array([r[1] for r in rows])


def _one_thread():
    """scikit-learn's OpenMP threads spin badly on a shared machine; one thread
    keeps fits fast and bit-reproducible."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def linear_regression() -> LearnedForecaster:
    from sklearn.linear_model import LinearRegression

    return LearnedForecaster("linear_regression", LinearRegression)


def gradient_boosting(seed: int = 0, max_iter: int = 200) -> LearnedForecaster:
    """One histogram gradient-boosting model per horizon day (scikit-learn)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.multioutput import MultiOutputRegressor

    def make():
        return MultiOutputRegressor(
            HistGradientBoostingRegressor(
                max_iter=max_iter,
                learning_rate=0.05,
                max_leaf_nodes=15,
                random_state=seed,
            )
        )

    return LearnedForecaster("gradient_boosting", make)


NAIVE_FORECASTERS: dict[str, Callable[[], Forecaster]] = {
    "persistence": Persistence,
    "drift": Drift,
    "moving_average": MovingAverage,
    "linear_regression": linear_regression,
    "gradient_boosting": gradient_boosting,
}
NEEDS_FIT = frozenset({"linear_regression", "gradient_boosting"})
