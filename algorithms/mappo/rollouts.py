"""Evaluation rollouts on contagion_v0's array path, for any bank policy.

A policy maps ``(obs [W, N, D], alive [W, N])`` to actions ``[W, N, 4]`` in
[0, 1]. Episodes are played in chunks of ``num_worlds`` worlds, chunk ``c``
reset with ``seed + c * num_worlds`` (world ``w`` of it with that plus ``w``), and
only each world's first episode counts: every method meets the same networks,
balance sheets and shock seeds (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

BankPolicy = Callable[[np.ndarray, np.ndarray], np.ndarray]


def run_episodes(
    policy: BankPolicy,
    env_config: dict[str, Any],
    *,
    num_episodes: int,
    seed: int = 0,
    num_worlds: int = 8,
    track_debtrank: bool = True,
) -> dict[str, np.ndarray]:
    """Per-episode metrics (``ContagionVectorEnv``'s ``EPISODE_METRICS``), each
    ``[num_episodes]`` float64 (``debtrank_max`` NaN without ``track_debtrank``)."""
    from gridmarket.envs.contagion.vector import EPISODE_METRICS, ContagionVectorEnv

    if num_episodes < 1:
        raise ValueError(f"`num_episodes` must be >= 1, got {num_episodes}")
    width = min(num_worlds, num_episodes)
    env = ContagionVectorEnv(
        width, seed=seed, track_debtrank=track_debtrank, **env_config
    )
    collected: dict[str, list[float]] = {name: [] for name in EPISODE_METRICS}
    for start in range(0, num_episodes, width):
        count = min(width, num_episodes - start)
        obs, info = env.reset(seed=seed + start)
        alive, pending = info["alive"], np.arange(width) < count
        chunk = {name: np.full(width, np.nan) for name in EPISODE_METRICS}
        while pending.any():
            actions = np.asarray(policy(obs, alive), dtype=np.float64)
            obs, _, _, _, info = env.step(actions)
            finished = info["episode_done"] & pending
            for name in EPISODE_METRICS:
                chunk[name][finished] = info["episode_metrics"][name][finished]
            pending &= ~finished
            alive = info["alive"]
        for name in EPISODE_METRICS:
            collected[name].extend(chunk[name][:count].tolist())
    return {name: np.asarray(values) for name, values in collected.items()}


def baseline_bank_policy(policy: Callable[[np.ndarray], np.ndarray]) -> BankPolicy:
    """A baseline of ``envs/contagion/baselines.py`` (``[n, K] -> [n, 4]``) as a
    batched bank policy."""

    def act(obs: np.ndarray, alive: np.ndarray) -> np.ndarray:
        worlds, banks, dim = obs.shape
        return np.asarray(policy(obs.reshape(-1, dim))).reshape(worlds, banks, -1)

    return act


def module_bank_policy(
    module: Any, *, explore: bool = False, seed: int = 0
) -> BankPolicy:
    """A trained MAPPO RLModule as a bank policy: the actor's mean action
    (``explore=False``) or a sample from its own seeded generator."""
    generator = torch.Generator().manual_seed(seed)

    def act(obs: np.ndarray, alive: np.ndarray) -> np.ndarray:
        u, _, _ = module.act(
            torch.from_numpy(obs),
            torch.from_numpy(alive),
            explore=explore,
            generator=generator,
        )
        return module.env_actions(u).numpy()

    return act
