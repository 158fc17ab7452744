"""The EBM oracles' targets and rows: the point oracles' table, splits and folds.

Targets, both forward 12-month returns in percent of the month-``t`` close:

- ``spx``: the S&P 500 (the GRID target, :data:`gridmarket.oracles.data.TARGET`);
- ``ndx``: the Nasdaq-100, ``100 * (Close_ndx[t+12] / Close_ndx[t] - 1)``.

Rows, scaling and folds are those of the point oracles, reused, not re-derived:
:func:`~gridmarket.oracles.data.scenario_split` (labelled when ``t + 12 <= cutoff``,
the last 12 labelled months held out), min-max scaling to [-100, 100] fit on the
training rows only, and :func:`~gridmarket.oracles.families.walk_forward` folds with
their 11-month gap. Both targets share the labelled months (the two indices have the
same months), so no NDX row leaks past a cutoff either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

from gridmarket.oracles import data as gm_data
from gridmarket.oracles.families import walk_forward
from gridmarket.oracles.oracle import SCALED_RANGE

NDX_TARGET = "forward_return_12m_ndx"
TARGETS: dict[str, str] = {"spx": gm_data.TARGET, "ndx": NDX_TARGET}
TARGET_DESCRIPTIONS: dict[str, str] = {
    "spx": gm_data.TARGET_DESCRIPTION,
    "ndx": "forward 12-month Nasdaq-100 return in percent: "
    "100*(Close_ndx[t+12]/Close_ndx[t]-1)",
}


def check_target(target: object) -> str:
    if target not in TARGETS:
        raise ValueError(
            f"unknown target {target!r}; valid targets are {list(TARGETS)}"
        )
    return str(target)


def with_targets(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The feature table plus the NDX forward return column."""
    table = gm_data.build_feature_table() if table is None else table.copy()
    close = table["Close_ndx"]
    table[NDX_TARGET] = 100.0 * (close.shift(-gm_data.HORIZON_MONTHS) / close - 1.0)
    return table


@dataclass(frozen=True)
class ScenarioRows:
    """One scenario and target: scaled training / hold-out rows and the CV folds."""

    split: gm_data.ScenarioSplit
    target: str
    scaler: MinMaxScaler
    x_train: np.ndarray
    y_train: np.ndarray
    x_holdout: np.ndarray
    y_holdout: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]


def scenario_rows(
    scenario: str, target: str, table: pd.DataFrame | None = None
) -> ScenarioRows:
    column = TARGETS[check_target(target)]
    table = with_targets(table) if table is None or column not in table else table
    split = gm_data.scenario_split(scenario, table)
    scaler = MinMaxScaler(feature_range=SCALED_RANGE).fit(split.X_train)
    y_train = split.train[column].to_numpy(np.float64)
    y_hold = split.holdout[column].to_numpy(np.float64)
    if not (np.isfinite(y_train).all() and np.isfinite(y_hold).all()):
        raise ValueError(f"{scenario}/{target}: missing target values in labelled rows")
    x_train = scaler.transform(split.X_train)
    folds = list(walk_forward(len(y_train)).split(x_train))
    return ScenarioRows(
        split=split,
        target=target,
        scaler=scaler,
        x_train=x_train,
        y_train=y_train,
        x_holdout=scaler.transform(split.X_holdout),
        y_holdout=y_hold,
        folds=folds,
    )
