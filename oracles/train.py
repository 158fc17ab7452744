"""``gridmarket oracles train``: build the three scenario oracles and their model cards.

For each scenario: the training rows of :func:`gridmarket.oracles.data.scenario_split`
are min-max scaled to [-100, 100]; every configuration of every family in
:data:`gridmarket.oracles.families.FAMILIES` is scored by walk-forward
cross-validation (``TimeSeriesSplit`` with an 11-month gap); the configuration with
the lowest mean fold RMSE wins; it is refit on all training rows, scored once on the
12 held-out months, and saved with its scaler as a skops file plus a JSON card.
The best configuration of every other family is refit and scored on the hold-out too,
for the card only: the hold-out never takes part in the choice.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from gridmarket.oracles import data as gm_data
from gridmarket.oracles.cards import Candidate, TrainingRun, build_card
from gridmarket.oracles.families import FAMILIES, metrics, summarize, walk_forward
from gridmarket.oracles.oracle import (
    FORMAT,
    FORMAT_VERSION,
    SCALED_RANGE,
    Oracle,
    default_artifact_dir,
)
from gridmarket.oracles.store import dump_artifact


def _fit_score(family: str, params: dict, seed: int, X, y, train_idx, test_idx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = FAMILIES[family].build(params, seed).fit(X[train_idx], y[train_idx])
    return metrics(y[test_idx], model.predict(X[test_idx])), model.predict(X[test_idx])


def search(
    X: np.ndarray,
    y: np.ndarray,
    *,
    families: list[str],
    quick: bool,
    seed: int,
    n_jobs: int,
) -> tuple[list[dict[str, Any]], list[tuple[np.ndarray, np.ndarray]]]:
    """Walk-forward CV of every configuration: one result dict per configuration."""
    folds = list(walk_forward(len(y), quick=quick).split(X))
    configs = [
        (family, params)
        for family in families
        for params in (FAMILIES[family].quick_grid if quick else FAMILIES[family].grid)
    ]
    tasks = [(c, f) for c in range(len(configs)) for f in range(len(folds))]
    scored = Parallel(n_jobs=n_jobs)(
        delayed(_fit_score)(*configs[c], seed, X, y, *folds[f]) for c, f in tasks
    )
    results = []
    for c, (family, params) in enumerate(configs):
        fold_scores = [scored[i] for i, (cc, _) in enumerate(tasks) if cc == c]
        fold_metrics = [m for m, _ in fold_scores]
        pooled = metrics(
            np.concatenate([y[test] for _, test in folds]),
            np.concatenate([pred for _, pred in fold_scores]),
        )
        results.append(
            {
                "family": family,
                "hyperparameters": params,
                "folds": fold_metrics,
                **summarize(fold_metrics),
                "pooled": pooled,
            }
        )
    return results, folds


def _mean_baseline(y: np.ndarray, folds, y_hold: np.ndarray) -> dict[str, Any]:
    """Metrics of predicting the training mean: the no-skill reference."""
    fold_metrics = [metrics(y[te], np.full(len(te), y[tr].mean())) for tr, te in folds]
    pooled = metrics(
        np.concatenate([y[te] for _, te in folds]),
        np.concatenate([np.full(len(te), y[tr].mean()) for tr, te in folds]),
    )
    return {
        "description": "predict the mean target of the training rows (not a candidate)",
        "cv_mean": summarize(fold_metrics)["mean"],
        "cv_pooled": pooled,
        "holdout": metrics(y_hold, np.full(len(y_hold), y.mean())),
    }


def _fit_final(family: str, params: dict, seed: int, X: np.ndarray, y: np.ndarray):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = FAMILIES[family].build(params, seed).fit(X, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, converged


def _candidates(
    results: list[dict[str, Any]], X, y, X_hold, seed: int
) -> list[Candidate]:
    """Refit the lowest-CV-RMSE configuration of each family; score it on the hold-out."""
    best: dict[str, dict[str, Any]] = {}
    for result in results:
        current = best.get(result["family"])
        if current is None or result["mean"]["rmse"] < current["mean"]["rmse"]:
            best[result["family"]] = result
    candidates = []
    for family, result in best.items():
        model, converged = _fit_final(family, result["hyperparameters"], seed, X, y)
        hold_pred = np.asarray(model.predict(X_hold), dtype=np.float64)
        candidates.append(Candidate(result, model, converged, hold_pred))
    return candidates


def train_scenario(
    scenario: str,
    out_dir: Path,
    *,
    quick: bool = False,
    seed: int = 0,
    n_jobs: int = -1,
    families: list[str] | None = None,
    table=None,
) -> Oracle:
    """Search, select, refit, evaluate and save one scenario oracle; return it."""
    started = time.perf_counter()
    split = gm_data.scenario_split(scenario, table)
    scaler = MinMaxScaler(feature_range=SCALED_RANGE).fit(split.X_train)
    X, y = scaler.transform(split.X_train), split.y_train
    X_hold = scaler.transform(split.X_holdout)
    results, folds = search(
        X, y, families=list(families or FAMILIES), quick=quick, seed=seed, n_jobs=n_jobs
    )
    candidates = _candidates(results, X, y, X_hold, seed)
    chosen = min(candidates, key=lambda c: c.result["mean"]["rmse"])
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scenario": scenario,
        "feature_names": list(gm_data.FEATURES),
        "estimator": chosen.model,
        "scaler": scaler,
        "train_states": X,
        "initial_state": X[-1].copy(),
        "initial_month": split.initial_month,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    sha = dump_artifact(payload, out_dir / f"{scenario}.skops")
    run = TrainingRun(
        split=split,
        scaler=scaler,
        folds=folds,
        results=results,
        candidates=candidates,
        chosen=chosen,
        baseline=_mean_baseline(y, folds, split.y_holdout),
        quick=quick,
        seed=seed,
        seconds=time.perf_counter() - started,
    )
    card = build_card(run, sha)
    (out_dir / f"{scenario}.card.json").write_text(
        json.dumps(card, indent=2) + "\n", encoding="utf-8"
    )
    return Oracle.from_payload(payload, card=card, scenario=scenario)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridmarket oracles train",
        description="Train the GridMarket scenario oracles (walk-forward CV, several "
        "model families, hyperparameter search) and write skops files + JSON cards.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=gm_data.SCENARIOS,
        help="scenario to train (repeatable); default: all three",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="output folder; default: the package's shipped artifacts folder",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one tiny configuration per family and 2 folds (smoke tests); needs --out-dir",
    )
    parser.add_argument(
        "--family",
        action="append",
        choices=list(FAMILIES),
        help="model family to search (repeatable); default: all four",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel fits (default -1: all cores)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gridmarket oracles train``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.quick and args.out_dir is None:
        print(
            "gridmarket oracles train: --quick builds throwaway oracles and must not "
            "overwrite the shipped ones; pass --out-dir",
            file=sys.stderr,
        )
        return 2
    out_dir = args.out_dir if args.out_dir is not None else default_artifact_dir()
    table = gm_data.build_feature_table()
    for scenario in args.scenario or gm_data.SCENARIOS:
        oracle = train_scenario(
            scenario,
            out_dir,
            quick=args.quick,
            seed=args.seed,
            n_jobs=args.n_jobs,
            families=args.family,
            table=table,
        )
        card = oracle.card
        cv, hold = card["cv_metrics"]["mean"], card["holdout_metrics"]
        print(
            f"{scenario}: {card['model']['family']} {card['model']['hyperparameters']} "
            f"| CV RMSE {cv['rmse']:.2f} R2 {cv['r2']:.2f} | hold-out RMSE "
            f"{hold['rmse']:.2f} R2 {hold['r2']:.2f} DA {hold['directional_accuracy']:.2f} "
            f"| {card['training_seconds']:.1f}s -> {out_dir / (scenario + '.skops')}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
