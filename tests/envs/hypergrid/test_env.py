"""The Gymnasium adapters: checkers, registration, seeding, vector semantics."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridmarket
from gridmarket.envs.hypergrid import HyperGridEnv, HyperGridVectorEnv


def test_check_env_passes():
    check_env(HyperGridEnv(ndim=3, height=5))
    check_env(gym.make("HyperGrid-v0").unwrapped)


def test_episode_reward_and_log_reward():
    env = HyperGridEnv(ndim=2, height=8)
    obs, info = env.reset(seed=3)
    assert info == {}
    np.testing.assert_array_equal(obs["observation"], [0, 0])
    for action in (0, 1):
        obs, reward, terminated, truncated, info = env.step(action)
        assert (reward, terminated, truncated, info) == (0.0, False, False, {})
    obs, reward, terminated, truncated, info = env.step(2)
    assert terminated and not truncated
    assert reward == pytest.approx(2.6)
    assert info["log_reward"] == pytest.approx(np.log(2.6))
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)


def test_invalid_and_masked_actions_raise():
    env = HyperGridEnv(ndim=1, height=2)
    env.reset()
    with pytest.raises(ValueError, match="out of range: allowed are 0..0"):
        env.step(5)
    with pytest.raises(TypeError, match="must be an int in \\[0, 1\\], got 0.5"):
        env.step(0.5)
    with pytest.raises(TypeError, match="got True"):
        env.step(True)
    env.step(0)
    with pytest.raises(ValueError, match=r"action 0 is masked in state \(1,\)"):
        env.step(0)
    env.step(np.int64(1))


def test_invalid_env_arguments():
    with pytest.raises(ValueError, match="`height` must be >= 2, got 1"):
        gym.make("HyperGrid-v0", height=1)
    with pytest.raises(ValueError, match="render_mode must be one of"):
        HyperGridEnv(render_mode="human")
    with pytest.raises(ValueError, match="`num_envs` must be >= 1, got 0"):
        HyperGridVectorEnv(num_envs=0)


def test_render_ansi():
    env = HyperGridEnv(ndim=2, height=4, render_mode="ansi")
    env.reset()
    env.step(1)
    assert "at (0, 1) moving" in env.render()


def test_seeded_resets_are_deterministic():
    env = gym.make("HyperGrid-v0")
    first, _ = env.reset(seed=11)
    second, _ = env.reset(seed=11)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_plain_id_module_id_and_register_envs():
    gym.register_envs(gridmarket)
    assert isinstance(gym.make("HyperGrid-v0").unwrapped, HyperGridEnv)
    vec = gym.make_vec(
        "HyperGrid-v0", num_envs=3, vectorization_mode="vector_entry_point"
    )
    assert isinstance(vec, HyperGridVectorEnv)


def test_module_id_in_a_fresh_interpreter():
    code = (
        "import gymnasium as gym; env = gym.make('gridmarket:HyperGrid-v0', ndim=2);"
        "print(type(env.unwrapped).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "HyperGridEnv"


def test_vector_env_matches_single_envs_and_autoresets():
    rng = np.random.default_rng(0)
    vec = HyperGridVectorEnv(num_envs=4, ndim=2, height=4)
    singles = [HyperGridEnv(ndim=2, height=4) for _ in range(4)]
    obs, _ = vec.reset(seed=0)
    single_obs = [env.reset()[0] for env in singles]
    needs_reset = np.zeros(4, dtype=bool)
    for _ in range(40):
        assert vec.observation_space.contains(obs)
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in obs["action_mask"]])
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        for i, env in enumerate(singles):
            if needs_reset[i]:
                # NEXT_STEP autoreset: this step only reset sub-env i.
                single_obs[i], _ = env.reset()
                assert rewards[i] == 0.0 and not terminated[i]
            else:
                single_obs[i], reward, term, _, info = env.step(int(actions[i]))
                assert rewards[i] == pytest.approx(reward) and terminated[i] == term
                if term:
                    assert infos["_log_reward"][i]
                    assert infos["log_reward"][i] == pytest.approx(info["log_reward"])
            for key in obs:
                np.testing.assert_array_equal(obs[key][i], single_obs[i][key])
        needs_reset = terminated.copy()
        assert not truncated.any()


def test_vector_env_rejects_masked_action_of_live_env_only():
    vec = HyperGridVectorEnv(num_envs=2, ndim=1, height=2)
    vec.reset()
    vec.step(np.array([1, 0]))  # env 0 stops, env 1 moves to the edge
    # env 0 autoresets (its action is ignored); env 1 may not move past the edge.
    with pytest.raises(ValueError, match=r"action 0 is masked in state \(1,\)"):
        vec.step(np.array([0, 0]))
    with pytest.raises(ValueError, match=r"must have shape \(2,\)"):
        vec.step(np.array([0]))


def test_vector_env_step_before_reset():
    with pytest.raises(RuntimeError, match="before reset"):
        HyperGridVectorEnv(num_envs=2).step(np.array([0, 0]))
