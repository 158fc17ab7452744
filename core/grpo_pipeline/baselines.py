"""Naive forecasters for the comparison, speaking TextForecast-v0's API
(``forecast(prompt) -> completion``). Persistence leads: most published price
forecasters fail to beat it.

TextForecast-v0's own forecasters (issue 9, section 3) are not in the env package
yet; these two read the closes back from the prompt with the env's own parser.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.text_forecast.prompts import parse_prompt
from gridmarket.envs.text_forecast.reward import format_forecast


class PersistenceForecaster:
    """The last close, repeated ``horizon`` times."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon

    def forecast(self, prompt: str) -> str:
        closes, _ = parse_prompt(prompt)
        return format_forecast([closes[-1]] * self.horizon)


class DriftForecaster:
    """The last close plus the window's mean daily change per day ahead."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon

    def forecast(self, prompt: str) -> str:
        closes, _ = parse_prompt(prompt)
        drift = float(np.mean(np.diff(closes))) if len(closes) > 1 else 0.0
        return format_forecast(
            [closes[-1] + drift * (h + 1) for h in range(self.horizon)]
        )


NAIVE_FORECASTERS = {"persistence": PersistenceForecaster, "drift": DriftForecaster}


def naive_forecasters(names: tuple[str, ...], horizon: int) -> dict[str, object]:
    """The named forecasters, in the given order."""
    unknown = [n for n in names if n not in NAIVE_FORECASTERS]
    if unknown:
        raise ValueError(
            f"unknown naive forecasters {unknown}; allowed {sorted(NAIVE_FORECASTERS)}"
        )
    return {name: NAIVE_FORECASTERS[name](horizon) for name in names}
