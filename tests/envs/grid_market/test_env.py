"""GridMarketEnv: Gymnasium checks, the contract, rewards, modes, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridmarket  # noqa: F401  (registers the ids)
from gridmarket.envs.grid_market import GridMarketEnv
from gridmarket.oracles import SCENARIOS, load_oracle

pytestmark = pytest.mark.filterwarnings("ignore:.*symmetric and normalized.*")


def run_episode(env, actions):
    obs, _ = env.reset(seed=0)
    out = [obs]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        out.append(obs)
    return np.stack(out), reward, terminated, truncated, info


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_check_env_passes(scenario):
    made = gym.make("GridMarket-v0", scenario=scenario, render_mode="rgb_array")
    check_env(made.unwrapped)  # with a spec, so alternative render modes are checked
    check_env(
        GridMarketEnv(scenario=scenario, ood_mode="penalty", horizon=3),
        skip_render_check=True,
    )


def test_registered_and_made_by_id():
    env = gym.make("GridMarket-v0")
    assert isinstance(env.unwrapped, GridMarketEnv)
    assert env.unwrapped.scenario == "gfc-2007"
    spec = gym.spec("GridMarket-v0")
    assert spec.entry_point == "gridmarket.envs.grid_market.env:GridMarketEnv"
    assert (
        spec.vector_entry_point
        == "gridmarket.envs.grid_market.vector:GridMarketVectorEnv"
    )
    assert spec.max_episode_steps is None
    env = gym.make("gridmarket:GridMarket-v0", scenario="dotcom-2001", horizon=4)
    assert env.unwrapped.max_trajectory_length == 4


def test_contract_attributes_and_spaces():
    env = GridMarketEnv(scenario="inflation-2022", horizon=7)
    oracle = load_oracle("inflation-2022")
    assert env.max_trajectory_length == 7
    np.testing.assert_allclose(env.state_low, oracle.feature_range[:, 0], atol=1e-4)
    np.testing.assert_allclose(env.state_high, oracle.feature_range[:, 1], atol=1e-4)
    assert env.oracle.scenario == "inflation-2022"
    assert env.action_space == gym.spaces.Box(-30, 30, (6,), np.float32)
    space = env.observation_space
    assert space.shape == (7,) and space.dtype == np.float32
    assert (space.low[0], space.high[0]) == (0.0, 7.0)
    np.testing.assert_array_equal(space.low[1:], env.state_low)
    penalty = GridMarketEnv(ood_mode="penalty")
    np.testing.assert_array_equal(penalty.state_low, -1000.0)
    np.testing.assert_array_equal(penalty.observation_space.high[1:], 1000.0)


def test_start_is_the_real_initial_month_and_deterministic():
    env = GridMarketEnv(scenario="gfc-2007")
    obs, info = env.reset(seed=1)
    assert obs.dtype == np.float32 and info == {}
    assert obs[0] == 0.0
    np.testing.assert_allclose(obs[1:], env.oracle.initial_state, rtol=1e-6)
    assert env.oracle.initial_month == "2007-01"
    np.testing.assert_array_equal(env.reset(seed=99)[0], obs)
    np.testing.assert_array_equal(env.reset()[0], obs)


@pytest.mark.parametrize("temperature", [1.0, 0.25])
def test_terminal_reward_is_the_log_reward(temperature):
    env = GridMarketEnv(
        scenario="dotcom-2001", horizon=5, reward_temperature=temperature
    )
    actions = np.random.default_rng(3).uniform(-30, 30, (5, 6)).astype(np.float32)
    obs, _ = env.reset()
    for step, action in enumerate(actions, start=1):
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs[0] == step and truncated is False
        assert terminated is (step == 5)
        if not terminated:
            assert reward == 0.0 and info == {}
    pred = env.oracle.predict(obs[None, 1:].astype(np.float64))[0]
    assert info["predicted_return"] == pytest.approx(pred)
    assert info["log_reward"] == pytest.approx(np.logaddexp(0, -pred) / temperature)
    assert reward == info["log_reward"] and isinstance(reward, float)
    with pytest.raises(RuntimeError, match="finished or un-reset"):
        env.step(actions[0])


def test_clip_mode_keeps_states_in_the_training_box():
    env = GridMarketEnv(scenario="inflation-2022", horizon=12)
    states, *_ = run_episode(env, [np.full(6, 30.0, np.float32)] * 12)
    assert np.all(states[:, 1:] <= env.state_high) and np.all(
        states[:, 1:] >= env.state_low
    )
    np.testing.assert_allclose(states[-1, 1:], env.state_high)
    assert all(env.observation_space.contains(s) for s in states)


@pytest.mark.parametrize("mode", ["penalty", "clip+penalty"])
def test_penalty_modes_subtract_the_ood_penalty(mode):
    env = GridMarketEnv(scenario="gfc-2007", horizon=6, ood_mode=mode, ood_penalty=0.5)
    states, reward, terminated, _, info = run_episode(
        env, [np.full(6, 30.0, np.float32)] * 6
    )
    x = states[-1:, 1:].astype(np.float64)
    if mode == "penalty":
        assert np.any(x > 100.0)  # free to leave the training box
    ood = env.oracle.ood_distance(x)[0]
    assert ood > 0 and info["ood_distance"] == pytest.approx(ood)
    pred = env.oracle.predict(x)[0]
    assert reward == pytest.approx(np.logaddexp(0, -pred) - 0.5 * ood)


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (np.array([0, np.nan, 0, 0, 0, 0]), "not finite"),
        (np.array([0, 0, -np.inf, 0, 0, 0]), "not finite"),
        (np.array([0, 0, 0, 0, 0, 45.0]), r"outside the action range \[-30, 30\]"),
        (np.zeros(7), r"shape \(6,\)"),
    ],
)
def test_bad_actions_are_refused(action, match):
    env = GridMarketEnv()
    env.reset()
    with pytest.raises(ValueError, match=match):
        env.step(action)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"scenario": "covid-2020"},
            ValueError,
            r"\['dotcom-2001', 'gfc-2007', 'inflation-2022', 'synthetic-modes'\]",
        ),
        ({"horizon": 0}, ValueError, "horizon"),
        ({"reward_temperature": -1.0}, ValueError, "reward_temperature"),
        ({"ood_mode": "none"}, ValueError, "ood_mode"),
        ({"ood_penalty": float("inf")}, ValueError, "ood_penalty"),
        ({"render_mode": "ansi"}, ValueError, "render_mode"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        GridMarketEnv(**kwargs)
    with pytest.raises(error, match=match):
        gym.make("GridMarket-v0", **kwargs)


def test_step_before_reset_and_reset_options():
    env = GridMarketEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(6, np.float32))
    with pytest.raises(ValueError, match="no options"):
        env.reset(options={"month": "2008-01"})


def test_render_rgb_array_is_a_fan_chart_of_the_path():
    env = GridMarketEnv(scenario="gfc-2007", horizon=3, render_mode="rgb_array")
    assert env.render() is None  # nothing to draw before reset
    env.reset()
    env.step(np.full(6, -10.0, np.float32))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.std() > 0
    assert GridMarketEnv().render() is None
