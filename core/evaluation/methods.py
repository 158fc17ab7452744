"""Run each stress-path method on GridMarket-v0 with one oracle-call budget.

Every method spends ``budget`` oracle calls (one per scored path) on training or
search, then ``samples`` more on the evaluation set it is judged on:

- ``tb``, ``reinforce``: ``samples`` paths from the final policy, no exploration;
- ``ppo``: ``samples`` episodes from the final (stochastic) policy;
- ``random_search``: ``samples`` fresh uniform random paths;
- ``mcmc``: the chains' states over the next ``samples / num_chains`` steps.

The configs are the tuned examples' own presets (``gridmarket.algorithms.tb.presets``,
``...reinforce.presets``, ``...baselines.ppo``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from gridmarket.algorithms.baselines.paths import PathBatch

METHODS = ("tb", "reinforce", "ppo", "random_search", "mcmc")


@dataclass(frozen=True)
class MethodRun:
    """One method's evaluation paths and what producing them cost."""

    method: str
    seed: int
    paths: PathBatch
    oracle_calls: int  # budget spent in training/search (evaluation excluded)
    train_seconds: float


def run_method(
    method: str,
    env_config: dict[str, Any],
    *,
    budget: int,
    samples: int,
    seed: int,
    tb_replay_per_fresh: int | None = None,
) -> MethodRun:
    """Train or search with ``budget`` oracle calls, then draw ``samples`` paths.

    ``tb_replay_per_fresh`` overrides TB's replay ratio (default: the tuned
    example's for the scenario); the other methods ignore it."""
    runners: dict[str, Callable[..., tuple[PathBatch, int, float]]] = {
        "tb": partial(_run_trajectory_algorithm, replay_per_fresh=tb_replay_per_fresh),
        "reinforce": _run_trajectory_algorithm,
        "ppo": _run_ppo,
        "random_search": _run_trainable,
        "mcmc": _run_trainable,
    }
    if method not in runners:
        raise ValueError(f"unknown method {method!r}; choose from {list(METHODS)}")
    if budget < 1 or samples < 1:
        raise ValueError(
            f"`budget` and `samples` must be >= 1, got {budget}, {samples}"
        )
    paths, calls, seconds = runners[method](method, env_config, budget, samples, seed)
    return MethodRun(method, seed, paths, calls, seconds)


def _run_trajectory_algorithm(
    method: str,
    env_config: dict[str, Any],
    budget: int,
    samples: int,
    seed: int,
    replay_per_fresh: int | None = None,
) -> tuple[PathBatch, int, float]:
    from gridmarket.algorithms.reinforce.presets import grid_market_reinforce_config
    from gridmarket.algorithms.tb.presets import grid_market_tb_config
    from gridmarket.evaluation.sampling import sample_trajectory_paths

    if method == "tb":
        config = grid_market_tb_config(env_config, replay_per_fresh)
    else:
        config = grid_market_reinforce_config(env_config)
    algo = config.debugging(seed=seed).build_algo()
    try:
        start, calls = time.perf_counter(), 0
        while calls < budget:
            calls = algo.train()["num_trajectories_sampled_lifetime"]
        seconds = time.perf_counter() - start
        paths = sample_trajectory_paths(
            algo, samples, algo.env_runner.env.unwrapped.oracle
        )
    finally:
        algo.stop()
    return paths, int(calls), seconds


def _run_ppo(
    method: str, env_config: dict[str, Any], budget: int, samples: int, seed: int
) -> tuple[PathBatch, int, float]:
    from gridmarket.algorithms.baselines.ppo import grid_market_ppo_config
    from gridmarket.evaluation.sampling import sample_rllib_episode_paths

    config = grid_market_ppo_config(env_config).debugging(seed=seed)
    algo = config.env_runners(num_env_runners=0).build_algo()  # sample in-process
    try:
        start, episodes = time.perf_counter(), 0
        while episodes < budget:
            episodes = algo.train()["env_runners"]["num_episodes_lifetime"]
        seconds = time.perf_counter() - start
        paths = sample_rllib_episode_paths(algo, samples)
    finally:
        algo.stop()
    return paths, int(episodes), seconds


def _run_trainable(
    method: str, env_config: dict[str, Any], budget: int, samples: int, seed: int
) -> tuple[PathBatch, int, float]:
    from gridmarket.algorithms.baselines import PathMCMC, RandomSearch

    cls = RandomSearch if method == "random_search" else PathMCMC
    searcher = cls(
        config={"env": "GridMarket-v0", "env_config": env_config, "seed": seed}
    )
    try:
        start = time.perf_counter()
        while searcher.scorer.oracle_calls < budget:
            searcher.train()
        seconds, calls = time.perf_counter() - start, searcher.scorer.oracle_calls
        paths = searcher.sample_paths(samples)
    finally:
        searcher.stop()
    return paths, int(calls), seconds
