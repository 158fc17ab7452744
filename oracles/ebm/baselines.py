"""Probabilistic baselines and the EBM under the same walk-forward folds.

Each method maps ``(x_train, y_train, x_test)`` (scaled states, returns in %) to
quantiles ``[N_test, 39]`` at :data:`~gridmarket.oracles.ebm.metrics.LEVELS`, and
every method is scored by the same :func:`~gridmarket.oracles.ebm.metrics.quantile_metrics`:

- ``climatology``: the empirical quantiles of the training months' returns;
- ``gaussian_linear``: OLS mean, Gaussian with the residual standard deviation
  (``ddof = p + 1``);
- ``linear_quantile``: one ``QuantileRegressor`` (L1 penalty 0.01, HiGHS) per level;
- ``gbm_quantile``: one ``GradientBoostingRegressor(loss="quantile")`` per level
  (100 trees of depth 2, learning rate 0.05, subsample 0.8);
- ``point_residual``: the shipped point oracle's family and hyperparameters (from its
  card) refit on the fold, plus the empirical quantiles of its training residuals
  (in-sample residuals: optimistic for flexible families, as that oracle would be);
- ``ebm``: the EBM with a given configuration, one per fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, QuantileRegressor

from gridmarket.oracles.ebm.data import ScenarioRows
from gridmarket.oracles.ebm.metrics import (
    LEVELS,
    METRICS,
    interval_over_folds,
    quantile_metrics,
)
from gridmarket.oracles.ebm.model import EBMConfig, Trainer
from gridmarket.oracles.families import FAMILIES

Method = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def climatology(x_train, y_train, x_test) -> np.ndarray:
    return np.tile(np.quantile(y_train, LEVELS), (len(x_test), 1))


def gaussian_linear(x_train, y_train, x_test) -> np.ndarray:
    model = LinearRegression().fit(x_train, y_train)
    resid = y_train - model.predict(x_train)
    dof = max(len(y_train) - x_train.shape[1] - 1, 1)
    sd = float(np.sqrt((resid**2).sum() / dof))
    return model.predict(x_test)[:, None] + sd * norm.ppf(LEVELS)[None, :]


def linear_quantile(x_train, y_train, x_test) -> np.ndarray:
    out = []
    for level in LEVELS:
        model = QuantileRegressor(quantile=float(level), alpha=0.01, solver="highs")
        out.append(model.fit(x_train / 100.0, y_train).predict(x_test / 100.0))
    return np.stack(out, axis=1)


def gbm_quantile(x_train, y_train, x_test, seed: int = 0) -> np.ndarray:
    out = []
    for level in LEVELS:
        model = GradientBoostingRegressor(
            loss="quantile",
            alpha=float(level),
            n_estimators=100,
            max_depth=2,
            learning_rate=0.05,
            subsample=0.8,
            random_state=seed,
        )
        out.append(model.fit(x_train, y_train).predict(x_test))
    return np.stack(out, axis=1)


def point_residual(card: dict[str, Any], seed: int = 0) -> Method:
    family = FAMILIES[card["model"]["family"]]
    params = card["model"]["hyperparameters"]

    def method(x_train, y_train, x_test) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = family.build(params, seed).fit(x_train, y_train)
        resid = y_train - model.predict(x_train)
        return model.predict(x_test)[:, None] + np.quantile(resid, LEVELS)[None, :]

    return method


def ebm(config: EBMConfig) -> Method:
    import torch

    from gridmarket.oracles.ebm import grid as G

    def method(x_train, y_train, x_test) -> np.ndarray:
        net = Trainer(config, x_train, y_train)
        net.advance(config.epochs)
        with torch.no_grad():
            logm = G.log_mass(
                net.net(torch.as_tensor(x_test) / 100.0, config.grid.centers())
            )
            return G.quantiles(config.grid, logm, torch.as_tensor(LEVELS)).numpy()

    return method


def evaluate_method(method: Method, rows: ScenarioRows) -> dict[str, Any]:
    """Per-fold metrics of ``method`` on the walk-forward folds, plus the hold-out."""
    folds = []
    for train, test in rows.folds:
        q = method(rows.x_train[train], rows.y_train[train], rows.x_train[test])
        folds.append(quantile_metrics(q, rows.y_train[test]))
    q_hold = method(rows.x_train, rows.y_train, rows.x_holdout)
    return {"folds": folds, "holdout": quantile_metrics(q_hold, rows.y_holdout)}


def summarize_folds(folds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {k: interval_over_folds([f[k] for f in folds]) for k in METRICS}
