"""Nothing after a window's last day reaches its prompt or features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gridmarket.envs.text_forecast import data


@pytest.mark.parametrize("prompt_format", ["seed", "compact"])
def test_rewriting_every_later_price_leaves_the_prompt_byte_identical(prompt_format):
    prices = data.load_prices("AAPL")
    window, horizon = 30, 10
    original = data.build_ticker_windows(prices, window, horizon, prompt_format)
    rng = np.random.default_rng(0)
    for row in (0, 100, len(original.prompts) - 1):
        t = int(original.forecast_day[row])
        later = slice(t + 1, None)
        noise = {
            name: getattr(prices, name).copy()
            for name in ("open", "high", "low", "close", "volume")
        }
        for values in noise.values():
            values[later] = values[later] * rng.uniform(0.5, 2.0, values[later].size)
        changed = data.build_ticker_windows(
            dataclasses.replace(prices, **noise), window, horizon, prompt_format
        )
        assert changed.prompts[row].encode() == original.prompts[row].encode()
        np.testing.assert_array_equal(changed.features[row], original.features[row])
        assert not np.array_equal(changed.targets[row], original.targets[row])


def test_changing_the_last_day_of_the_window_changes_its_prompt():
    """The control: the test above would notice a change the prompt depends on."""
    prices = data.load_prices("AAPL")
    original = data.build_ticker_windows(prices, 30, 10, "compact")
    t = int(original.forecast_day[50])
    close = prices.close.copy()
    close[t] *= 1.05
    changed = data.build_ticker_windows(
        dataclasses.replace(prices, close=close), 30, 10, "compact"
    )
    assert changed.prompts[50] != original.prompts[50]
    assert changed.prompts[49] == original.prompts[49]
