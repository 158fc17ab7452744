"""`gridmarket oracles tune --model ebm`: a tiny Ray Tune + Optuna + ASHA sweep, logged
to MLflow on sqlite, on a real PostgreSQL server directly, and through an MLflow
tracking server backed by that PostgreSQL server (pgserver: a PostgreSQL 16 build from
PyPI, started in a temporary folder, reachable only over a Unix socket)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest

from gridmarket.oracle_tune import main as tune_main
from gridmarket.oracle_tune import mlflow_experiment

# A busy shared CI machine can take longer than Ray's default 30 s to register a node.
os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")
from gridmarket.oracles.ebm import load_ebm_oracle

TRIAL_FILES = {
    "summary.txt",
    "results.json",
    "epoch_metrics.csv",
    "curves.png",
    "pit_validation.png",
    "pit_test.png",
    "bands_validation.png",
    "bands_test.png",
    "weights.safetensors",
    "weights.sha256",
}


def tiny_sweep(
    tmp: Path, uri: str, trials: int = 3, experiment: str = "ebm-test"
) -> Path:
    out = tmp / "shipped"
    argv = ["--model", "ebm", "--trials", str(trials), "--max-epochs", "2"]
    argv += ["--epochs-per-report", "1", "--scenario", "dotcom-2001", "--target", "spx"]
    argv += [
        "--out-dir",
        str(out),
        "--storage-path",
        str(tmp / "ray"),
        "--mlflow-uri",
        uri,
    ]
    argv += ["--experiment-name", experiment]
    assert tune_main(argv) == 0
    return out


def check_runs(uri: str, experiment: str, trials: int) -> None:
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == trials
    for run in runs:
        assert run.info.status == "FINISHED"
        assert run.data.params["scenario"] == "dotcom-2001"
        assert 0 < run.data.metrics["val_crps"] < 100
        names = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert names == TRIAL_FILES


@pytest.mark.slow
def test_tiny_sweep_ships_the_best_trial_and_logs_every_trial(ray_session, tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    out = tiny_sweep(tmp_path, uri)
    check_runs(uri, "ebm-test", trials=3)
    oracle = load_ebm_oracle("dotcom-2001", "spx", directory=out)
    selection = oracle.card["selection"]
    assert selection["trials"] == 3 and selection["trials_reported"] == 3
    assert oracle.config.epochs in (1, 2)
    assert {k: selection["best_config"][k] for k in ("depth", "width")} == {
        "depth": oracle.config.depth,
        "width": oracle.config.width,
    }
    trial_dirs = list((tmp_path / "ray" / "ebm-trials" / "dotcom-2001-spx").glob("*"))
    assert len(trial_dirs) == 3
    # the card names the best trial's folder, not a path on the tuning machine
    assert "/" not in selection["best_trial"] and str(tmp_path) not in str(selection)
    results = json.loads((trial_dirs[0] / "results.json").read_text())
    assert results["test"]["nll"] > 0 and len(results["validation"]["folds"]) == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def postgres():
    """A throwaway PostgreSQL server (Unix socket only), stopped and deleted after."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="gm_pg_"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        server.psql("CREATE DATABASE mlflow;")
        yield server.get_uri("mlflow")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_postgres_direct_and_through_a_tracking_server(ray_session, tmp_path, postgres):
    assert postgres.startswith("postgresql://")
    # 1. --mlflow-uri postgresql://...: the same client calls the driver and every
    #    trial make, straight to PostgreSQL (a sweep here would only repeat 2.).
    experiment = mlflow_experiment(postgres, "ebm-pg-direct")
    client = mlflow.MlflowClient(tracking_uri=postgres)
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "val_crps", 7.25)
    client.set_terminated(run.info.run_id)
    assert mlflow.MlflowClient(tracking_uri=postgres).get_run(
        run.info.run_id
    ).data.metrics == {"val_crps": 7.25}
    # 2. An MLflow tracking server on 127.0.0.1 backed by that PostgreSQL; trials log
    #    to it over HTTP, as every node of a Ray cluster would.
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            postgres,
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, "mlflow server exited"
            assert time.monotonic() < deadline, "mlflow server did not start in 300 s"
            time.sleep(1)
        tiny_sweep(tmp_path / "server", url, trials=2, experiment="ebm-pg-server")
        check_runs(url, "ebm-pg-server", trials=2)
        # The runs are rows in PostgreSQL, read back without the server.
        client = mlflow.MlflowClient(tracking_uri=postgres)
        exp = client.get_experiment_by_name("ebm-pg-server")
        runs = client.search_runs([exp.experiment_id])
        assert len(runs) == 2 and all(r.info.status == "FINISHED" for r in runs)
    finally:
        server.terminate()
        server.wait(timeout=30)
