"""`gridmarket evaluate` end to end: files, table and the MLflow run."""

import csv

import mlflow
import pytest

from gridmarket.cli import main


def test_evaluate_writes_reports_and_logs_to_mlflow(ray_session, tmp_path, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--scenario",
            "synthetic-modes",
            "--budget",
            "256",
            "--samples",
            "64",
            "--seeds",
            "0",
            "1",
            "--methods",
            "random_search",
            "mcmc",
            "tb",
            "--tb-replay-per-fresh",
            "2",
            "--out-dir",
            str(out),
            "--mlflow-uri",
            uri,
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "near_mode_share" in printed and "mcmc" in printed
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["method"], r["seed"]) for r in rows] == [
        (m, s) for m in ("random_search", "mcmc", "tb") for s in ("0", "1")
    ]
    for name in (
        "summary.md",
        "attribution.csv",
        "metrics.png",
        "tb/fan_chart.png",
        "mcmc/top_paths.csv",
    ):
        assert (out / name).is_file(), name
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.search_runs(
        [client.get_experiment_by_name("gridmarket-evaluate").experiment_id]
    )[0]
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert (params["scenario"], params["budget"]) == ("synthetic-modes", "256")
    assert params["tb_replay_per_fresh"] == "2"
    assert len(client.get_metric_history(run.info.run_id, "tb/near_mode_share")) == 2
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"summary.md", "runs.csv", "tb"} <= artifacts


def test_finished_runs_survive_a_crash(ray_session, tmp_path, monkeypatch):
    from gridmarket.evaluation import run as run_module

    real_run_method = run_module.run_method

    def crash_on_mcmc(method, *args, **kwargs):
        if method == "mcmc":
            raise RuntimeError("killed mid-evaluation")
        return real_run_method(method, *args, **kwargs)

    monkeypatch.setattr(run_module, "run_method", crash_on_mcmc)
    out = tmp_path / "eval"
    with pytest.raises(RuntimeError, match="killed mid-evaluation"):
        main(
            [
                "evaluate",
                *("--scenario", "synthetic-modes", "--budget", "256"),
                *("--samples", "64", "--seeds", "0", "1"),
                *("--methods", "random_search", "mcmc", "--out-dir", str(out)),
                *("--mlflow-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"),
            ]
        )
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["method"], r["seed"]) for r in rows] == [
        ("random_search", "0"),
        ("random_search", "1"),
    ]
    assert "near_mode_share" in rows[0]  # the scenario's columns, as in a full run
