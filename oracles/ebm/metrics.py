"""Probabilistic forecast metrics from predicted quantiles, the same for every model.

Every model (the EBM and each baseline) is scored from its quantiles at
:data:`LEVELS` (0.025, 0.05, ..., 0.975), so no model gets a different estimator:

- ``crps``: ``2 * 0.025 * sum_tau pinball_tau``, the quantile-score form of CRPS
  (``CRPS = 2 int_0^1 QS_tau dtau``) on 39 equally spaced levels;
- ``pinball_05/50/95``: the pinball (quantile) loss at 5%, 50%, 95%;
- ``coverage_90``: share of realised returns inside ``[q_05, q_95]`` (ideal 0.90);
- ``pit_calibration``: ``mean_tau |mean(y <= q_tau) - tau|``, the distance of the PIT
  distribution from uniform at the 39 levels (0 is perfect calibration);
- ``directional_accuracy``: share where the median's sign is the realised sign.

Units: percent returns for the losses, shares for the rest. ``interval_over_folds``
gives the mean and a t-based 95% interval over per-fold values.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

STEP = 0.025
LEVELS = np.round(np.arange(1, 40) * STEP, 6)
METRICS = (
    "crps",
    "pinball_05",
    "pinball_50",
    "pinball_95",
    "coverage_90",
    "pit_calibration",
    "directional_accuracy",
)


def _level_index(level: float) -> int:
    return int(np.flatnonzero(np.isclose(LEVELS, level))[0])


def pinball(q: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """Pinball loss of quantile predictions ``q [N]`` at ``level`` -> ``[N]``."""
    diff = y - q
    return np.maximum(level * diff, (level - 1.0) * diff)


def quantile_metrics(q: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """All :data:`METRICS` of quantiles ``q [N, 39]`` (at LEVELS) against ``y [N]``."""
    q = np.sort(np.asarray(q, dtype=np.float64), axis=1)  # no crossing quantiles
    y = np.asarray(y, dtype=np.float64)
    if q.shape != (y.shape[0], LEVELS.size):
        raise ValueError(f"quantiles must be [N, {LEVELS.size}], got {q.shape}")
    if not (np.isfinite(q).all() and np.isfinite(y).all()):
        raise ValueError("quantile_metrics: NaN/inf in quantiles or returns")
    losses = np.stack([pinball(q[:, i], y, t) for i, t in enumerate(LEVELS)], axis=1)
    i05, i50, i95 = (_level_index(t) for t in (0.05, 0.5, 0.95))
    below = (y[:, None] <= q).mean(axis=0)
    return {
        "crps": float(2.0 * STEP * losses.sum(axis=1).mean()),
        "pinball_05": float(losses[:, i05].mean()),
        "pinball_50": float(losses[:, i50].mean()),
        "pinball_95": float(losses[:, i95].mean()),
        "coverage_90": float(((q[:, i05] <= y) & (y <= q[:, i95])).mean()),
        "pit_calibration": float(np.abs(below - LEVELS).mean()),
        "directional_accuracy": float(((q[:, i50] > 0) == (y > 0)).mean()),
    }


def interval_over_folds(values: list[float] | np.ndarray) -> dict[str, float]:
    """Mean and t-based 95% interval of per-fold values (``n`` folds)."""
    arr = np.asarray(values, dtype=np.float64)
    n = arr.size
    mean = float(arr.mean())
    if n < 2:
        return {"mean": mean, "low": mean, "high": mean, "n": n}
    half = float(stats.t.ppf(0.975, n - 1) * arr.std(ddof=1) / np.sqrt(n))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def pit_values(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[N]`` PIT ``F(y)`` by linear interpolation between the quantile levels."""
    q = np.sort(np.asarray(q, dtype=np.float64), axis=1)
    return np.array(
        [
            np.interp(yi, qi, LEVELS, left=0.0, right=1.0)
            for qi, yi in zip(q, y, strict=True)
        ]
    )
