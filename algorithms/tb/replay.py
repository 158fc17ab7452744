"""A FIFO replay buffer of whole terminal trajectories, stored as padded arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from gridmarket.algorithms.tb.trajectories import (
    TrajectoryBatch,
    concat_trajectories,
    num_trajectories,
    take_trajectories,
)


class TrajectoryReplayBuffer:
    """Keeps the newest ``capacity`` trajectories; samples them uniformly.

    Trajectories are dicts of arrays with the trajectory on axis 0 (see
    :mod:`gridmarket.algorithms.tb.trajectories`). The buffer's state is plain
    numpy, so it checkpoints with the algorithm.
    """

    def __init__(self, capacity: int, seed: int | None = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"replay `capacity` must be an int >= 1, got {capacity!r}")
        self.capacity = capacity
        self._data: TrajectoryBatch | None = None
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return 0 if self._data is None else num_trajectories(self._data)

    def add(self, batch: TrajectoryBatch) -> None:
        """Append trajectories, dropping the oldest beyond capacity."""
        merged = (
            batch if self._data is None else concat_trajectories([self._data, batch])
        )
        size = num_trajectories(merged)
        if size > self.capacity:
            merged = take_trajectories(merged, np.arange(size - self.capacity, size))
        self._data = merged

    def sample(self, n: int) -> TrajectoryBatch:
        """``n`` trajectories drawn uniformly with replacement."""
        if self._data is None:
            raise ValueError("cannot sample from an empty replay buffer")
        return take_trajectories(self._data, self._rng.integers(0, len(self), size=n))

    def get_state(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "data": self._data,
            "rng": self._rng.bit_generator.state,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.capacity = int(state["capacity"])
        self._data = state["data"]
        self._rng.bit_generator.state = state["rng"]
