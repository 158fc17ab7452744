"""Increment paths on continuous DAG envs (GridMarket-v0's contract), via the env.

A path is parameterized by unit draws ``u`` in ``(0, 1)^(H x D)``: at each step the
increment is ``low(x) + (high(x) - low(x)) * u`` with the same state-dependent
bounds as TB's bounded forward policy, so every ``u`` is a valid in-box path and
the uniform ``u`` is the uniform random policy. Scoring a path steps the native
vector env, so the oracle is called exactly once per path, at its end.

numpy-only at import: the env (gymnasium) is built when a :class:`PathScorer` is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class PathBatch:
    """``states [N, H+1, D]`` (t dropped), ``log_reward [N]``, ``predicted [N]``."""

    states: np.ndarray
    log_reward: np.ndarray
    predicted: np.ndarray

    def take(self, index: Any) -> PathBatch:
        """The paths at ``index`` (an index array, mask or slice), as copies."""
        return PathBatch(
            self.states[index].copy(),
            self.log_reward[index].copy(),
            self.predicted[index].copy(),
        )


def concat_paths(parts: list[PathBatch]) -> PathBatch:
    """``parts`` one after another."""
    return PathBatch(
        np.concatenate([p.states for p in parts]),
        np.concatenate([p.log_reward for p in parts]),
        np.concatenate([p.predicted for p in parts]),
    )


def save_paths(
    directory: Path, paths: PathBatch | None, calls: int, rng: np.random.Generator
) -> None:
    """A search baseline's checkpoint: arrays as .npz (no pickle), the oracle-call
    counter and RNG state as JSON."""
    if paths is not None:
        np.savez(
            directory / "paths.npz",
            states=paths.states,
            log_reward=paths.log_reward,
            predicted=paths.predicted,
        )
    (directory / "state.json").write_text(
        json.dumps({"oracle_calls": calls, "rng": rng.bit_generator.state})
    )


def load_paths(
    directory: Path, rng: np.random.Generator
) -> tuple[PathBatch | None, int]:
    """Read :func:`save_paths`' files back; restores ``rng`` in place."""
    state = json.loads((directory / "state.json").read_text())
    rng.bit_generator.state = state["rng"]
    paths = None
    if (directory / "paths.npz").exists():
        with np.load(directory / "paths.npz", allow_pickle=False) as data:
            paths = PathBatch(data["states"], data["log_reward"], data["predicted"])
    return paths, int(state["oracle_calls"])


def make_path_vector_env(env: Any, width: int, env_config: dict[str, Any]) -> Any:
    """The native vector env of ``env``: a Gymnasium id with a
    ``vector_entry_point`` (``"GridMarket-v0"``), or a callable taking
    ``env_config | {"num_envs": width}``. It must expose ``max_trajectory_length``."""
    if callable(env):
        vector_env = env({**env_config, "num_envs": width})
    elif isinstance(env, str):
        import gymnasium as gym

        vector_env = gym.make_vec(
            env, num_envs=width, vectorization_mode="vector_entry_point", **env_config
        )
    else:
        raise TypeError(f"`env` must be a Gymnasium id or a callable, got {env!r}")
    if not isinstance(
        getattr(vector_env.unwrapped, "max_trajectory_length", None), int
    ):
        raise TypeError(
            f"paths need a vector env with an int `max_trajectory_length`; "
            f"{type(vector_env.unwrapped).__name__} (from env={env!r}) has none"
        )
    return vector_env


class PathScorer:
    """Rolls unit-parameterized paths through a native vector env of width W."""

    def __init__(self, env: Any, env_config: dict[str, Any], width: int) -> None:
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"path batch width must be an int >= 1, got {width!r}")
        self.env = make_path_vector_env(env, width, dict(env_config))
        unwrapped = self.env.unwrapped
        self.width = width
        self.horizon = int(unwrapped.max_trajectory_length)
        self.state_low = np.asarray(unwrapped.state_low, dtype=np.float64)
        self.state_high = np.asarray(unwrapped.state_high, dtype=np.float64)
        self.step_low = self.env.single_action_space.low.astype(np.float64)
        self.step_high = self.env.single_action_space.high.astype(np.float64)
        self.dim = len(self.step_low)
        self.oracle_calls = 0

    def increments(self, x: np.ndarray, unit: np.ndarray) -> np.ndarray:
        low = np.maximum(self.step_low, self.state_low - x)
        high = np.minimum(self.step_high, self.state_high - x)
        return low + (high - low) * unit

    def score(self, unit: np.ndarray) -> PathBatch:
        """Roll ``unit [W, H, D]`` through the env: one oracle call per path."""
        if unit.shape != (self.width, self.horizon, self.dim):
            raise ValueError(
                f"`unit` must have shape {(self.width, self.horizon, self.dim)}, got {unit.shape}"
            )
        obs, _ = self.env.reset()
        states = [obs[:, 1:].astype(np.float64)]
        for t in range(self.horizon):
            actions = self.increments(states[-1], unit[:, t]).astype(np.float32)
            obs, _, terminated, _, infos = self.env.step(actions)
            states.append(obs[:, 1:].astype(np.float64))
        if not terminated.all():
            raise RuntimeError(
                f"paths did not terminate after the horizon {self.horizon}"
            )
        self.oracle_calls += self.width
        return PathBatch(
            np.stack(states, axis=1),
            infos["log_reward"].copy(),
            infos["predicted_return"].copy(),
        )
