"""An analytic oracle with known modes, to validate samplers on GridMarket-v0.

The real oracles' optimum is unknown, so no test can say whether a sampler found
it. ``SyntheticModesOracle`` predicts a return of ``base`` (+10%) everywhere except
in Gaussian dips to ``base - depth`` (-30%) around known centers in the plane of
two variables (by default ``Volume_spx`` and ``Close_ndx``; the other four do not
matter), reachable in 12 steps of +-30 from the origin. A GFlowNet on
``GridMarket-v0`` with ``scenario="synthetic-modes"`` should put its mass in every
dip in proportion to its reward; :meth:`nearest_mode` says which dip a path ended in.
It has the interface of :class:`gridmarket.oracles.Oracle` that the env uses.
"""

from __future__ import annotations

import numpy as np

from gridmarket.oracles.data import FEATURES

SYNTHETIC_SCENARIO = "synthetic-modes"

#: Four mode centers in the plane of ``active_dims``, 120 apart.
DEFAULT_MODES = np.array([[60.0, 60.0], [-60.0, 60.0], [-60.0, -60.0], [60.0, -60.0]])


class SyntheticModesOracle:
    """``pred(x) = base - depth * sum_k exp(-|x_A - mu_k|^2 / (2 width^2))`` in %,
    with ``x_A`` the ``active_dims`` of ``x``.

    Args:
        modes: ``[K, len(active_dims)]`` centers in scaled units, in [-100, 100].
        active_dims: the variables the prediction depends on.
        depth: how far below ``base`` a center's prediction dips (%, > 0).
        base: the prediction far from every center (%).
        width: Gaussian width of each dip (scaled units, > 0).
    """

    scenario = SYNTHETIC_SCENARIO
    initial_month = "synthetic"

    def __init__(
        self,
        modes: np.ndarray = DEFAULT_MODES,
        active_dims: tuple[int, ...] = (0, 1),
        depth: float = 40.0,
        base: float = 10.0,
        width: float = 20.0,
    ) -> None:
        self.modes = np.asarray(modes, dtype=np.float64)
        self.active_dims = tuple(int(d) for d in active_dims)
        if not set(self.active_dims) <= set(range(len(FEATURES))):
            raise ValueError(
                f"`active_dims` must index the 6 features, got {active_dims}"
            )
        if self.modes.ndim != 2 or self.modes.shape[1] != len(self.active_dims):
            raise ValueError(
                f"`modes` must have shape [K, {len(self.active_dims)}], got "
                f"{self.modes.shape}"
            )
        if np.abs(self.modes).max() > 100:
            raise ValueError("`modes` must lie inside the [-100, 100] box")
        if depth <= 0 or width <= 0:
            raise ValueError(f"`depth` and `width` must be > 0, got {depth}, {width}")
        self.depth, self.base, self.width = float(depth), float(base), float(width)
        self.feature_names = FEATURES
        self.feature_range = np.tile([-100.0, 100.0], (len(FEATURES), 1))
        self.initial_state = np.zeros(len(FEATURES))
        self.card = {
            "scenario": SYNTHETIC_SCENARIO,
            "family": "analytic Gaussian dips",
            "modes": self.modes.tolist(),
            "active_dims": list(self.active_dims),
            "depth": self.depth,
            "base": self.base,
            "width": self.width,
        }

    def _check(self, states: np.ndarray) -> np.ndarray:
        states = np.asarray(states, dtype=np.float64)
        if states.ndim != 2 or states.shape[1] != len(FEATURES):
            raise ValueError(f"`states` must have shape [N, 6], got {states.shape}")
        if not np.isfinite(states).all():
            raise ValueError("`states` contains NaN or inf")
        return states

    def predict(self, states: np.ndarray) -> np.ndarray:
        """Predicted forward return (%), ``[N]``."""
        active = self._check(states)[:, self.active_dims]
        sq = ((active[:, None, :] - self.modes[None]) ** 2).sum(-1)  # [N, K]
        return self.base - self.depth * np.exp(-sq / (2 * self.width**2)).sum(-1)

    def ood_distance(self, states: np.ndarray) -> np.ndarray:
        """Euclidean distance outside the [-100, 100] box, in units of 100."""
        states = self._check(states)
        excess = np.maximum(np.abs(states) - 100.0, 0.0)
        return np.sqrt((excess**2).sum(-1)) / 100.0

    def nearest_mode(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(index [N], distance [N])`` of the closest mode center (in the plane
        of ``active_dims``)."""
        active = self._check(states)[:, self.active_dims]
        dist = np.sqrt(((active[:, None, :] - self.modes[None]) ** 2).sum(-1))
        return dist.argmin(-1), dist.min(-1)

    def to_real_units(self, states: np.ndarray) -> np.ndarray:
        return np.asarray(states, dtype=np.float64)

    def from_real_units(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)
