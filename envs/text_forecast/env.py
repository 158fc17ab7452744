"""TextForecast-v0: the Gymnasium adapter over ``data`` and ``reward``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gridmarket.envs.text_forecast import data, prompts
from gridmarket.envs.text_forecast.reward import RewardWeights, score_completion

MAX_COMPLETION_CHARS = 4096


class TextForecastEnv(gym.Env[str, str]):
    """
    ## Description

    An agent reads a prompt describing ``window`` trading days of one StockNet stock
    (the closes, 14 TA-Lib indicators and window statistics on the last day) and
    answers with a completion that forecasts the next ``horizon`` closes. One step
    per episode, so a group of completions for one prompt (GRPO) is a group of
    episodes reset to the same ``window_id``.

    ## Action Space

    ``Text(max_length=4096, charset=string.printable)``: the completion. Any string
    is accepted (longer or non-ASCII text too); the forecast is read from the last
    ``<answer>...</answer>`` block, see ``reward.py``.

    ## Observation Space

    ``Text(max_length=prompts.max_prompt_chars(window, prompt_format), min_length=1,
    charset=string.printable)``: the prompt, in the ``"seed"`` (instruction style,
    about 2,100 characters at window 50) or ``"compact"`` (about 800) format. After
    the step the observation is the same prompt.

    ## Rewards

    ``w_format * format + w_error * error + w_direction * direction``, with
    ``format`` 1 for exactly ``horizon`` finite positive numbers (else 0),
    ``error = -min(MAE / scale, error_cap)`` where ``scale`` is the window's mean
    absolute daily change, and ``direction`` the share of horizon days on which the
    forecast sits on the right side of the last close. Invalid answers score
    ``(0, -error_cap, 0)``. Defaults: weights 1, ``error_cap`` 10.

    ## Starting State

    ``reset(options={"window_id": i})`` picks window ``i`` of the split
    (deterministic); otherwise a window is drawn uniformly with ``self.np_random``,
    so ``reset(seed=s)`` is reproducible. ``env.unwrapped.num_windows`` counts them.

    ## Episode End

    ``terminated`` is True after the single step; ``truncated`` is always False.

    ## Info

    ``reset``: ``prompt``, ``window_id``, ``ticker``, ``date`` (the last day of the
    history). ``step``: also ``format``, ``error``, ``direction`` (the unweighted
    components), ``status`` (how parsing went), ``forecast`` (tuple of floats or
    None), ``target`` (the true closes) and ``last_close``.

    ## Arguments

    ``ticker`` ("AAPL", a list, or "all"), ``split`` ("train", "val", "test"),
    ``window`` (history days, 8..500, default 50), ``horizon`` (default 10),
    ``prompt_format`` ("seed" or "compact"), ``reward_weights`` (a dict with keys
    ``format``, ``error``, ``direction``, ``error_cap``), ``split_spec``
    (``data.SplitSpec``), ``cache_dir`` and ``use_cache`` (the disk cache of
    processed windows).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        ticker: str | list[str] = "AAPL",
        split: str = "train",
        window: int = 50,
        horizon: int = 10,
        prompt_format: str = "seed",
        reward_weights: Mapping[str, float] | None = None,
        split_spec: data.SplitSpec | None = None,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of "
                f"{self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.weights = RewardWeights.from_mapping(reward_weights)
        self.windows = data.load_window_set(
            ticker,
            split,
            window=window,
            horizon=horizon,
            prompt_format=prompt_format,
            spec=split_spec or data.SplitSpec(),
            cache_dir=cache_dir,
            use_cache=use_cache,
        )
        self.horizon = horizon
        self.num_windows = len(self.windows)
        self.observation_space = spaces.Text(
            max_length=prompts.max_prompt_chars(window, prompt_format),
            min_length=1,
            charset=prompts.PROMPT_CHARSET,
        )
        self.action_space = spaces.Text(
            max_length=MAX_COMPLETION_CHARS, charset=prompts.PROMPT_CHARSET
        )
        # Plain Python lists: indexing them is several times cheaper than numpy
        # scalars on the one-step hot path.
        self._targets = self.windows.targets.tolist()
        self._last_close = self.windows.last_close.tolist()
        self._scale = self.windows.scale.tolist()
        self._window_id: int | None = None
        self._last_info: dict[str, Any] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        window_id = (options or {}).get("window_id")
        if window_id is None:
            window_id = int(self.np_random.integers(self.num_windows))
        elif (
            isinstance(window_id, bool)
            or not isinstance(window_id, int | np.integer)
            or not 0 <= window_id < self.num_windows
        ):
            raise ValueError(
                f"options['window_id'] must be an int in [0, {self.num_windows}), "
                f"got {window_id!r}"
            )
        self._window_id = i = int(window_id)
        prompt = self.windows.prompts[i]
        info = {
            "prompt": prompt,
            "window_id": i,
            "ticker": str(self.windows.ticker[i]),
            "date": str(self.windows.end_date[i]),
        }
        self._last_info = info
        return prompt, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        i = self._window_id
        if i is None:
            raise RuntimeError("TextForecastEnv.step() called before reset()")
        reward, parts = score_completion(
            action, self._targets[i], self._last_close[i], self._scale[i], self.weights
        )
        info = {**self._last_info, **parts}
        info["target"] = self._targets[i]
        info["last_close"] = self._last_close[i]
        self._last_info = info
        return self.windows.prompts[i], reward, True, False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        info = self._last_info
        text = info.get("prompt", "")
        if "status" in info:
            text += (
                f"\n\nforecast: {info['forecast']}\ntarget: {info['target']}\n"
                f"status: {info['status']}, format {info['format']}, "
                f"error {info['error']:.3f}, direction {info['direction']:.2f}"
            )
        return text
