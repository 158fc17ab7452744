"""The tuned-example harness end to end: CLI, --as-test, and surviving a crash."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from gridmarket.algorithms.tb import TB
from gridmarket.experiment import CRASH_ENV, Metric, format_table, run_experiment
from gridmarket.tuned_examples import hypergrid_tb

#: The console script installed next to this interpreter (works unactivated).
GRIDMARKET = str(Path(sys.executable).with_name("gridmarket"))

pytestmark = pytest.mark.slow

SUBPROCESS_ENV = {
    **os.environ,
    "RAY_AUTH_MODE": "disabled",
    "RAY_DEFAULT_OBJECT_STORE_MEMORY_PROPORTION": "0.02",
}


def mlflow_runs(directory):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{directory / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("gridmarket-hypergrid_tb")
    return client, (
        [] if experiment is None else client.search_runs([experiment.experiment_id])
    )


def run_gridmarket(*args, cwd):
    """The console script in ``cwd``; its output, after checking it exited 0."""
    out = subprocess.run(
        [GRIDMARKET, *args],
        cwd=cwd,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def test_cli_trains_to_the_stated_result(tmp_path):
    out = run_gridmarket(
        "train",
        "hypergrid_tb",
        *("--ndim", "2", "--height", "8", "--stop-iters", "80", "--as-test"),
        cwd=tmp_path,
    )
    assert "--as-test passed: l1_distance_mean10 <= 0.05" in out.stdout
    assert (
        "iter " in out.stdout
        and "mlflow ui --backend-store-uri sqlite:///" in out.stdout
    )
    client, runs = mlflow_runs(tmp_path)
    assert [run.info.status for run in runs] == ["FINISHED"]
    assert runs[0].data.metrics["l1_distance_mean10"] <= 0.05
    assert list((tmp_path / "ray_results").glob("hypergrid_tb_*/*/checkpoint_*"))


def test_main_job_summarizes_the_stress_paths_it_found(tmp_path):
    out = run_gridmarket(
        "train",
        "grid_market_tb",
        *("--stop-iters", "3", "--summary-paths", "128"),
        cwd=tmp_path,
    )
    assert "Stress paths: 128 sampled from" in out.stdout
    assert "distinct severe modes" in out.stdout
    assert "point oracle predicted mean return" in out.stdout
    assert (
        "EBM at the paths' ends (mean): P(12-month S&P 500 return < -20%)" in out.stdout
    )
    charts = list(
        (tmp_path / "ray_results").glob("grid_market_tb_*/*/stress_paths/fan_chart.png")
    )
    assert len(charts) == 1 and charts[0].stat().st_size > 10_000
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("gridmarket-grid_market_tb")
    run = client.search_runs([experiment.experiment_id])[0]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "stress_paths")}
    assert {"stress_paths/fan_chart.png", "stress_paths/top_paths.csv"} <= artifacts


def test_as_test_fails_when_the_result_is_not_reached(ray_session, tmp_path, capsys):
    args = hypergrid_tb.parser.parse_args(
        [
            "--ndim",
            "2",
            "--height",
            "8",
            "--stop-iters",
            "1",
            "--as-test",
            "--storage-path",
            str(tmp_path / "results"),
            "--mlflow-uri",
            f"sqlite:///{tmp_path}/m.db",
        ]
    )
    config = hypergrid_tb.build_config(2, 8)
    code = run_experiment(
        config, args, name="hypergrid_tb", success=hypergrid_tb.SUCCESS
    )
    assert code == 1
    assert (
        "--as-test FAILED: expected l1_distance_mean10 <= 0.05"
        in capsys.readouterr().out
    )


#: A tiny HyperGrid run, checkpointed every 3 iterations, 9 iterations in all.
CRASH_RUN = (
    *("train", "hypergrid_tb", "--ndim", "2", "--height", "4"),
    *("--stop-iters", "9", "--no-stop-on-success", "--checkpoint-freq", "3"),
)


def run_until_crash(*args, cwd, at_iteration):
    """The console script, SIGKILLed with its whole process group (driver, Ray,
    trainables) right after it reports ``at_iteration``; its output."""
    out = subprocess.run(
        [GRIDMARKET, *args],
        cwd=cwd,
        env={**SUBPROCESS_ENV, CRASH_ENV: str(at_iteration)},
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    assert out.returncode == -signal.SIGKILL, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def printed_iterations(stdout):
    return [int(m) for m in re.findall(r"\] iter +(\d+) \|", stdout)]


def tear_like_a_kill_mid_write(complete: Path, torn: Path):
    """What a SIGKILL during Tune's copy of a checkpoint leaves: the folder with
    the first files copied, one of them cut short, the rest missing."""
    files = sorted(f for f in complete.rglob("*") if f.is_file())
    for f in files[: len(files) // 2]:
        target = torn / f.relative_to(complete)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    target.write_bytes(f.read_bytes()[: max(1, f.stat().st_size // 2)])


def test_resume_after_crashes_takes_the_last_complete_checkpoint(tmp_path):
    # Crash 1: between checkpoints (iteration 5; the checkpoint holds 3).
    first = run_until_crash(*CRASH_RUN, cwd=tmp_path, at_iteration=5)
    assert printed_iterations(first) == [1, 2, 3, 4, 5]
    client, runs = mlflow_runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "RUNNING"  # not lost
    assert len(client.get_metric_history(runs[0].info.run_id, "l1_distance")) == 5
    (trial_dir,) = (tmp_path / "ray_results").glob("hypergrid_tb_*/*_00000_*")
    checkpoints = sorted(trial_dir.glob("checkpoint_*"))
    # Crash 2, as it lands: during the write of the next checkpoint.
    torn_next = trial_dir / f"checkpoint_{len(checkpoints):06d}"
    tear_like_a_kill_mid_write(checkpoints[-1], torn_next)
    # Crash 3: the resumed run, killed after writing checkpoint 6 over the torn one.
    second = run_until_crash(*CRASH_RUN, "--resume", cwd=tmp_path, at_iteration=8)
    assert printed_iterations(second) == [4, 5, 6, 7, 8]  # from 3: lost 4-5
    third = run_gridmarket(*CRASH_RUN, "--resume", cwd=tmp_path)
    assert printed_iterations(third.stdout) == [7, 8, 9]  # from 6: lost 7-8
    client, runs = mlflow_runs(tmp_path)
    assert [run.info.status for run in runs] == ["FINISHED"]  # one run throughout
    steps = {
        m.step for m in client.get_metric_history(runs[0].info.run_id, "l1_distance")
    }
    assert steps == set(range(1, 10))
    algo = TB.from_checkpoint(sorted(trial_dir.glob("checkpoint_00000*"))[-1])
    try:
        assert algo.iteration == 9
    finally:
        algo.stop()


def test_metric_and_table_helpers():
    assert Metric("l1", 0.05).reached(0.04) and not Metric("l1", 0.05).reached(
        float("nan")
    )
    assert Metric("r", 1.0, mode="max").reached(1.0) and not Metric(
        "r", 1.0, mode="max"
    ).reached(None)
    table = format_table(["a", "bb"], [[1, 0.123456], ["xyz", 12345]])
    assert table.splitlines()[2] == "1   | 0.1235"
    assert "12,345" in table
