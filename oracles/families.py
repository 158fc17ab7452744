"""Model families, hyperparameter grids, walk-forward folds and metrics of the oracles.

Every family is a scikit-learn regressor on the scaled six features. Each builder
takes JSON-serialisable hyperparameters (as recorded in the model card) and a seed,
so a card is enough to rebuild its estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import TimeSeriesSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

#: Months between the last training row and the first test row of a fold: row ``t``'s
#: target window ends at ``t + 12``, so a gap of 11 keeps it from reaching past the
#: first test month (no overlap of information between train targets and test rows).
CV_GAP = 11


def _grid(**axes: list[Any]) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        configs = [{**config, name: value} for config in configs for value in values]
    return configs


def build_elasticnet(params: dict[str, Any], seed: int) -> Pipeline:
    model = ElasticNet(
        alpha=params["alpha"], l1_ratio=params["l1_ratio"], max_iter=50_000
    )
    return Pipeline([("standardize", StandardScaler()), ("elasticnet", model)])


def build_mlp(params: dict[str, Any], seed: int) -> TransformedTargetRegressor:
    model = MLPRegressor(
        hidden_layer_sizes=tuple(params["hidden_layer_sizes"]),
        alpha=params["alpha"],
        solver="lbfgs",  # full-batch quasi-Newton: the better fit for a few hundred rows
        max_iter=params.get("max_iter", 5000),
        random_state=seed,
    )
    return TransformedTargetRegressor(
        regressor=Pipeline([("standardize", StandardScaler()), ("mlp", model)]),
        transformer=StandardScaler(),
    )


def build_random_forest(params: dict[str, Any], seed: int) -> RandomForestRegressor:
    return RandomForestRegressor(
        n_estimators=params.get("n_estimators", 200),
        max_depth=params["max_depth"],
        min_samples_leaf=params["min_samples_leaf"],
        max_features=params["max_features"],
        random_state=seed,
    )


def build_gradient_boosting(
    params: dict[str, Any], seed: int
) -> GradientBoostingRegressor:
    return GradientBoostingRegressor(
        n_estimators=params["n_estimators"],
        learning_rate=params["learning_rate"],
        max_depth=params["max_depth"],
        subsample=0.8,
        random_state=seed,
    )


@dataclass(frozen=True)
class Family:
    name: str
    build: Callable[[dict[str, Any], int], Any]
    grid: list[dict[str, Any]]
    quick_grid: list[dict[str, Any]]


FAMILIES: dict[str, Family] = {
    "elasticnet": Family(
        "elasticnet",
        build_elasticnet,
        _grid(alpha=[0.01, 0.1, 1.0, 10.0], l1_ratio=[0.1, 0.5, 0.9]),
        _grid(alpha=[0.1], l1_ratio=[0.5]),
    ),
    "mlp": Family(
        "mlp",
        build_mlp,
        _grid(hidden_layer_sizes=[[8], [32], [32, 32]], alpha=[0.1, 1.0, 10.0]),
        _grid(hidden_layer_sizes=[[8]], alpha=[1e-2], max_iter=[200]),
    ),
    "random_forest": Family(
        "random_forest",
        build_random_forest,
        _grid(max_depth=[3, None], min_samples_leaf=[1, 5], max_features=[0.5, 1.0]),
        _grid(
            max_depth=[3], min_samples_leaf=[1], max_features=[1.0], n_estimators=[10]
        ),
    ),
    "gradient_boosting": Family(
        "gradient_boosting",
        build_gradient_boosting,
        _grid(n_estimators=[100, 300], learning_rate=[0.03, 0.1], max_depth=[2, 3]),
        _grid(n_estimators=[20], learning_rate=[0.1], max_depth=[2]),
    ),
}


def walk_forward(n_rows: int, *, quick: bool = False) -> TimeSeriesSplit:
    """Expanding-window folds over ``n_rows`` time-ordered training rows.

    Test folds of 12 months (4 for short histories), a gap of :data:`CV_GAP` months,
    at most 5 folds (2 when ``quick``), and a first training window of at least a
    third of the rows (12 at minimum).
    """
    test_size = max(4, min(12, n_rows // 10))
    min_train = max(12, n_rows // 3)
    n_splits = min(2 if quick else 5, (n_rows - CV_GAP - min_train) // test_size)
    if n_splits < 2:
        raise ValueError(
            f"{n_rows} training rows are too few for walk-forward validation "
            f"(need at least {min_train + CV_GAP + 2 * test_size})"
        )
    return TimeSeriesSplit(n_splits=n_splits, test_size=test_size, gap=CV_GAP)


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R², RMSE, MAE and directional accuracy (share of matching return signs)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "rmse": float(np.sqrt(np.mean((y_true - y_pred) ** 2))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "directional_accuracy": float(np.mean((y_true > 0) == (y_pred > 0))),
        "n": int(y_true.shape[0]),
    }


def summarize(folds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of fold metrics."""
    keys = ("r2", "rmse", "mae", "directional_accuracy")
    return {
        "mean": {k: float(np.mean([f[k] for f in folds])) for k in keys},
        "std": {k: float(np.std([f[k] for f in folds])) for k in keys},
    }
