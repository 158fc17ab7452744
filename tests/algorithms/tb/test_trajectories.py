import numpy as np
import pytest

from gridmarket.algorithms.tb import trajectories as tr


def test_stack_steps_pads_to_max_length():
    step_obs = [{"x": np.full((2, 3), t)} for t in range(3)]
    step_actions = [np.array([t, t]) for t in range(2)]
    batch = tr.stack_steps(
        step_obs, step_actions, np.array([1, 2]), np.array([0.5, -1.0]), 4
    )
    assert batch[tr.OBS]["x"].shape == (2, 5, 3)
    assert batch[tr.ACTIONS].shape == (2, 4)
    np.testing.assert_array_equal(batch[tr.OBS]["x"][0, :, 0], [0, 1, 2, 0, 0])
    np.testing.assert_array_equal(batch[tr.TRAJ_LEN], [1, 2])
    assert batch[tr.LOG_REWARD].dtype == np.float32
    with pytest.raises(ValueError, match="more than the env's max_trajectory_length=1"):
        tr.stack_steps(step_obs, step_actions, np.array([1, 2]), np.zeros(2), 1)


def test_interleave_blocks_gives_each_minibatch_its_share():
    fresh = {tr.TRAJ_LEN: np.arange(4), tr.LOG_REWARD: np.arange(4.0)}
    replayed = {tr.TRAJ_LEN: np.arange(10, 12), tr.LOG_REWARD: np.arange(10.0, 12.0)}
    merged = tr.interleave_blocks(fresh, replayed, num_blocks=2)
    np.testing.assert_array_equal(merged[tr.TRAJ_LEN], [0, 1, 10, 2, 3, 11])
    assert tr.interleave_blocks(fresh, None, 2) is fresh
    with pytest.raises(ValueError, match="cannot split 4 fresh and 2 replayed"):
        tr.interleave_blocks(fresh, replayed, num_blocks=4)


def test_concat_and_take():
    a = {tr.OBS: {"x": np.zeros((2, 3))}, tr.TRAJ_LEN: np.array([1, 2])}
    b = {tr.OBS: {"x": np.ones((1, 3))}, tr.TRAJ_LEN: np.array([3])}
    both = tr.concat_trajectories([a, b])
    assert tr.num_trajectories(both) == 3
    np.testing.assert_array_equal(
        tr.take_trajectories(both, np.array([2]))[tr.OBS]["x"], np.ones((1, 3))
    )
