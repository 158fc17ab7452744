"""The tuned-example harness end to end: CLI, --as-test, and surviving a crash."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest

from gridmarket.algorithms.tb import TB
from gridmarket.experiment import Metric, format_table, run_experiment
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


def test_checkpoints_and_mlflow_run_survive_a_crash(ray_session, tmp_path):
    command = [
        sys.executable,
        "-m",
        "gridmarket.tuned_examples.hypergrid_tb",
        "--ndim",
        "2",
        "--height",
        "4",
        "--stop-iters",
        "100000",
        "--no-stop-on-success",
        "--checkpoint-freq",
        "3",
    ]
    log = open(tmp_path / "log.txt", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=SUBPROCESS_ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        reported = wait_for_progress(tmp_path, min_steps=8, timeout_s=180)
    finally:
        os.killpg(
            proc.pid, signal.SIGKILL
        )  # the crash: driver, Ray and trainable at once
        proc.wait()
        log.close()
    client, runs = mlflow_runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "RUNNING"  # never closed, not lost
    history = client.get_metric_history(runs[0].info.run_id, "l1_distance")
    assert len(history) >= reported >= 8
    checkpoints = sorted(
        (tmp_path / "ray_results").glob("hypergrid_tb_*/*/checkpoint_*")
    )
    assert checkpoints, (tmp_path / "log.txt").read_text()[-2000:]
    algo = TB.from_checkpoint(checkpoints[-1])
    try:
        saved_iteration = algo.iteration
        assert saved_iteration >= 3 and saved_iteration % 3 == 0
        result = algo.train()
    finally:
        algo.stop()
    assert result["training_iteration"] == saved_iteration + 1


def wait_for_progress(directory: Path, *, min_steps: int, timeout_s: float) -> int:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        time.sleep(1.0)
        if not (directory / "mlflow.db").exists():
            continue
        try:
            client, runs = mlflow_runs(directory)
            steps = (
                len(client.get_metric_history(runs[0].info.run_id, "l1_distance"))
                if runs
                else 0
            )
        except Exception:  # the store may be mid-creation
            continue
        if steps >= min_steps and list(directory.glob("ray_results/*/*/checkpoint_*")):
            return steps
    raise AssertionError(
        f"no progress within {timeout_s}s: {(directory / 'log.txt').read_text()[-2000:]}"
    )


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
