"""Exact answers on the HyperGrid DAG: the target distribution, log Z, and the
terminal distribution that a forward policy induces.

Every state of HyperGrid can stop, so the terminal objects are all H**D states.
The sampler's terminal distribution is computed by dynamic programming over the
DAG, level by level (level = sum of coordinates), not by sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from gridmarket.envs.hypergrid import core


def target_distribution(
    params: core.HyperGridParams, reward_temperature: float = 1.0
) -> tuple[np.ndarray, float]:
    """``(R(x)^(1/T) / Z  [H**D], log Z)`` over :func:`core.all_states` order."""
    log_r = core.log_rewards(params, core.all_states(params)) / reward_temperature
    log_z = float(logsumexp(log_r))
    return np.exp(log_r - log_z), log_z


def terminal_distribution(
    params: core.HyperGridParams, forward_log_probs: np.ndarray
) -> np.ndarray:
    """Probability that the forward policy terminates in each state.

    Args:
        params: the grid.
        forward_log_probs: ``[H**D, D+1]`` log P_F(a | s) for every state in
            :func:`core.all_states` order; masked actions may hold ``-inf``.

    Returns:
        ``[H**D]`` probabilities; they sum to 1 for a proper policy.
    """
    n_states, n_actions = forward_log_probs.shape
    if (n_states, n_actions) != (params.n_states, params.n_actions):
        raise ValueError(
            f"`forward_log_probs` must have shape ({params.n_states}, "
            f"{params.n_actions}), got {forward_log_probs.shape}"
        )
    if np.isnan(forward_log_probs).any():
        raise ValueError("`forward_log_probs` contains NaN")
    probs = np.exp(forward_log_probs)
    states = core.all_states(params)
    strides = params.height ** np.arange(params.ndim - 1, -1, -1)
    levels = states.sum(axis=1)
    order = np.argsort(levels, kind="stable")
    bounds = np.searchsorted(levels[order], np.arange(levels.max() + 2))
    reach = np.zeros(n_states)  # probability of visiting each state
    reach[0] = 1.0
    for level in range(levels.max()):
        parents = order[bounds[level] : bounds[level + 1]]  # [P]
        for i in range(params.ndim):
            movable = parents[states[parents, i] < params.height - 1]
            np.add.at(reach, movable + strides[i], reach[movable] * probs[movable, i])
    return reach * probs[:, params.stop_action]


def l1_distance(p: np.ndarray, q: np.ndarray) -> float:
    """sum_x |p(x) - q(x)|, in [0, 2]."""
    return float(np.abs(p - q).sum())


@dataclass
class ExactDistribution:
    """What a trainer needs to score a sampler exactly on this env.

    Attributes:
        observations: the env observation of every state, ``[H**D, ...]`` per key.
        target_probs: R(x)/Z per state.
        log_z: log of the partition function Z.
    """

    params: core.HyperGridParams
    reward_temperature: float = 1.0
    observations: dict[str, np.ndarray] = field(init=False)
    target_probs: np.ndarray = field(init=False)
    log_z: float = field(init=False)

    def __post_init__(self) -> None:
        self.observations = core.observe(self.params, core.all_states(self.params))
        self.target_probs, self.log_z = target_distribution(
            self.params, self.reward_temperature
        )

    def sampler_probs(self, forward_log_probs: np.ndarray) -> np.ndarray:
        """Terminal distribution of a policy given its log-probs on ``observations``."""
        return terminal_distribution(self.params, forward_log_probs)
