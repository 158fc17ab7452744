"""``gridmarket evaluate``: every stress-path method, several seeds, one budget.

    gridmarket evaluate --scenario gfc-2007 --budget 16384 --samples 1024 --seeds 0 1 2

Writes ``runs.csv`` (one row per method and seed), ``summary.md`` (mean +- std over
seeds), ``attribution.csv``, ``metrics.png`` and each method's fan chart and top
paths (first seed) to ``--out-dir``, and logs all of it to MLflow as one run with
the files as artifacts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.evaluation.methods import METHODS, MethodRun, run_method
from gridmarket.evaluation.report import (
    path_metrics,
    save_path_report,
    tail_threshold_from_random_paths,
)
from gridmarket.experiment import format_table
from gridmarket.scenario_args import add_scenario_args, env_config_from_args
from gridmarket.tracking import (
    config_params,
    log_batched,
    mlflow_ui_hint,
    resolve_tracking_uri,
)

TABLE_METRICS = (
    "log_reward_mean",
    "top_k_log_reward_mean",
    "tail_coverage",
    "expected_shortfall_5",
    "top_k_diversity",
    "severe_modes",
)
SYNTHETIC_METRICS = ("modes_recovered", "near_mode_share")
#: On the real scenarios, every method's paths are also scored by the scenario's EBM
#: oracle and the path-plausibility model (whatever oracle the method trained on):
#: mean P(r < -20% | x_H), mean ES_5%(x_H) (%), and the RMS monthly Mahalanobis
#: distance of the path's increments to the training months' increments (history's
#: own 12-month windows score about sqrt(6) = 2.4; see ``history_mahalanobis``).
RISK_METRICS = ("ebm_tail_prob_20", "ebm_es_5", "mahalanobis_rms")


def path_mahalanobis_rms(states: np.ndarray, plausibility: Any) -> np.ndarray:
    """``[N]`` RMS over months of the increments' Mahalanobis distance."""
    log_p = plausibility.log_density(states)  # -1/2 sum_t d_t^2
    months = states.shape[1] - 1
    return np.sqrt(-2.0 * log_p / months)


def history_mahalanobis(scenario: str, horizon: int = 12) -> np.ndarray:
    """The same RMS distance for every 12-month window of the training months."""
    from gridmarket.envs.grid_market.scenarios import get_scenario, path_plausibility

    train = np.asarray(get_scenario(scenario).oracle.train_states, dtype=np.float64)
    windows = np.stack(
        [train[i : i + horizon + 1] for i in range(len(train) - horizon)]
    )
    return path_mahalanobis_rms(windows, path_plausibility(scenario))


def path_risk_metrics(states: np.ndarray, scenario: str) -> dict[str, float]:
    """:data:`RISK_METRICS` of ``[N, H + 1, d]`` paths of a real scenario."""
    from gridmarket.envs.grid_market.scenarios import get_oracle, path_plausibility

    ebm = get_oracle(scenario, "ebm")
    states = np.asarray(states, dtype=np.float64)
    terminal = states[:, -1]
    return {
        "ebm_tail_prob_20": float(ebm.tail_probability(terminal, -20.0).mean()),
        "ebm_es_5": float(ebm.expected_shortfall(terminal, 0.05).mean()),
        "mahalanobis_rms": float(
            path_mahalanobis_rms(states, path_plausibility(scenario)).mean()
        ),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridmarket evaluate", description=__doc__.split("\n\n")[0]
    )
    add_scenario_args(parser)
    parser.add_argument(
        "--budget", type=int, default=16_384, help="oracle calls per method"
    )
    parser.add_argument(
        "--samples", type=int, default=1024, help="evaluation paths per method"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument(
        "--tb-replay-per-fresh",
        type=int,
        default=None,
        help="TB's replayed trajectories per fresh one; default: the scenario's "
        "entry in gridmarket.algorithms.tb.presets.REPLAY_PER_FRESH",
    )
    parser.add_argument("--out-dir", default="evaluation")
    parser.add_argument("--mlflow-uri", default=None)
    return parser


def synthetic_metrics(
    run: MethodRun, oracle: Any, radius: float = 30.0
) -> dict[str, float]:
    """Known-truth checks on ``synthetic-modes``: the share of paths ending within
    ``radius`` of a mode, and how many modes hold at least 1% of the paths."""
    index, distance = oracle.nearest_mode(run.paths.states[:, -1])
    near = distance < radius
    shares = [float(np.mean(near & (index == k))) for k in range(len(oracle.modes))]
    return {
        "near_mode_share": float(near.mean()),
        "modes_recovered": int(sum(s >= 0.01 for s in shares)),
    }


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run every method and seed; write the files; return the per-run rows."""
    import ray

    if not ray.is_initialized():
        ray.init(
            num_cpus=max(os.cpu_count() or 1, 2),
            include_dashboard=False,
            log_to_driver=False,
        )
    from gridmarket.envs.grid_market.scenarios import get_oracle

    env_config = env_config_from_args(args)
    oracle = get_oracle(args.scenario, env_config.get("oracle", "point"))
    threshold = tail_threshold_from_random_paths("GridMarket-v0", env_config)
    out = Path(args.out_dir).resolve()
    rows = []
    for method in args.methods:
        for seed in args.seeds:
            run = run_method(
                method,
                env_config,
                budget=args.budget,
                samples=args.samples,
                seed=seed,
                tb_replay_per_fresh=args.tb_replay_per_fresh,
            )
            metrics = path_metrics(
                run.paths, oracle, tail_threshold=threshold, seed=seed
            )
            if args.scenario == "synthetic-modes":
                metrics.update(synthetic_metrics(run, oracle))
            else:
                metrics.update(path_risk_metrics(run.paths.states, args.scenario))
            row = {
                "method": method,
                "seed": seed,
                "oracle_calls": run.oracle_calls,
                "train_seconds": run.train_seconds,
                **metrics,
            }
            rows.append(row)
            write_runs_csv(
                rows, table_keys(args), out
            )  # what finished survives a crash
            print(
                f"{method:14s} seed {seed}: "
                + ", ".join(f"{k} {row[k]:.4g}" for k in TABLE_METRICS),
                flush=True,
            )
            if seed == args.seeds[0]:
                title = f"{method} on {args.scenario}, budget {args.budget}"
                save_path_report(
                    run.paths, oracle, out / method, title=title, metrics=metrics
                )
    return {
        "rows": rows,
        "tail_threshold": threshold,
        "env_config": env_config,
        "out": out,
    }


def summarize(rows: list[dict[str, Any]], keys: list[str]) -> list[list[Any]]:
    table = []
    for method in dict.fromkeys(r["method"] for r in rows):
        values = [r for r in rows if r["method"] == method]
        cells = []
        for key in keys:
            data = np.array([r[key] for r in values], dtype=float)
            cells.append(f"{data.mean():.4g} ± {data.std():.2g}")
        table.append([method, len(values), *cells])
    return table


def table_keys(args: argparse.Namespace) -> list[str]:
    """The per-run columns of ``runs.csv`` and ``summary.md``."""
    synthetic = SYNTHETIC_METRICS if args.scenario == "synthetic-modes" else ()
    risk = RISK_METRICS if args.scenario != "synthetic-modes" else ()
    return [*TABLE_METRICS, *synthetic, *risk, "train_seconds"]


def write_runs_csv(rows: list[dict[str, Any]], keys: list[str], out: Path) -> None:
    """``runs.csv``: one line per finished method and seed."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "runs.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["method", "seed", "oracle_calls", *keys])
        for r in rows:
            writer.writerow(
                [r["method"], r["seed"], r["oracle_calls"], *(r[k] for k in keys)]
            )


def write_outputs(result: dict[str, Any], args: argparse.Namespace) -> Path:
    """``attribution.csv``, ``summary.md`` and ``metrics.png`` (``runs.csv`` is
    written as runs finish)."""
    rows, out, keys = result["rows"], result["out"], table_keys(args)
    features = list(rows[0]["attribution"])
    with (out / "attribution.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["method", "seed", *features])
        for r in rows:
            writer.writerow(
                [r["method"], r["seed"], *(r["attribution"][f] for f in features)]
            )
    header = ["method", "seeds", *keys]
    summary = format_table(header, summarize(rows, keys))
    settings = {k: v for k, v in vars(args).items() if k != "mlflow_uri"}
    history = (
        ""
        if args.scenario == "synthetic-modes"
        else "History's 12-month windows (training months): mahalanobis_rms "
        f"{history_mahalanobis(args.scenario).mean():.3f}\n"
    )
    (out / "summary.md").write_text(
        f"# Stress-path methods on {args.scenario}\n\nSettings: {json.dumps(settings)}\n"
        f"{history}"
        f"Tail threshold (5% quantile of random paths' predicted return): "
        f"{result['tail_threshold']:+.3f}%\n\n```\n{summary}\n```\n"
    )
    _plot_metrics(rows, keys, out / "metrics.png")
    print("\n" + summary)
    return out


def _plot_metrics(rows: list[dict[str, Any]], keys: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.2))
    for ax, key in zip(np.atleast_1d(axes), keys, strict=True):
        data = [[r[key] for r in rows if r["method"] == m] for m in methods]
        ax.bar(
            methods,
            [np.mean(d) for d in data],
            yerr=[np.std(d) for d in data],
            color="tab:red",
            alpha=0.7,
        )
        ax.set_title(key, fontsize=9)
        ax.tick_params(axis="x", rotation=60, labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def log_to_mlflow(result: dict[str, Any], args: argparse.Namespace, out: Path) -> str:
    import mlflow
    from mlflow.entities import Metric

    uri = resolve_tracking_uri(args.mlflow_uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("gridmarket-evaluate")
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment("gridmarket-evaluate")
    )
    run = client.create_run(
        experiment_id, run_name=f"{args.scenario}-budget{args.budget}"
    )
    run_id = run.info.run_id
    params = {
        **result["env_config"],
        "budget": args.budget,
        "samples": args.samples,
        "seeds": args.seeds,
        "tb_replay_per_fresh": args.tb_replay_per_fresh,
    }
    timestamp = int(time.time() * 1000)
    metrics = [
        Metric(f"{r['method']}/{key}", float(r[key]), timestamp, r["seed"])
        for r in result["rows"]
        for key in (
            *TABLE_METRICS,
            *(k for k in (*SYNTHETIC_METRICS, *RISK_METRICS) if k in r),
        )
    ]
    log_batched(client, run_id, metrics=metrics, params=config_params(params))
    client.log_artifacts(run_id, str(out))
    client.set_terminated(run_id)
    print(
        f"\nFiles in {out}; MLflow run {run_id} in {uri}\nOpen it with:  {mlflow_ui_hint(uri)}"
    )
    return run_id


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = evaluate(args)
    out = write_outputs(result, args)
    log_to_mlflow(result, args, out)
    return 0
