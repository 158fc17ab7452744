"""Prompt formats, and the parser that reads a prompt back into numbers.

Two formats, both printable ASCII:

* ``"seed"``: the seed pipeline's style, an instruction prompt that lists the
  history, each indicator with its meaning, the window statistics, and asks for the
  next ``horizon`` closes inside ``<answer>...</answer>`` after reasoning in
  ``<think>...</think>``.
* ``"compact"``: the same numbers in a few short lines, for small models and short
  context windows.

Both write every feature as ``name: value`` or ``name=value`` with the names of
``features.FEATURE_NAMES``, and the closes on one line, so :func:`parse_prompt`
reads either format back. The naive forecasters see only the prompt, like any agent.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence

from gridmarket.envs.text_forecast.features import FEATURE_NAMES, STATISTIC_NAMES

PROMPT_FORMATS: tuple[str, ...] = ("seed", "compact")
PROMPT_CHARSET: str = string.printable

_DESCRIPTIONS = {
    "sma": "10-day simple moving average",
    "ema": "10-day exponential moving average",
    "mom": "10-day momentum, close minus close 10 days earlier",
    "stoch_k": "stochastic oscillator slow %K, 14 and 3 days",
    "stoch_d": "stochastic oscillator slow %D, 3-day mean of %K",
    "rsi": "14-day relative strength index",
    "macd": "MACD line, 12-day EMA minus 26-day EMA",
    "macd_signal": "MACD signal line, 9-day EMA of MACD",
    "willr": "14-day Williams %R",
    "cci": "14-day commodity channel index",
    "adx": "14-day average directional index",
    "bb_upper": "upper Bollinger band, 20 days, 2 std",
    "bb_middle": "middle Bollinger band, 20-day average",
    "bb_lower": "lower Bollinger band, 20 days, 2 std",
    "min": "lowest close",
    "min_t": "day of the lowest close, 0 = oldest",
    "max": "highest close",
    "max_t": "day of the highest close",
    "mean": "mean close",
    "median": "median close",
    "median_t": "day of the close nearest the median",
    "trend": "least-squares slope of the closes, price per day",
    "lag1_corr": "correlation of daily changes with the previous day's",
    "lag2_corr": "correlation of daily changes with those 2 days earlier",
    "lag3_corr": "correlation of daily changes with those 3 days earlier",
}
_DAY_FEATURES = {"min_t", "max_t", "median_t"}


def max_prompt_chars(window: int, prompt_format: str) -> int:
    """The stated maximum prompt length, the ``Text`` observation space's bound.

    Closes are written with 2 decimals; 12 characters per close covers prices up to
    10^8, far above any StockNet price. Rendering raises if a prompt exceeds it.
    """
    check_format(prompt_format)
    return {"seed": 2600, "compact": 700}[prompt_format] + 12 * window


def check_format(prompt_format: str) -> None:
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(
            f"prompt_format must be one of {PROMPT_FORMATS}, got {prompt_format!r}"
        )


def _value(name: str, value: float) -> str:
    """Days as integers, prices (|v| >= 100) with 2 decimals, the rest 4 digits."""
    if name in _DAY_FEATURES:
        return str(int(value))
    return f"{value:.2f}" if abs(value) >= 100 else f"{value:.4g}"


def render_prompt(
    prompt_format: str,
    *,
    ticker: str,
    last_date: str,
    closes: Sequence[str],
    features: Mapping[str, float],
    horizon: int,
) -> str:
    """One prompt. ``closes``: the window's closes already formatted (oldest
    first); ``features``: every name of ``FEATURE_NAMES`` -> value on the window's
    last day."""
    n = len(closes)
    if prompt_format == "compact":
        indicators = " ".join(
            f"{k}={_value(k, features[k])}"
            for k in FEATURE_NAMES
            if k not in STATISTIC_NAMES
        )
        stats = " ".join(f"{k}={_value(k, features[k])}" for k in STATISTIC_NAMES)
        text = (
            f"{ticker} daily closes, {n} days to {last_date}, oldest first.\n"
            f"closes: {' '.join(closes)}\n"
            f"indicators: {indicators}\n"
            f"stats: {stats}\n"
            f"Forecast the next {horizon} closes as <answer>c1, ..., c{horizon}</answer>."
        )
    elif prompt_format == "seed":
        lines = "\n".join(
            f"- {k} ({_DESCRIPTIONS[k]}): {_value(k, features[k])}"
            for k in FEATURE_NAMES
        )
        text = (
            "You are a financial analyst forecasting daily stock prices.\n"
            f"Stock: {ticker}. The history below covers {n} trading days, the last "
            f"one on {last_date}.\n\n"
            f"Closing prices (oldest to newest): {', '.join(closes)}\n\n"
            "Technical indicators and statistics on the last day of the history:\n"
            f"{lines}\n\n"
            f"Forecast the closing prices of the next {horizon} trading days. Think "
            "step by step inside <think>...</think>, then give exactly "
            f"{horizon} numbers, oldest first, separated by commas, inside "
            "<answer>...</answer>."
        )
    else:
        check_format(prompt_format)
    return text


_CLOSES_LINE = re.compile(r"^(?:closes|Closing prices[^:]*):\s*(.+)$", re.M)
_FEATURE = re.compile(
    r"(?<![\w])(" + "|".join(sorted(FEATURE_NAMES, key=len, reverse=True)) + r")"
    r"(?:\s*\([^)]*\))?\s*[:=]\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf)"
)


def parse_prompt(prompt: str) -> tuple[list[float], dict[str, float]]:
    """The closes (oldest first) and features written in a prompt of either
    format. Raises ValueError naming what is missing."""
    match = _CLOSES_LINE.search(prompt)
    if match is None:
        raise ValueError("prompt has no 'closes:' or 'Closing prices ...:' line")
    closes = [float(v) for v in re.split(r"[,\s]+", match.group(1).strip()) if v]
    features = {name: float(value) for name, value in _FEATURE.findall(prompt)}
    missing = [k for k in FEATURE_NAMES if k not in features]
    if missing:
        raise ValueError(f"prompt lacks features {missing}")
    return closes, features
