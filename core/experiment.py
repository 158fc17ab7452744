"""Run a tuned example under Ray Tune with MLflow tracking: the shared harness.

Every file in ``gridmarket.tuned_examples`` builds an ``AlgorithmConfig`` and calls
:func:`run_experiment`. It starts (or joins) Ray, runs ``tune.Tuner`` with a
batched MLflow logger on sqlite, prints one progress line per iteration, ends
with a summary table and the MLflow run, and with ``--as-test`` fails unless the
example's stated result was reached.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridmarket.tracking import mlflow_ui_hint, resolve_tracking_uri


@dataclass(frozen=True)
class Metric:
    """A result key and the threshold that counts as success."""

    name: str
    threshold: float
    mode: str = "min"  # "min": success when value <= threshold; "max": >=

    def reached(self, value: float | None) -> bool:
        if value is None or not math.isfinite(value):
            return False
        return (
            value <= self.threshold if self.mode == "min" else value >= self.threshold
        )


def tuned_example_parser(
    description: str | None, *, default_iters: int, default_env_runners: int = 0
) -> argparse.ArgumentParser:
    """The options every tuned example understands."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--stop-iters", type=int, default=default_iters, help="stop after N iterations")
    add("--num-env-runners", type=int, default=default_env_runners)
    add("--num-learners", type=int, default=0, help="0: learn in the main process")
    add("--address", default=None, help="Ray cluster address, e.g. 10.0.0.1:6379")
    add("--as-test", action="store_true", help="fail unless the expected result is met")
    add("--no-stop-on-success", action="store_true", help="run all --stop-iters")
    add("--seed", type=int, default=0)
    add("--num-samples", type=int, default=1, help="Tune samples (repeats/sweeps)")
    add(
        "--checkpoint-freq", type=int, default=10, help="iterations between checkpoints"
    )
    add(
        "--mlflow-uri",
        default=None,
        help="default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db",
    )
    add(
        "--experiment-name",
        default=None,
        help="MLflow experiment (default: example name)",
    )
    add("--storage-path", default="ray_results", help="Tune results and checkpoints")
    add(
        "--resume",
        nargs="?",
        const="latest",
        default=None,
        metavar="EXPERIMENT_DIR",
        help="continue a crashed or stopped run from its last complete checkpoint: "
        "the newest run of this example under --storage-path, or EXPERIMENT_DIR",
    )
    return parser


class _ProgressPrinter:
    """A Tune callback printing one compact line per reported iteration."""

    def __init__(self, keys: Sequence[str]) -> None:
        from ray.tune import Callback

        printer = self

        class _Callback(Callback):
            def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
                printer.print_result(trial, result)
                _crash_here_if_asked(result)

            def on_trial_error(self, iteration, trials, trial, **info):  # noqa: ANN001
                print(
                    f"[{trial}] ERROR: {trial.error_file or 'see Tune logs'}",
                    flush=True,
                )

        self.keys = keys
        self.callback = _Callback()

    def print_result(self, trial: Any, result: dict[str, Any]) -> None:
        parts = [f"[{trial}] iter {result.get('training_iteration', 0):>4}"]
        for key in self.keys:
            value = _lookup(result, key)
            if value is not None:
                parts.append(f"{key.split('/')[-1]} {_fmt(value)}")
        parts.append(f"{result.get('time_total_s', 0.0):.1f}s")
        print(" | ".join(parts), flush=True)


#: Test hook: SIGKILL this process group right after reporting this iteration.
CRASH_ENV = "GRIDMARKET_TEST_CRASH_AT_ITERATION"


def _crash_here_if_asked(result: dict[str, Any]) -> None:
    """Simulate a crash (driver, Ray and trainables at once) at a known point."""
    if str(result.get("training_iteration")) == os.environ.get(CRASH_ENV):
        os.killpg(os.getpgid(0), signal.SIGKILL)


def _lookup(result: dict[str, Any], key: str) -> Any:
    value: Any = result
    for part in key.split("/"):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and abs(value) >= 10:
            return f"{int(value):,}"
        return f"{float(value):.4g}"
    return str(value)


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (no extra dependency)."""
    cells = [list(header)] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    lines = [
        " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _init_ray(args: argparse.Namespace, needed_cpus: int) -> None:
    import ray

    from gridmarket.console import quiet_ray_init_kwargs

    if ray.is_initialized():
        return
    if args.address:
        ray.init(address=args.address, **quiet_ray_init_kwargs())
    else:
        # A new local instance (not a `ray start` cluster that happens to run
        # here), with logical CPUs: a laptop with fewer cores than actors runs them.
        ray.init(
            address="local",
            num_cpus=max(os.cpu_count() or 1, needed_cpus),
            include_dashboard=False,
            **quiet_ray_init_kwargs(),
        )


@dataclass
class ExperimentResult:
    """What :func:`fit_experiment` produced: Tune's grid and where it was logged."""

    grid: Any
    mlflow_runs: dict[str, str]  # trial id -> MLflow run id
    tracking_uri: str
    experiment: str
    seconds: float


def run_experiment(
    config: Any,
    args: argparse.Namespace,
    *,
    name: str,
    success: Metric,
    progress: Sequence[str] = (),
    trainable: Any = None,
) -> int:
    """Train under Tune, print the summary; return a process exit code (0 = fine).

    ``config`` is an RLlib ``AlgorithmConfig``, or a Tune param-space dict for the
    Tune ``trainable`` given (the search baselines)."""
    result = fit_experiment(
        config, args, name=name, success=success, progress=progress, trainable=trainable
    )
    return report_experiment(
        result, success=success, progress=progress, as_test=args.as_test
    )


def _trainable_and_space(
    config: Any, args: argparse.Namespace, trainable: Any
) -> tuple[Any, Any]:
    if trainable is not None:
        return trainable, {**config, "seed": args.seed}
    config = config.copy(copy_frozen=False)
    config.env_runners(num_env_runners=args.num_env_runners)
    config.learners(num_learners=args.num_learners)
    config.debugging(seed=args.seed)
    return config.algo_class, config


def fit_experiment(
    config: Any,
    args: argparse.Namespace,
    *,
    name: str,
    success: Metric,
    progress: Sequence[str] = (),
    trainable: Any = None,
) -> ExperimentResult:
    """Run ``tune.Tuner`` with MLflow logging, progress lines and checkpoints."""
    from ray import tune

    from gridmarket.mlflow_logger import BatchedMLflowLoggerCallback

    trainable, param_space = _trainable_and_space(config, args, trainable)
    resume_from = (
        find_experiment(args.storage_path, name, args.resume) if args.resume else None
    )
    tracking_uri = resolve_tracking_uri(args.mlflow_uri)
    experiment = args.experiment_name or f"gridmarket-{name}"
    _init_ray(args, needed_cpus=1 + args.num_env_runners + args.num_learners)

    def stop(trial_id: str, result: dict[str, Any]) -> bool:
        done = result.get("training_iteration", 0) >= args.stop_iters
        reached = success.reached(_lookup(result, success.name))
        return done or (not args.no_stop_on_success and reached)

    mlflow_callback = BatchedMLflowLoggerCallback(
        tracking_uri=tracking_uri,
        experiment_name=experiment,
        tags={"gridmarket.example": name},
    )
    printer = _ProgressPrinter([*progress, success.name])
    # Tune's experiment state (what Tuner.restore reads) is saved after every
    # result, not every 10 s, so it never names a checkpoint that num_to_keep has
    # deleted, and a crash loses at most one checkpoint interval.
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "0")
    started = time.time()
    if resume_from is not None:
        print(f"gridmarket: resuming {name!r} from {resume_from} (its last checkpoint)")
        tuner = tune.Tuner.restore(
            str(resume_from),
            trainable,
            resume_unfinished=True,
            resume_errored=True,
            param_space=param_space,
        )
    else:
        print(
            f"gridmarket: training {name!r}; MLflow experiment {experiment!r} at "
            f"{tracking_uri}"
        )
        tuner = _new_tuner(
            trainable,
            param_space,
            args,
            name=name,
            stop=stop,
            callbacks=[mlflow_callback, printer.callback],
        )
    grid = tuner.fit()
    runs = mlflow_runs_of(grid, tracking_uri, experiment)
    return ExperimentResult(grid, runs, tracking_uri, experiment, time.time() - started)


def _new_tuner(
    trainable: Any,
    param_space: Any,
    args: argparse.Namespace,
    *,
    name: str,
    stop: Any,
    callbacks: list[Any],
) -> Any:
    from ray import tune

    run_dir = Path(args.storage_path).resolve() / time.strftime(f"{name}_%Y%m%d-%H%M%S")
    print(
        f"  results and checkpoints: {run_dir}\n"
        f"  after a crash: gridmarket train {name} --resume"
    )
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(num_samples=args.num_samples),
        run_config=tune.RunConfig(
            name=run_dir.name,
            storage_path=str(run_dir.parent),
            stop=stop,
            callbacks=callbacks,
            checkpoint_config=tune.CheckpointConfig(
                checkpoint_frequency=args.checkpoint_freq,
                checkpoint_at_end=True,
                num_to_keep=2,
            ),
            verbose=0,
        ),
    )


def find_experiment(storage_path: str, name: str, which: str) -> Path:
    """The experiment folder to resume: ``which``, or for ``"latest"`` the newest
    ``NAME_*`` run under ``storage_path`` that Tune can restore."""
    from ray import tune

    if which != "latest":
        candidates = [Path(which)]
    else:
        runs = Path(storage_path).resolve().glob(f"{name}_*")
        candidates = sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        if tune.Tuner.can_restore(str(path.resolve())):
            return path.resolve()
    raise SystemExit(
        f"--resume: no restorable run of {name!r} "
        + (
            f"under {Path(storage_path).resolve()}"
            if which == "latest"
            else f"at {which} (no Tune experiment state there)"
        )
    )


def mlflow_runs_of(grid: Any, tracking_uri: str, experiment: str) -> dict[str, str]:
    """Trial id -> MLflow run id of the trials in ``grid`` (from the runs' tags)."""
    import mlflow

    from gridmarket.mlflow_logger import TRIAL_ID_TAG

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return {}
    trial_ids = {(r.metrics or {}).get("trial_id") for r in grid}
    runs = client.search_runs([found.experiment_id], max_results=1000)
    return {
        run.data.tags[TRIAL_ID_TAG]: run.info.run_id
        for run in reversed(runs)  # newest last wins
        if run.data.tags.get(TRIAL_ID_TAG) in trial_ids
    }


def report_experiment(
    result: ExperimentResult,
    *,
    success: Metric,
    progress: Sequence[str] = (),
    as_test: bool = False,
) -> int:
    """Print the summary table and the MLflow run; the exit code of the run."""
    keys = [*progress, success.name]
    rows, reached, failed = [], [], []
    for trial in result.grid:
        metrics = trial.metrics or {}
        trial_id = metrics.get("trial_id", "?")
        if trial.error is not None:
            failed.append((trial_id, trial.error))
        reached.append(success.reached(_lookup(metrics, success.name)))
        checkpoint = trial.checkpoint.path if trial.checkpoint else "-"
        rows.append(
            [trial_id, metrics.get("training_iteration", 0)]
            + [_lookup(metrics, k) for k in keys]
            + [result.mlflow_runs.get(trial_id, "-"), checkpoint]
        )
    header = [
        "trial",
        "iters",
        *[k.split("/")[-1] for k in keys],
        "mlflow run",
        "checkpoint",
    ]
    print("\n" + format_table(header, rows))
    tracking_uri = result.tracking_uri
    print(
        f"\nFinished in {result.seconds:.1f}s. MLflow experiment "
        f"{result.experiment!r} in {tracking_uri}"
    )
    print(f"Open it with:  {mlflow_ui_hint(tracking_uri)}")
    for trial_id, error in failed:
        print(f"Trial {trial_id} failed: {error}")
    goal = (
        f"{success.name} {'<=' if success.mode == 'min' else '>='} {success.threshold}"
    )
    if failed:
        return 1
    if as_test:
        if not all(reached):
            print(f"--as-test FAILED: expected {goal}")
            return 1
        print(f"--as-test passed: {goal}")
    return 0
