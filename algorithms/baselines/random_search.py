"""Random search: uniform random increment paths, keeping the best found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from ray import tune

from gridmarket.algorithms.baselines.paths import (
    PathBatch,
    PathScorer,
    concat_paths,
    load_paths,
    save_paths,
)


class RandomSearch(tune.Trainable):
    """Each ``train()`` scores ``batch_size`` uniform random paths (one oracle call
    each). Config: ``env``, ``env_config``, ``batch_size`` (default 256), ``top_k``
    (default 50), ``seed``."""

    def setup(self, config: dict[str, Any]) -> None:
        self.batch_size = int(config.get("batch_size", 256))
        self.top_k = int(config.get("top_k", 50))
        self.scorer = PathScorer(
            config["env"], config.get("env_config", {}), self.batch_size
        )
        self.rng = np.random.default_rng(config.get("seed"))
        self.best: PathBatch | None = None

    def sample_paths(self, num: int) -> PathBatch:
        """``num`` fresh uniform paths (for evaluation)."""
        batches = [self._draw() for _ in range(-(-num // self.batch_size))]
        return concat_paths(batches).take(slice(num))

    def _draw(self) -> PathBatch:
        unit = self.rng.uniform(
            size=(self.batch_size, self.scorer.horizon, self.scorer.dim)
        )
        return self.scorer.score(unit)

    def step(self) -> dict[str, Any]:
        batch = self._draw()
        self.best = keep_best(self.best, batch, self.top_k)
        return {
            "log_reward_mean": float(batch.log_reward.mean()),
            "log_reward_max": float(self.best.log_reward.max()),
            "top_k_log_reward_mean": float(self.best.log_reward.mean()),
            "num_trajectories_sampled_lifetime": self.scorer.oracle_calls,
            "oracle_calls": self.scorer.oracle_calls,
        }

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        save_paths(Path(checkpoint_dir), self.best, self.scorer.oracle_calls, self.rng)

    def load_checkpoint(self, checkpoint: str | dict) -> None:
        self.best, self.scorer.oracle_calls = load_paths(Path(checkpoint), self.rng)


def keep_best(archive: PathBatch | None, batch: PathBatch, k: int) -> PathBatch:
    """The ``k`` highest-reward paths of the archive and the batch together."""
    merged = batch if archive is None else concat_paths([archive, batch])
    return merged.take(np.argsort(-merged.log_reward, kind="stable")[:k])
