"""Draw evaluation paths from a trained method, as a :class:`PathBatch`."""

from __future__ import annotations

from typing import Any

import numpy as np

from gridmarket.algorithms.baselines.paths import PathBatch
from gridmarket.algorithms.tb.trajectories import LOG_REWARD, OBS, TRAJ_LEN


def paths_from_trajectories(batch: dict[str, Any], oracle: Any) -> PathBatch:
    """A TB/REINFORCE trajectory batch (fixed horizon) as paths; the predicted
    return is recomputed from the terminal state (bookkeeping, not search)."""
    lengths = batch[TRAJ_LEN]
    if len(set(lengths.tolist())) != 1:
        raise ValueError("paths need a fixed horizon; got several trajectory lengths")
    states = batch[OBS][:, : int(lengths[0]) + 1, 1:].astype(np.float64)
    predicted = oracle.predict(states[:, -1])
    return PathBatch(states, batch[LOG_REWARD].astype(np.float64), predicted)


def sample_trajectory_paths(algo: Any, num: int, oracle: Any) -> PathBatch:
    """``num`` paths from a trained TB or REINFORCE sampler, without exploration."""
    batch = algo.env_runner.sample(num_trajectories=num, epsilon=0.0, temperature=1.0)
    return paths_from_trajectories(batch, oracle)


def sample_rllib_episode_paths(algo: Any, num: int) -> PathBatch:
    """``num`` paths from an RLlib algorithm with a standard env runner (PPO),
    with its stochastic (exploration) policy, i.e. as a generator."""
    episodes = []
    while len(episodes) < num:
        episodes += algo.env_runner.sample(
            num_episodes=num - len(episodes), explore=True
        )
    states = np.stack(
        [np.asarray(ep.get_observations())[:, 1:] for ep in episodes[:num]]
    )
    infos = [ep.get_infos(-1) for ep in episodes[:num]]
    return PathBatch(
        states.astype(np.float64),
        np.array([info["log_reward"] for info in infos], dtype=np.float64),
        np.array([info["predicted_return"] for info in infos], dtype=np.float64),
    )
