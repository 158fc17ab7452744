"""``gridmarket evaluate-forecast``: naive (or your) forecasters on TextForecast-v0
windows, with a table, forecast-vs-actual plots and an MLflow run.

gridmarket evaluate-forecast --agent persistence --ticker AAPL --split test
gridmarket evaluate-forecast --agent naive --ticker all --split test
gridmarket evaluate-forecast --agent mypackage.agents:MyLLMAgent --ticker AAPL
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.envs.text_forecast import baselines
from gridmarket.envs.text_forecast.data import SPLITS, WindowSet, load_window_set
from gridmarket.evaluation.forecast import (
    METRICS,
    ForecastEvaluation,
    evaluate_agent,
    load_agent,
    summary_rows,
    write_forecasts_csv,
)
from gridmarket.experiment import format_table
from gridmarket.tracking import (
    config_params,
    log_batched,
    mlflow_ui_hint,
    resolve_tracking_uri,
)

EXPERIMENT = "gridmarket-evaluate-forecast"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridmarket evaluate-forecast",
        description="Score forecasters on TextForecast-v0 windows: MAE, MAPE, "
        "directional accuracy, format validity, 95%% block-bootstrap intervals.",
    )
    parser.add_argument(
        "--agent",
        action="append",
        required=True,
        help=f"one of {', '.join(baselines.NAIVE_FORECASTERS)}, 'naive' (all five), "
        "or module:attr (an object, class or factory with forecast(prompt) -> str); "
        "repeat for several",
    )
    parser.add_argument("--ticker", default="AAPL", help="a ticker, a,b,c or 'all'")
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--horizon", type=int, default=10)
    parser.add_argument("--prompt-format", default="seed", choices=("seed", "compact"))
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--mlflow-uri", default=None)
    parser.add_argument("--no-mlflow", action="store_true")
    return parser


def agent_names(specs: list[str]) -> list[str]:
    names = []
    for spec in specs:
        names += list(baselines.NAIVE_FORECASTERS) if spec == "naive" else [spec]
    return list(dict.fromkeys(names))


def build_agent(name: str, args: argparse.Namespace, tickers: Any) -> Any:
    """A naive forecaster (fitted on the train split when it learns) or a
    ``module:attr`` agent."""
    if name not in baselines.NAIVE_FORECASTERS:
        return load_agent(name)
    agent = baselines.NAIVE_FORECASTERS[name]()
    if name in baselines.NEEDS_FIT:
        train = load_window_set(
            tickers,
            "train",
            window=args.window,
            horizon=args.horizon,
            prompt_format=args.prompt_format,
        )
        agent.fit(train.prompts, train.targets)
    return agent


def plot_forecasts(
    evaluation: ForecastEvaluation, windows: WindowSet, path: Path, max_tickers: int = 4
) -> None:
    """Actual closes and every ``horizon``-th window's forecast, per ticker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tickers = list(dict.fromkeys(windows.ticker.tolist()))[:max_tickers]
    fig, axes = plt.subplots(
        len(tickers), 1, figsize=(10, 3 * len(tickers)), squeeze=False
    )
    h = windows.horizon
    for ax, ticker in zip(axes[:, 0], tickers, strict=True):
        rows = np.flatnonzero(windows.ticker == ticker)
        last = rows[-1]
        ahead = windows.forecast_day[last] + np.arange(1, h + 1)
        ax.plot(
            np.r_[windows.forecast_day[rows], ahead],
            np.r_[windows.last_close[rows], windows.targets[last]],
            color="black",
            lw=1,
            label="actual close",
        )
        for i in rows[::h]:
            t = windows.forecast_day[i]
            ax.plot(
                np.arange(t, t + h + 1),
                np.r_[windows.last_close[i], evaluation.forecasts[i]],
                color="tab:red",
                lw=1,
            )
        ax.set_title(f"{evaluation.agent} on {ticker} ({windows.split})", fontsize=9)
        ax.set_xlabel("trading day index")
        ax.plot([], [], color="tab:red", label=f"forecast (every {h}th window)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_error_by_day(
    evaluations: list[ForecastEvaluation], windows: WindowSet, path: Path
) -> None:
    """Mean |forecast - actual| / scale by horizon day, one line per agent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    days = np.arange(1, windows.horizon + 1)
    for e in evaluations:
        err = np.abs(e.forecasts - windows.targets) / windows.scale[:, None]
        ax.plot(days, np.nanmean(err, axis=0), marker="o", ms=3, label=e.agent)
    ax.set_xlabel("days ahead")
    ax.set_ylabel("mean |error| / scale")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_outputs(
    evaluations: list[ForecastEvaluation], windows: WindowSet, args: Any, out: Path
) -> str:
    out.mkdir(parents=True, exist_ok=True)
    table = format_table(["agent", *METRICS], summary_rows(evaluations))
    settings = {k: str(v) for k, v in vars(args).items() if k != "mlflow_uri"}
    (out / "table.md").write_text(
        f"# Forecasters on {args.ticker} ({args.split}, {len(windows)} windows)\n\n"
        f"Settings: {json.dumps(settings)}\n\nmean [95% block-bootstrap interval]\n\n"
        f"```\n{table}\n```\n"
    )
    write_forecasts_csv(evaluations, windows, out / "forecasts.csv")
    for e in evaluations:
        plot_forecasts(e, windows, out / f"forecast_vs_actual_{e.agent}.png")
    plot_error_by_day(evaluations, windows, out / "error_by_day.png")
    return table


def log_to_mlflow(
    evaluations: list[ForecastEvaluation], windows: WindowSet, args: Any, out: Path
) -> str:
    """One run: ``agent/metric`` (+ ``_lo``/``_hi``) metrics, settings as params,
    the table, forecasts and plots as artifacts, in as few calls as allowed."""
    import mlflow
    from mlflow.entities import Metric

    uri = resolve_tracking_uri(args.mlflow_uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
    )
    run = client.create_run(experiment_id, run_name=f"{args.ticker}-{args.split}")
    run_id = run.info.run_id
    stamp = int(time.time() * 1000)
    metrics = [
        Metric(f"{e.agent}/{metric}{suffix}", value, stamp, 0)
        for e in evaluations
        for metric, triple in e.summary.items()
        for suffix, value in zip(("", "_lo", "_hi"), triple, strict=True)
        if np.isfinite(value)
    ]
    params = {k: v for k, v in vars(args).items() if k not in ("mlflow_uri", "out")}
    params["n_windows"] = len(windows)
    try:
        log_batched(client, run_id, metrics=metrics, params=config_params(params))
        client.log_artifacts(run_id, str(out))
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    print(f"MLflow run {run_id} in {uri}\nOpen it with:  {mlflow_ui_hint(uri)}")
    return run_id


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tickers = args.ticker if args.ticker == "all" else args.ticker.split(",")
    windows = load_window_set(
        tickers,
        args.split,
        window=args.window,
        horizon=args.horizon,
        prompt_format=args.prompt_format,
    )
    evaluations = []
    for name in agent_names(args.agent):
        agent = build_agent(name, args, tickers)
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", name.rsplit(":", 1)[-1])
        evaluations.append(
            evaluate_agent(
                agent, windows, name=label, n_boot=args.n_boot, seed=args.seed
            )
        )
    out = args.out or Path("forecast_eval") / f"{args.ticker}-{args.split}"
    table = write_outputs(evaluations, windows, args, out)
    print(f"{len(windows)} windows of {args.ticker} ({args.split})\n\n{table}\n")
    print(f"Files in {out}")
    if not args.no_mlflow:
        log_to_mlflow(evaluations, windows, args, out)
    return 0
