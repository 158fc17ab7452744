"""TextForecast-v0 through gym.make: the contract GRPO relies on."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridmarket  # noqa: F401  (registers the ids)
from gridmarket.envs.text_forecast.reward import format_forecast, score_completion


@pytest.fixture(scope="module")
def env():
    env = gym.make(
        "TextForecast-v0",
        ticker="AAPL",
        split="train",
        window=30,
        horizon=10,
        prompt_format="compact",
        reward_weights={"format": 0.5, "error": 1.0, "direction": 1.0},
    )
    yield env
    env.close()


@pytest.mark.parametrize("prompt_format", ["seed", "compact"])
def test_check_env_passes(prompt_format):
    env = gym.make(
        "gridmarket:TextForecast-v0", prompt_format=prompt_format, split="val"
    )
    check_env(env.unwrapped, skip_render_check=True)
    assert prompt_format != "seed" or "<think>" in env.reset(seed=1)[0]


def test_reset_by_window_id_is_deterministic(env):
    u = env.unwrapped
    assert u.num_windows == len(u.windows) > 800
    first, info = env.reset(seed=0, options={"window_id": 17})
    again, info2 = env.reset(seed=99, options={"window_id": 17})
    assert first == again == info["prompt"] == info2["prompt"]
    assert info["window_id"] == 17 and info["ticker"] == "AAPL"
    assert env.observation_space.contains(first)
    other, _ = env.reset(options={"window_id": 18})
    assert other != first


def test_reset_seed_draws_windows_reproducibly(env):
    def draws(seed):
        ids = [env.reset(seed=seed)[1]["window_id"]]
        ids += [env.reset()[1]["window_id"] for _ in range(20)]
        return ids

    a, b = draws(3), draws(3)
    assert a == b
    assert draws(4) != a
    assert len(set(a)) > 10


def test_step_reports_each_component_and_terminates(env):
    _, info = env.reset(options={"window_id": 5})
    u = env.unwrapped
    target = u.windows.targets[5]
    _, reward, terminated, truncated, step_info = env.step(format_forecast(target))
    assert terminated and not truncated and isinstance(reward, float)
    assert step_info["format"] == 1.0 and step_info["status"] == "ok"
    assert step_info["error"] == pytest.approx(0.0, abs=0.01)
    assert step_info["direction"] == 1.0
    assert step_info["forecast"] == pytest.approx(target, abs=0.005)
    assert reward == pytest.approx(0.5 + step_info["error"] + 1.0)
    assert step_info["window_id"] == 5 and step_info["prompt"] == info["prompt"]

    env.reset(options={"window_id": 5})
    _, bad_reward, _, _, bad = env.step("no idea")
    assert (bad["status"], bad_reward) == ("no_numbers", -10.0)


def test_env_reward_is_the_pure_function(env):
    u = env.unwrapped
    text = "<answer>" + ", ".join(["120"] * 10) + "</answer>"
    for window_id in (0, 300, u.num_windows - 1):
        env.reset(options={"window_id": window_id})
        _, reward, _, _, _ = env.step(text)
        expected, _ = score_completion(
            text,
            u.windows.targets[window_id],
            u.windows.last_close[window_id],
            u.windows.scale[window_id],
            {"format": 0.5},
        )
        assert reward == expected


def test_group_of_episodes_shares_one_prompt(env):
    prompts = {env.reset(options={"window_id": 42})[0] for _ in range(8)}
    assert len(prompts) == 1


def test_bad_window_id_is_named(env):
    with pytest.raises(
        ValueError, match=r"window_id'\] must be an int in \[0, \d+\), got 100000"
    ):
        env.reset(options={"window_id": 100000})
    with pytest.raises(ValueError, match=r"got 'a'"):
        env.reset(options={"window_id": "a"})


def test_all_tickers_pool_every_ticker():
    env = gym.make(
        "TextForecast-v0",
        ticker="all",
        split="test",
        window=30,
        prompt_format="compact",
    )
    tickers = set(env.unwrapped.windows.ticker.tolist())
    assert len(tickers) == 88
    assert np.all(np.isfinite(env.unwrapped.windows.features))


def test_render_ansi_shows_the_forecast():
    env = gym.make("TextForecast-v0", split="test", render_mode="ansi")
    env.reset(options={"window_id": 0})
    env.step("<answer>" + ", ".join(["150"] * 10) + "</answer>")
    text = env.render()
    assert "status: ok" in text and "forecast: (150.0" in text
