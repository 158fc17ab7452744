"""JSON model cards of the scenario oracles: what was trained on what, and how well."""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from sklearn.preprocessing import MinMaxScaler

from gridmarket.oracles import data as gm_data
from gridmarket.oracles.data import ScenarioSplit
from gridmarket.oracles.families import CV_GAP, metrics
from gridmarket.oracles.store import TRUSTED_TYPES

CARD_VERSION = 1


@dataclass(frozen=True)
class Candidate:
    """The best configuration of one family, refit on all training rows."""

    result: dict[str, Any]
    model: Any
    converged: bool
    holdout_pred: np.ndarray


@dataclass(frozen=True)
class TrainingRun:
    """Everything one scenario's training produced, for its card."""

    split: ScenarioSplit
    scaler: MinMaxScaler
    folds: list[tuple[np.ndarray, np.ndarray]]
    results: list[dict[str, Any]]
    candidates: list[Candidate]
    chosen: Candidate
    baseline: dict[str, Any]
    quick: bool
    seed: int
    seconds: float


def _months(index) -> list[str]:
    return [gm_data.month_str(m) for m in index]


def build_card(run: TrainingRun, sha256: str) -> dict[str, Any]:
    """The card of ``run``, whose skops file has SHA-256 ``sha256``."""
    split = run.split
    return {
        "card_version": CARD_VERSION,
        "scenario": split.scenario,
        "description": gm_data.SCENARIO_SPECS[split.scenario].description,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "quick": run.quick,
        "data": _data_section(split),
        "target": gm_data.TARGET_DESCRIPTION,
        "scaling": "per-feature min-max to [-100, 100], fit on the training rows",
        "features": _features_section(run.scaler),
        "initial_state": {
            "month": split.initial_month,
            "scaled": [float(v) for v in run.scaler.transform(split.X_train[-1:])[0]],
            "real": [float(v) for v in split.X_train[-1]],
        },
        "model": {
            "family": run.chosen.result["family"],
            "class": f"{type(run.chosen.model).__module__}."
            f"{type(run.chosen.model).__qualname__}",
            "hyperparameters": run.chosen.result["hyperparameters"],
            "seed": run.seed,
            "converged": run.chosen.converged,
        },
        "selection": _selection_section(run),
        "cv_metrics": {
            k: run.chosen.result[k] for k in ("mean", "std", "pooled", "folds")
        },
        "holdout_metrics": metrics(split.y_holdout, run.chosen.holdout_pred),
        "holdout_predictions": {
            "months": _months(split.holdout.index),
            "actual": [float(v) for v in split.y_holdout],
            "predicted": [float(v) for v in run.chosen.holdout_pred],
        },
        "candidates": [_candidate_entry(c, split.y_holdout) for c in run.candidates],
        "baseline_train_mean": run.baseline,
        "training_seconds": round(run.seconds, 2),
        "versions": _versions(),
        "artifact": {
            "file": f"{split.scenario}.skops",
            "format": "skops",
            "sha256": sha256,
            "trusted_types": list(TRUSTED_TYPES),
        },
    }


def _data_section(split: ScenarioSplit) -> dict[str, Any]:
    train, hold = _months(split.train.index), _months(split.holdout.index)
    root = gm_data.default_data_dir()
    return {
        "source": "gridmarket/oracles/data/macro_monthly (README.md there)",
        "files_sha256": {n: gm_data.file_sha256(root / n) for n in gm_data.FILES},
        "table_range": [gm_data.TABLE_START, gm_data.TABLE_END],
        "cutoff": split.cutoff,
        "labelled_rule": "month t is labelled when t + 12 <= cutoff",
        "train_range": [train[0], train[-1]],
        "n_train": len(train),
        "holdout_range": [hold[0], hold[-1]],
        "n_holdout": len(hold),
        "initial_month": split.initial_month,
    }


def _features_section(scaler: MinMaxScaler) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "units": gm_data.FEATURE_UNITS[name],
            "train_min": float(low),
            "train_max": float(high),
        }
        for name, low, high in zip(
            gm_data.FEATURES, scaler.data_min_, scaler.data_max_, strict=True
        )
    ]


def _selection_section(run: TrainingRun) -> dict[str, Any]:
    months = _months(run.split.train.index)
    families = list(dict.fromkeys(r["family"] for r in run.results))
    return {
        "criterion": "lowest mean RMSE over the walk-forward folds",
        "cv": {
            "method": "sklearn.model_selection.TimeSeriesSplit (expanding window)",
            "n_splits": len(run.folds),
            "test_size": int(len(run.folds[0][1])),
            "gap": CV_GAP,
            "folds": [
                {
                    "train": [months[tr[0]], months[tr[-1]]],
                    "test": [months[te[0]], months[te[-1]]],
                }
                for tr, te in run.folds
            ],
        },
        "n_configurations": {
            family: sum(r["family"] == family for r in run.results)
            for family in families
        },
    }


def _candidate_entry(candidate: Candidate, y_holdout: np.ndarray) -> dict[str, Any]:
    result = candidate.result
    return {
        "family": result["family"],
        "hyperparameters": result["hyperparameters"],
        "cv_mean": result["mean"],
        "cv_pooled": result["pooled"],
        "holdout": metrics(y_holdout, candidate.holdout_pred),
        "converged": candidate.converged,
    }


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "scikit-learn", "skops", "pandas", "joblib"):
        versions[package] = metadata.version(package)
    return versions
