import numpy as np
import pytest

from gridmarket.algorithms.tb.replay import TrajectoryReplayBuffer
from gridmarket.algorithms.tb.trajectories import LOG_REWARD, TRAJ_LEN


def batch(start, n):
    return {
        TRAJ_LEN: np.arange(start, start + n),
        LOG_REWARD: np.arange(start, start + n, dtype=float),
    }


def test_fifo_keeps_the_newest():
    buffer = TrajectoryReplayBuffer(capacity=5, seed=0)
    buffer.add(batch(0, 3))
    buffer.add(batch(3, 4))
    assert len(buffer) == 5
    assert set(buffer.sample(200)[TRAJ_LEN].tolist()) == {2, 3, 4, 5, 6}


def test_state_round_trip_reproduces_samples():
    buffer = TrajectoryReplayBuffer(capacity=10, seed=1)
    buffer.add(batch(0, 10))
    state = buffer.get_state()
    first = buffer.sample(8)[TRAJ_LEN]
    restored = TrajectoryReplayBuffer(capacity=1)
    restored.set_state(state)
    np.testing.assert_array_equal(restored.sample(8)[TRAJ_LEN], first)


def test_bad_use():
    with pytest.raises(ValueError, match="`capacity` must be an int >= 1, got 0"):
        TrajectoryReplayBuffer(capacity=0)
    with pytest.raises(ValueError, match="empty replay buffer"):
        TrajectoryReplayBuffer(capacity=3).sample(1)
