"""Scenario-set metrics for stress-path generators, as pure numpy functions.

Inputs are one method's evaluation paths: ``log_reward [N]`` (log R of the
terminal state), ``predicted [N]`` (the oracle's predicted forward 12-month S&P
500 return in %, lower = more severe) and ``states [N, H+1, D]`` in oracle scaling.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def top_k_indices(log_reward: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest rewards, best first (ties: lower index first)."""
    if k < 1:
        raise ValueError(f"`k` must be >= 1, got {k}")
    return np.argsort(-log_reward, kind="stable")[:k]


def tail_coverage(predicted: np.ndarray, threshold: float) -> float:
    """Share of paths whose predicted return is at or below ``threshold`` (%)."""
    return float(np.mean(predicted <= threshold))


def expected_shortfall(predicted: np.ndarray, alpha: float = 0.05) -> float:
    """Mean of the worst ``alpha`` share of predicted returns (%): the left tail.

    Uses the ``ceil(alpha * N)`` lowest values."""
    if not 0 < alpha <= 1:
        raise ValueError(f"`alpha` must be in (0, 1], got {alpha}")
    count = int(np.ceil(alpha * len(predicted)))
    return float(np.sort(predicted)[:count].mean())


def mean_pairwise_distance(paths: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of flattened paths ``[k, ...]``."""
    flat = paths.reshape(len(paths), -1).astype(np.float64)
    if len(flat) < 2:
        return 0.0
    squared = (flat**2).sum(1)
    dist2 = np.maximum(squared[:, None] + squared[None, :] - 2 * flat @ flat.T, 0.0)
    upper = np.triu_indices(len(flat), k=1)
    return float(np.sqrt(dist2[upper]).mean())


def epsilon_cover_count(
    points: np.ndarray, epsilon: float, order: np.ndarray | None = None
) -> int:
    """Number of centers of a greedy ``epsilon``-cover of ``points [n, d]``.

    Points are visited in ``order`` (default: as given); a point opens a new
    center when it is farther than ``epsilon`` from every center so far. Every
    point ends within ``epsilon`` of a center, and centers are > ``epsilon``
    apart, so this counts well-separated modes."""
    if epsilon <= 0:
        raise ValueError(f"`epsilon` must be > 0, got {epsilon}")
    visit = np.arange(len(points)) if order is None else order
    centers = np.empty((len(points), points.shape[1]))  # the first `count` are set
    count = 0
    for index in visit:
        point = points[index]
        if (
            count == 0
            or np.linalg.norm(centers[:count] - point, axis=1).min() > epsilon
        ):
            centers[count] = point
            count += 1
    return count


def permutation_importance(
    predict: Callable[[np.ndarray], np.ndarray],
    states: np.ndarray,
    rng: np.random.Generator,
    repeats: int = 20,
) -> np.ndarray:
    """Mean |change in prediction| when one feature is shuffled across ``states``
    ``[k, D]``: how much each feature drives the predictions of these paths, ``[D]``."""
    base = predict(states)
    importance = np.zeros(states.shape[1])
    for feature in range(states.shape[1]):
        for _ in range(repeats):
            shuffled = states.copy()
            shuffled[:, feature] = rng.permutation(shuffled[:, feature])
            importance[feature] += np.abs(predict(shuffled) - base).mean()
    return importance / repeats
