"""GridMarketVectorEnv: the check_env equivalent for the native vector env.

Spaces contain the observations, step/reset shapes, NEXT_STEP autoreset, determinism
under seeds, one oracle call per terminating step, and equality with single envs.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import gridmarket  # noqa: F401  (registers the ids)
from gridmarket.envs.grid_market import GridMarketEnv, GridMarketVectorEnv

B = 5


def make(**kwargs) -> GridMarketVectorEnv:
    env = gym.make_vec(
        "GridMarket-v0", num_envs=B, vectorization_mode="vector_entry_point", **kwargs
    )
    assert isinstance(env, GridMarketVectorEnv)
    return env


def actions_for(seed: int, steps: int) -> np.ndarray:
    return (
        np.random.default_rng(seed).uniform(-30, 30, (steps, B, 6)).astype(np.float32)
    )


def test_spaces_shapes_and_contract_attributes():
    env = make(scenario="dotcom-2001", horizon=4)
    single = GridMarketEnv(scenario="dotcom-2001", horizon=4)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert env.single_observation_space == single.observation_space
    assert env.single_action_space == single.action_space
    assert env.observation_space.shape == (B, 7) and env.action_space.shape == (B, 6)
    assert env.max_trajectory_length == 4
    np.testing.assert_array_equal(env.state_low, single.state_low)
    np.testing.assert_array_equal(env.state_high, single.state_high)
    assert env.oracle is single.oracle  # one shared, read-only oracle per scenario
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == (B, 7) and info == {}
    assert env.observation_space.contains(obs)
    obs, rewards, terminated, truncated, infos = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs)
    assert rewards.shape == (B,) and rewards.dtype == np.float64
    assert terminated.dtype == bool and truncated.dtype == bool and not truncated.any()
    assert infos == {}


@pytest.mark.parametrize("mode", ["clip", "penalty"])
def test_equal_to_single_envs_through_autoreset(mode):
    horizon, steps = 3, 9  # two full episodes and the autoreset steps between them
    env = make(scenario="inflation-2022", horizon=horizon, ood_mode=mode)
    singles = [GridMarketEnv(scenario="inflation-2022", horizon=horizon, ood_mode=mode)]
    singles += [
        GridMarketEnv(scenario="inflation-2022", horizon=horizon, ood_mode=mode)
        for _ in range(B - 1)
    ]
    obs, _ = env.reset(seed=0)
    single_obs = np.stack([s.reset(seed=0)[0] for s in singles])
    np.testing.assert_array_equal(obs, single_obs)
    restart = np.zeros(B, dtype=bool)
    for actions in actions_for(1, steps):
        obs, rewards, terminated, _, infos = env.step(actions)
        for i, single in enumerate(singles):
            if restart[i]:
                expected_obs, expected_reward, expected_term, info = (
                    single.reset()[0],
                    0.0,
                    False,
                    {},
                )
            else:
                expected_obs, expected_reward, expected_term, _, info = single.step(
                    actions[i]
                )
            np.testing.assert_array_equal(obs[i], expected_obs)
            assert rewards[i] == pytest.approx(expected_reward, abs=1e-12)
            assert terminated[i] == expected_term
            for key, value in info.items():
                assert infos[f"_{key}"][i] and infos[key][i] == pytest.approx(value)
        restart = terminated


def test_next_step_autoreset_ignores_actions_and_returns_zero_reward():
    env = make(scenario="gfc-2007", horizon=2)
    start, _ = env.reset(seed=3)
    for actions in actions_for(2, 2):
        obs, rewards, terminated, _, infos = env.step(actions)
    assert terminated.all()
    assert set(infos) == {
        "log_reward",
        "_log_reward",
        "predicted_return",
        "_predicted_return",
    }
    assert infos["_log_reward"].all()
    np.testing.assert_array_equal(rewards, infos["log_reward"])
    # Next step: actions are ignored (even invalid ones), states restart, reward 0.
    garbage = np.full((B, 6), np.nan, dtype=np.float32)
    obs, rewards, terminated, _, infos = env.step(garbage)
    np.testing.assert_array_equal(obs, start)
    assert not rewards.any() and not terminated.any() and infos == {}
    # And the following step is an ordinary first step again.
    obs, *_ = env.step(np.zeros((B, 6), np.float32))
    np.testing.assert_array_equal(obs[:, 0], 1.0)


def test_deterministic_under_seeds():
    def rollout(seed):
        env = make(scenario="dotcom-2001", horizon=4)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        out = []
        for _ in range(10):
            obs, rewards, *_ = env.step(env.action_space.sample())
            out.append((obs, rewards))
        return out

    for (o1, r1), (o2, r2) in zip(rollout(7), rollout(7), strict=True):
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
    env = make()
    np.testing.assert_array_equal(env.reset(seed=1)[0], env.reset(seed=[2, 3])[0])


def test_one_batched_oracle_call_per_terminating_step(monkeypatch):
    env = make(scenario="gfc-2007", horizon=3)
    calls = []
    original = env.oracle.predict

    def counting(states):
        calls.append(states.shape)
        return original(states)

    monkeypatch.setattr(env.oracle, "predict", counting, raising=False)
    env.reset()
    for actions in actions_for(0, 8):
        env.step(actions)
    # Steps 3 and 7 terminate all B sub-envs: one call each, with B rows.
    assert calls == [(B, 6), (B, 6)]


def test_bad_input():
    env = make()
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(np.zeros((B, 6), np.float32))
    env.reset()
    bad = np.zeros((B, 6), np.float32)
    bad[2, 4] = np.inf
    with pytest.raises(ValueError, match=r"index \(2, 4\) is not finite"):
        env.step(bad)
    with pytest.raises(ValueError, match=r"shape \(5, 6\)"):
        env.step(np.zeros((B - 1, 6), np.float32))
    with pytest.raises(ValueError, match=r"outside the action range \[-30, 30\]"):
        env.step(np.full((B, 6), -30.5, np.float32))
    with pytest.raises(ValueError, match="valid scenarios"):
        GridMarketVectorEnv(num_envs=2, scenario="gfc-2009")
    with pytest.raises(ValueError, match="num_envs"):
        GridMarketVectorEnv(num_envs=0)
    with pytest.raises(TypeError, match="num_envs"):
        GridMarketVectorEnv(num_envs=2.0)
    with pytest.raises(ValueError, match="does not render"):
        GridMarketVectorEnv(num_envs=2, render_mode="rgb_array")
