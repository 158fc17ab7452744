"""The trajectory batch that TB env runners produce and TB learners consume.

A batch is a dict of numpy arrays with one complete trajectory per row:

- ``obs``: the states ``s_0 .. s_L`` as ``[N, L+1, ...]`` (a dict of such arrays for
  Dict observation spaces); row ``i`` is valid up to index ``traj_len[i]``;
- ``actions``: ``[N, L, ...]``, valid up to ``traj_len[i] - 1``;
- ``traj_len``: ``[N]`` number of actions taken (the stop action included);
- ``log_reward``: ``[N]`` log R(x) of the terminal object.

``L`` is the env's ``max_trajectory_length``; padding repeats nothing meaningful and
is never read. Fixed shapes let batches from many env runners, and from the replay
buffer, concatenate without re-padding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

OBS = "obs"
ACTIONS = "actions"
TRAJ_LEN = "traj_len"
LOG_REWARD = "log_reward"

TrajectoryBatch = dict[str, Any]


def map_arrays(fn: Callable[..., np.ndarray], *structs: Any) -> Any:
    """Apply ``fn`` leaf-wise over equally nested dicts of arrays."""
    first = structs[0]
    if isinstance(first, dict):
        return {k: map_arrays(fn, *(s[k] for s in structs)) for k in first}
    return fn(*structs)


def num_trajectories(batch: TrajectoryBatch) -> int:
    return int(len(batch[TRAJ_LEN]))


def concat_trajectories(batches: Sequence[TrajectoryBatch]) -> TrajectoryBatch:
    return map_arrays(lambda *arrays: np.concatenate(arrays, axis=0), *batches)


def take_trajectories(batch: TrajectoryBatch, indices: np.ndarray) -> TrajectoryBatch:
    return map_arrays(lambda array: array[indices], batch)


def stack_steps(
    step_obs: list[Any],  # L_used+1 entries of [W, ...] (or dicts of them)
    step_actions: list[np.ndarray],  # L_used entries of [W, ...]
    traj_len: np.ndarray,  # [W]
    log_reward: np.ndarray,  # [W]
    max_length: int,
) -> TrajectoryBatch:
    """Time-stack per-step buffers of a vector env into a padded batch."""
    used = len(step_actions)
    if used > max_length:
        raise ValueError(
            f"a trajectory took {used} steps, more than the env's "
            f"max_trajectory_length={max_length}"
        )

    def pad(arrays: Sequence[np.ndarray], length: int) -> np.ndarray:
        stacked = np.stack(arrays, axis=1)  # [W, used, ...]
        padding = [(0, 0), (0, length - stacked.shape[1])]
        padding += [(0, 0)] * (stacked.ndim - 2)
        return np.pad(stacked, padding)

    return {
        OBS: map_arrays(lambda *a: pad(a, max_length + 1), *step_obs),
        ACTIONS: pad(step_actions, max_length),
        TRAJ_LEN: traj_len.astype(np.int64),
        LOG_REWARD: log_reward.astype(np.float32),
    }


def interleave_blocks(
    fresh: TrajectoryBatch, replayed: TrajectoryBatch | None, num_blocks: int
) -> TrajectoryBatch:
    """Order rows so that each of ``num_blocks`` consecutive minibatches holds an
    equal share of fresh and of replayed trajectories."""
    if replayed is None or num_trajectories(replayed) == 0:
        return fresh
    n_fresh, n_replay = num_trajectories(fresh), num_trajectories(replayed)
    if n_fresh % num_blocks or n_replay % num_blocks:
        raise ValueError(
            f"cannot split {n_fresh} fresh and {n_replay} replayed trajectories into "
            f"{num_blocks} equal minibatches"
        )
    merged = concat_trajectories([fresh, replayed])
    fresh_ids = np.arange(n_fresh).reshape(num_blocks, -1)
    replay_ids = n_fresh + np.arange(n_replay).reshape(num_blocks, -1)
    order = np.concatenate([fresh_ids, replay_ids], axis=1).reshape(-1)
    return take_trajectories(merged, order)
