"""Metropolis-Hastings over whole increment paths, targeting R(x_T)."""

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

UNIT_EPS = 1e-6


def reflect_into_unit_interval(values: np.ndarray) -> np.ndarray:
    """Fold values into [0, 1] by reflection at both ends (keeps the proposal
    symmetric, so the Metropolis ratio is the reward ratio)."""
    folded = np.mod(values, 2.0)
    folded = np.where(folded > 1.0, 2.0 - folded, folded)
    return np.clip(folded, UNIT_EPS, 1 - UNIT_EPS)


def metropolis_accept(log_ratio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Accept each proposal with probability min(1, exp(log_ratio))."""
    return np.log(rng.uniform(size=log_ratio.shape)) < log_ratio


class PathMCMC(tune.Trainable):
    """``num_chains`` Metropolis-Hastings chains over the unit draws ``u`` of a path
    (see :mod:`paths`), with a uniform prior on ``u`` and target density
    proportional to R(x_T) = exp(log R). A proposal redraws one time step's
    increments: ``u_t + step_size * N(0, 1)`` reflected into (0, 1). Each
    ``train()`` is one proposal per chain, i.e. ``num_chains`` oracle calls.

    Config: ``env``, ``env_config``, ``num_chains`` (256), ``step_size`` (0.15),
    ``seed``.
    """

    def setup(self, config: dict[str, Any]) -> None:
        self.num_chains = int(config.get("num_chains", 256))
        self.step_size = float(config.get("step_size", 0.15))
        if self.step_size <= 0:
            raise ValueError(f"`step_size` must be > 0, got {self.step_size}")
        self.scorer = PathScorer(
            config["env"], config.get("env_config", {}), self.num_chains
        )
        self.rng = np.random.default_rng(config.get("seed"))
        self.unit = self.rng.uniform(
            size=(self.num_chains, self.scorer.horizon, self.scorer.dim)
        )
        self.current = self.scorer.score(self.unit)

    def _mh_step(self) -> float:
        proposal = self.unit.copy()
        steps = self.rng.integers(0, self.scorer.horizon, size=self.num_chains)
        chains = np.arange(self.num_chains)
        noise = self.step_size * self.rng.normal(
            size=(self.num_chains, self.scorer.dim)
        )
        proposal[chains, steps] = reflect_into_unit_interval(
            proposal[chains, steps] + noise
        )
        scored = self.scorer.score(proposal)
        accept = metropolis_accept(
            scored.log_reward - self.current.log_reward, self.rng
        )
        self.unit[accept] = proposal[accept]
        for field in ("states", "log_reward", "predicted"):
            getattr(self.current, field)[accept] = getattr(scored, field)[accept]
        return float(accept.mean())

    def sample_paths(self, num: int) -> PathBatch:
        """The chains' states over further steps, until ``num`` paths (evaluation)."""
        parts = []
        for _ in range(-(-num // self.num_chains)):
            self._mh_step()
            parts.append(self.current.take(slice(None)))
        return concat_paths(parts).take(slice(num))

    def step(self) -> dict[str, Any]:
        acceptance = self._mh_step()
        return {
            "log_reward_mean": float(self.current.log_reward.mean()),
            "log_reward_max": float(self.current.log_reward.max()),
            "acceptance_rate": acceptance,
            "num_trajectories_sampled_lifetime": self.scorer.oracle_calls,
            "oracle_calls": self.scorer.oracle_calls,
        }

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        directory = Path(checkpoint_dir)
        save_paths(directory, self.current, self.scorer.oracle_calls, self.rng)
        np.save(directory / "unit.npy", self.unit, allow_pickle=False)

    def load_checkpoint(self, checkpoint: str | dict) -> None:
        directory = Path(checkpoint)
        self.current, self.scorer.oracle_calls = load_paths(directory, self.rng)
        self.unit = np.load(directory / "unit.npy", allow_pickle=False)
