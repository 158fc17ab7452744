"""``gridmarket oracles tune --model ebm``: Ray Tune + Optuna + ASHA over EBM oracles.

    gridmarket oracles tune --model ebm --trials 100 --scenario gfc-2007 --target spx

For each (scenario, target): an Optuna TPE search (seeded) proposes configurations
of :func:`gridmarket.oracles.ebm.tune.search_space`; every trial
(:class:`~gridmarket.oracles.ebm.tune.EBMTrial`) reports the mean walk-forward
validation CRPS every ``--epochs-per-report`` epochs, and ASHA stops the weak ones.
Each trial is one MLflow run (params, metrics per report, its artifact folder). The
best trial's configuration is refit on all training rows and written, with its card,
to ``--out-dir`` (default: the package's shipped oracles) as the scenario's oracle.

MLflow: ``--mlflow-uri`` (default ``$MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``)
accepts sqlite, ``postgresql://...`` and an ``http://`` tracking server; trial
workers log to it directly, so on a cluster use a tracking server every node can
reach (see the README's cluster section).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from gridmarket.tracking import resolve_tracking_uri


def build_parser() -> argparse.ArgumentParser:
    from gridmarket.oracles.data import SCENARIOS
    from gridmarket.oracles.ebm.data import TARGETS

    parser = argparse.ArgumentParser(
        prog="gridmarket oracles tune", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--model", choices=["ebm"], required=True, help="the oracle family to tune")
    add("--trials", type=int, default=100, help="Optuna trials per scenario and target")
    add(
        "--scenario", action="append", choices=SCENARIOS, help="repeatable; default all"
    )
    add(
        "--target",
        action="append",
        choices=list(TARGETS),
        help="repeatable; default all",
    )
    add("--max-epochs", type=int, default=800, help="largest `epochs` in the search")
    add("--epochs-per-report", type=int, default=50, help="epochs between ASHA reports")
    add("--max-concurrent", type=int, default=2, help="trials running at once")
    add("--seed", type=int, default=0, help="seeds Optuna's sampler and the models")
    add(
        "--out-dir", type=Path, default=None, help="default: the shipped oracles folder"
    )
    add(
        "--storage-path",
        type=Path,
        default=Path("ray_results"),
        help="Tune trial folders",
    )
    add(
        "--mlflow-uri", default=None, help="sqlite:///..., postgresql://..., http://..."
    )
    add("--experiment-name", default="gridmarket-oracles-ebm")
    add("--address", default=None, help="Ray cluster address (default: local Ray)")
    return parser


def _validate(args: argparse.Namespace) -> None:
    for name in ("trials", "max_epochs", "epochs_per_report", "max_concurrent"):
        value = getattr(args, name)
        if value < 1:
            raise SystemExit(
                f"gridmarket oracles tune: --{name.replace('_', '-')} must be >= 1, got {value}"
            )
    if args.epochs_per_report > args.max_epochs:
        raise SystemExit(
            f"gridmarket oracles tune: --epochs-per-report ({args.epochs_per_report}) "
            f"must be <= --max-epochs ({args.max_epochs})"
        )


def mlflow_experiment(uri: str, name: str) -> str:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(name)
    return experiment.experiment_id if experiment else client.create_experiment(name)


def tune_one(
    args: argparse.Namespace, scenario: str, target: str, uri: str, experiment_id: str
) -> Any:
    import optuna
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    from gridmarket.oracles.ebm.tune import METRIC, EBMTrial, search_space

    reports = -(-args.max_epochs // args.epochs_per_report)
    searcher = OptunaSearch(
        metric=METRIC, mode="min", sampler=optuna.samplers.TPESampler(seed=args.seed)
    )
    scheduler = ASHAScheduler(
        time_attr="training_iteration",
        max_t=reports,
        grace_period=min(2, reports),
        reduction_factor=3,
    )
    param_space = {
        **search_space(args.max_epochs),
        "scenario": scenario,
        "target": target,
        "epochs_per_report": args.epochs_per_report,
        "model_seed": args.seed,
        "tracking_uri": uri,
        "experiment_id": experiment_id,
        "artifact_root": str(
            (args.storage_path / "ebm-trials" / f"{scenario}-{target}").resolve()
        ),
    }
    tuner = tune.Tuner(
        tune.with_resources(EBMTrial, {"cpu": 1}),
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=METRIC,
            mode="min",
            search_alg=searcher,
            scheduler=scheduler,
            num_samples=args.trials,
            max_concurrent_trials=args.max_concurrent,
        ),
        run_config=tune.RunConfig(
            name=f"ebm-{scenario}-{target}-{int(time.time())}",
            storage_path=str(args.storage_path.resolve()),
            verbose=0,
        ),
    )
    return tuner.fit()


HISTORY_KEYS = (
    "epoch",
    "train_nll",
    "val_crps",
    "val_nll",
    "val_coverage_90",
    "val_pit_calibration",
)


def close_open_runs(results: Any, uri: str) -> int:
    """Finish every trial whose MLflow run Tune left open; return how many."""
    import mlflow

    from gridmarket.oracles.ebm.tune import finalize_trial

    client = mlflow.MlflowClient(tracking_uri=uri)
    closed = 0
    for result in results:
        metrics = result.metrics or {}
        run_id = metrics.get("mlflow_run_id")
        if not run_id or client.get_run(run_id).info.status != "RUNNING":
            continue
        frame = result.metrics_dataframe
        history = frame[list(HISTORY_KEYS)].to_dict("records")
        finalize_trial(result.config, history, metrics["artifact_dir"])
        client.log_artifacts(run_id, metrics["artifact_dir"])
        client.set_terminated(run_id, status="FINISHED")
        closed += 1
    return closed


def ship_best(
    results: Any, args: argparse.Namespace, scenario: str, target: str
) -> dict[str, Any]:
    """Refit the best trial's configuration and write it (+ card) to ``--out-dir``."""
    from gridmarket.oracles.ebm.train import train_oracle
    from gridmarket.oracles.ebm.tune import METRIC, SEARCHED, ebm_config

    best = results.get_best_result(metric=METRIC, mode="min", scope="all")
    history = best.metrics_dataframe
    epochs = int(history.loc[history[METRIC].idxmin(), "epoch"])
    config = ebm_config({**best.config, "epochs": epochs})
    finished = [r for r in results if r.metrics and METRIC in r.metrics]
    selection = {
        "method": "Ray Tune: OptunaSearch (TPE) + ASHA on mean walk-forward validation CRPS",
        "trials": len(results),
        "trials_reported": len(finished),
        "seed": args.seed,
        "best_trial": Path(best.path).name,  # the trial folder, machine-independent
        "best_val_crps": float(history[METRIC].min()),
        "best_config": {k: best.config[k] for k in SEARCHED},
        "epochs": f"the best report's epoch ({epochs}) of the best trial",
    }
    out_dir = args.out_dir
    oracle = train_oracle(
        scenario, target, config, out_dir=out_dir, selection=selection
    )
    return {"selection": selection, "card": oracle.card}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _validate(args)
    import ray

    from gridmarket.oracles.data import SCENARIOS
    from gridmarket.oracles.ebm.data import TARGETS

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    uri = resolve_tracking_uri(args.mlflow_uri)
    experiment_id = mlflow_experiment(uri, args.experiment_name)
    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(address=args.address, include_dashboard=False)
    try:
        for scenario in args.scenario or list(SCENARIOS):
            for target in args.target or list(TARGETS):
                results = tune_one(args, scenario, target, uri, experiment_id)
                close_open_runs(results, uri)
                shipped = ship_best(results, args, scenario, target)
                card, sel = shipped["card"], shipped["selection"]
                print(
                    f"{scenario}/{target}: best val CRPS {sel['best_val_crps']:.3f} "
                    f"({sel['trials_reported']}/{sel['trials']} trials reported) "
                    f"config {json.dumps(sel['best_config'])} | hold-out CRPS "
                    f"{card['holdout_metrics']['crps_exact']:.3f} | MLflow {uri} "
                    f"experiment {args.experiment_name!r}"
                )
    finally:
        if started_ray:
            ray.shutdown()
    return 0
