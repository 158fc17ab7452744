"""ContagionVectorEnv: the ParallelEnv's trajectories as arrays, auto-reset, seeding."""

import numpy as np
import pytest

from gridmarket.envs import contagion_v0
from gridmarket.envs.contagion.vector import EPISODE_METRICS, ContagionVectorEnv

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def drive(vec, steps, action_seed=0):
    """Step ``vec`` with seeded uniform [0, 1] actions; the per-step outputs."""
    rng = np.random.default_rng(action_seed)
    obs, info = vec.reset()
    trace = [(obs, info)]
    for _ in range(steps):
        actions = rng.random((vec.num_worlds, vec.num_banks, 4))
        trace.append(vec.step(actions) + (actions,))
    return trace


def test_attributes_and_shapes():
    vec = ContagionVectorEnv(3, seed=0, num_banks=7, max_cycles=5)
    assert (vec.num_worlds, vec.num_banks, vec.max_cycles) == (3, 7, 5)
    assert vec.observation_dim == vec.single_observation_space.shape[0] == 26
    assert vec.action_dim == vec.single_action_space.shape[0] == 4
    obs, info = vec.reset()
    assert obs.shape == (3, 7, 26) and obs.dtype == np.float32
    assert info["alive"].shape == (3, 7) and info["alive"].all()
    assert all(vec.single_observation_space.contains(row) for row in obs[0])
    obs, rewards, terminated, truncated, info = vec.step(np.full((3, 7, 4), 0.5))
    assert rewards.shape == (3, 7) and rewards.dtype == np.float32
    assert terminated.shape == (3, 7) and terminated.dtype == bool
    assert truncated.shape == (3,) and info["final_obs"].shape == (3, 7, 26)
    assert set(info["episode_metrics"]) == set(EPISODE_METRICS)


def test_world_zero_equals_the_parallel_env_across_an_auto_reset():
    """World w is the ParallelEnv seeded with seed + w, through truncation, its
    automatic reset (the env's reset without a seed) and the next episode."""
    vec = ContagionVectorEnv(2, seed=5, num_banks=8, scenario="systemic", max_cycles=6)
    trace = drive(vec, 9)
    for w in range(2):
        env = contagion_v0.parallel_env(num_banks=8, scenario="systemic", max_cycles=6)
        obs, _ = env.reset(seed=5 + w)
        np.testing.assert_array_equal(trace[0][0][w], env.observations_matrix())
        alive_before = trace[0][1]["alive"][w]
        for obs, rew, term, trunc, info, actions in trace[1:]:
            out = env.step({a: actions[w, int(a[5:])] for a in env.agents})
            p_obs, p_rew, p_term, p_trunc, _ = out
            live = [int(a[5:]) for a in p_obs]
            assert live == list(np.flatnonzero(alive_before))
            np.testing.assert_array_equal(
                info["final_obs"][w][live], np.stack(list(p_obs.values()))
            )
            np.testing.assert_array_equal(
                rew[w][live], np.float32(list(p_rew.values()))
            )
            assert list(term[w][live]) == list(p_term.values())
            assert trunc[w] == any(p_trunc.values())
            assert info["episode_done"][w] == (not env.agents)
            if info["episode_done"][w]:
                env.reset()
            np.testing.assert_array_equal(obs[w], env.observations_matrix())
            assert list(info["alive"][w]) == list(env.world.alive)
            alive_before = info["alive"][w]
    assert trace[6][3].all() and trace[6][4]["episode_done"].all()


def test_same_seed_same_trajectories_other_seed_differs():
    def run(seed):
        vec = ContagionVectorEnv(2, seed=seed, num_banks=6, max_cycles=4)
        return drive(vec, 6, action_seed=1)

    first, second, other = run(3), run(3), run(4)
    for a, b in zip(first[1:], second[1:], strict=True):
        for x, y in zip(a[:4], b[:4], strict=True):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][0], other[0][0])
    # Worlds draw from different generators: world 0 and world 1 differ.
    assert not np.array_equal(first[0][0][0], first[0][0][1])
    # reset(seed=s) reseeds: the same worlds as an env built with seed=s.
    reseeded = ContagionVectorEnv(2, seed=99, num_banks=6, max_cycles=4)
    obs, _ = reseeded.reset(seed=3)
    np.testing.assert_array_equal(obs, first[0][0])


def test_defaults_terminate_banks_and_dead_rows_are_ignored():
    kwargs = dict(num_banks=6, scenario="asset_crash", max_cycles=40)
    quiet = ContagionVectorEnv(1, seed=0, **kwargs)
    loud = ContagionVectorEnv(1, seed=0, **kwargs)
    quiet.reset()
    loud.reset()
    sell_all = np.tile(np.array([0.0, 1.0, 1.0, 0.0]), (1, 6, 1))
    defaulted, returns = np.zeros(6, dtype=bool), np.zeros(6)
    for step in range(1, 41):
        garbage = np.where(loud.alive[..., None], sell_all, np.nan)  # NaN on dead
        dead_before = ~quiet.alive
        q = quiet.step(sell_all)
        out = loud.step(garbage)
        for x, y in zip(q[:4], out[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        obs, rewards, terminated, truncated, info = q
        assert not np.any(terminated & dead_before)  # terminated once only
        assert np.all(rewards[dead_before] == 0.0)  # the dead earn nothing
        defaulted |= terminated[0]
        returns += rewards[0]
        np.testing.assert_array_equal(info["final_alive"][0], ~defaulted)
        assert np.all(info["final_obs"][0][:, 0] == ~defaulted)  # alive flags
        if step < 40:
            assert not info["episode_done"][0]
            np.testing.assert_array_equal(info["alive"][0], ~defaulted)
            assert np.isnan(info["episode_metrics"]["default_rate"][0])
    assert 0 < defaulted.sum() < 6 and truncated[0] and info["episode_done"][0]
    assert info["alive"][0].all() and obs[0][:, 0].all()  # the new episode
    metrics = {k: v[0] for k, v in info["episode_metrics"].items()}
    assert metrics["defaults"] == defaulted.sum()
    assert metrics["default_rate"] == defaulted.sum() / 6
    assert metrics["episode_length"] == 40
    np.testing.assert_allclose(
        metrics["episode_return_mean"], returns.mean(), rtol=1e-5
    )
    assert 0 < metrics["stress_index"] <= 1 and metrics["systemic_loss"] > 0


def test_bad_arguments_and_actions_raise_clear_errors():
    with pytest.raises(ValueError, match="`num_worlds` must be >= 1, got 0"):
        ContagionVectorEnv(0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'banks'"):
        ContagionVectorEnv(2, banks=3)
    with pytest.raises(ValueError, match="render_mode must be None"):
        ContagionVectorEnv(2, render_mode="ansi")
    vec = ContagionVectorEnv(2, seed=0, num_banks=3)
    with pytest.raises(RuntimeError, match="before reset"):
        vec.step(np.zeros((2, 3, 4)))
    vec.reset()
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\).*got \(2, 4\)"):
        vec.step(np.zeros((2, 4)))
    actions = np.zeros((2, 3, 4))
    actions[1, 2, 3] = np.inf
    with pytest.raises(ValueError, match="'borrow' of bank 2 in world 1 is inf"):
        vec.step(actions)
