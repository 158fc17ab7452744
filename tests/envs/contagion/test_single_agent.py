"""BankContagion-v0: Gymnasium's checker, registration, episode end, errors."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridmarket  # noqa: F401  (registers the ids)
from gridmarket.envs.contagion.scenarios import ScenarioParams
from gridmarket.envs.contagion.single_agent import BankContagionEnv

# Overflow, division by zero or NaN anywhere in the dynamics fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def test_check_env_passes_for_every_baseline():
    for opponents in ("rule_based", "random", "myopic", "greedy"):
        check_env(
            BankContagionEnv(num_banks=6, opponents=opponents), skip_render_check=True
        )
    check_env(gym.make("BankContagion-v0").unwrapped, skip_render_check=True)
    assert gym.spec("BankContagion-v0").entry_point == (
        "gridmarket.envs.contagion.single_agent:BankContagionEnv"
    )


def test_episode_terminates_when_the_learner_defaults():
    # every bank loses 90% of its loan book at step 2: the learner defaults then
    wipeout = ScenarioParams(
        "wipeout", writeoff_step=2, writeoff_banks=6, writeoff_share=0.9
    )
    env = BankContagionEnv(num_banks=6, scenario=wipeout, learner=2, max_cycles=80)
    obs, _ = env.reset(seed=0)
    terminated = truncated = False
    steps = 0
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(np.array([0, 1, 1, 0.0]))
        steps += 1
        assert np.isfinite(reward) and env.observation_space.contains(obs)
    assert terminated and steps == 2 and not env.world.alive[2] and obs[0] == 0.0
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(np.zeros(4))


def test_truncation_and_seeding():
    a = BankContagionEnv(num_banks=5, max_cycles=7)
    with pytest.warns(DeprecationWarning, match="max_steps=...\\) is deprecated"):
        b = BankContagionEnv(num_banks=5, max_steps=7)
    assert a.max_cycles == b.max_cycles == 7
    obs_a, _ = a.reset(seed=9)
    obs_b, _ = b.reset(seed=9)
    np.testing.assert_array_equal(obs_a, obs_b)
    for _ in range(7):
        out_a = a.step(np.full(4, 0.2))
        out_b = b.step(np.full(4, 0.2))
        np.testing.assert_array_equal(out_a[0], out_b[0])
        assert out_a[1] == out_b[1]
    assert out_a[3] and not out_a[2]


def test_bad_arguments_and_actions():
    with pytest.raises(ValueError, match=r"`learner` must be < num_banks=3, got 3"):
        BankContagionEnv(num_banks=3, learner=3)
    with pytest.raises(ValueError, match="unknown policy 'smart'; allowed are"):
        BankContagionEnv(opponents="smart")
    with pytest.raises(ValueError, match="unknown scenario"):
        gym.make("BankContagion-v0", scenario="bad")
    env = BankContagionEnv(num_banks=3)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(4,\).*got shape \(2,\)"):
        env.step(np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        env.step(np.array([0, np.inf, 0, 0]))
