"""A tiny text env with TextForecast-v0's contract, for GRPO's own tests.

One step per episode: the prompt lists a few numbers of a window; the reward is
the share of the completion's characters that are digits, dots or spaces
(``numeric_share``), plus 1 when the whole completion is a well-formed list of
exactly ``horizon`` numbers (``format_valid``).
"""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class StandInForecastEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, num_windows: int = 16, horizon: int = 3, **_: object) -> None:
        self.num_windows = num_windows
        self.horizon = horizon
        self.observation_space = gym.spaces.Text(max_length=256)
        self.action_space = gym.spaces.Text(max_length=256)
        self._window = 0

    def prompt(self, window_id: int) -> str:
        rng = np.random.default_rng(window_id)
        values = " ".join(f"{v:.1f}" for v in 100 + rng.normal(0, 5, 6).cumsum())
        return f"Closes: {values}. Next {self.horizon} closes:"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        options = options or {}
        if "window_id" in options:
            self._window = int(options["window_id"])
        else:
            self._window = int(self.np_random.integers(self.num_windows))
        prompt = self.prompt(self._window)
        return prompt, {"prompt": prompt, "window_id": self._window}

    def step(self, action: str):
        text = action.strip()
        share = sum(c in "0123456789. " for c in text) / max(1, len(text))
        parts = text.split()
        valid = len(parts) == self.horizon and all(NUMBER.match(p) for p in parts)
        reward = float(share + valid)
        info = {"numeric_share": share, "format_valid": float(valid)}
        return self.prompt(self._window), reward, True, False, info


gym.register("StandInForecast-v0", entry_point=StandInForecastEnv)
