"""``gridmarket evaluate-contagion``: intervals by hand, and a small real run."""

import csv

import mlflow
import numpy as np
import pytest

from gridmarket.cli import main as cli_main
from gridmarket.envs.contagion import core
from gridmarket.evaluation.contagion import mean_ci95, summary_rows

pytestmark = pytest.mark.usefixtures("contagion_kernels")


def test_mean_ci95_by_hand():
    mean, half = mean_ci95(np.array([1.0, 2.0, 3.0]))
    # sd 1, t(0.975, 2 dof) = 4.3027: 4.3027 / sqrt(3)
    assert mean == 2.0 and half == pytest.approx(2.4841, abs=1e-4)
    assert np.isnan(mean_ci95(np.array([5.0]))[1])


def test_summary_groups_seeds():
    rows = [
        {
            "scenario": "normal",
            "banks": 5,
            "method": "random",
            "seed": s,
            "episode_return_mean": float(s),
            "default_rate": 0.5,
            "stress_index": 0.1,
            "debtrank_max": 0.2,
            "liquidity_index": 1.0,
            "contagion_depth_max": 0.0,
        }
        for s in (1, 2, 3)
    ]
    (line,) = summary_rows(rows)
    assert line[:4] == ["normal", 5, "random", 3]
    assert line[4] == "2.000 ± 2.484"


def test_baselines_end_to_end_to_files_and_mlflow(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = tmp_path / "eval"
    code = cli_main(
        [
            "evaluate-contagion",
            "--scenarios",
            "liquidity_crisis",
            "--seeds",
            "0",
            "1",
            "--methods",
            "rule_based",
            "random",
            "--num-banks",
            "4",
            "--eval-banks",
            "4",
            "6",
            "--max-cycles",
            "5",
            "--episodes",
            "2",
            "--systemic-weight",
            "0.25",
            "--out-dir",
            str(out),
            "--mlflow-uri",
            uri,
        ]
    )
    assert code == 0
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 2 * 2  # seeds x methods x bank counts
    assert {r["banks"] for r in rows} == {"4", "6"}
    for row in rows:
        assert 0.0 <= float(row["default_rate"]) <= 1.0
    summary = (out / "summary.md").read_text()
    assert "rule_based" in summary and "return_systemic" in summary
    for row in rows:  # the return is the sum of its terms
        parts = sum(float(row[f"return_{p}"]) for p in core.REWARD_PARTS)
        assert parts == pytest.approx(float(row["episode_return_mean"]), rel=1e-9)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("gridmarket-evaluate-contagion")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["systemic_weight"] == "0.25"
    history = client.get_metric_history(
        run.info.run_id, "liquidity_crisis/6/random/default_rate"
    )
    assert sorted(m.step for m in history) == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"runs.csv", "summary.md", "metrics.png"} <= artifacts


def test_rerun_skips_finished_rows_and_refuses_other_settings(tmp_path):
    out = tmp_path / "eval"

    def run(seeds, max_cycles=3):
        return cli_main(
            [
                "evaluate-contagion",
                "--scenarios",
                "normal",
                "--methods",
                "random",
                "--seeds",
                *seeds,
                "--num-banks",
                "4",
                "--eval-banks",
                "4",
                "--max-cycles",
                str(max_cycles),
                "--episodes",
                "1",
                "--out-dir",
                str(out),
                "--mlflow-uri",
                f"sqlite:///{tmp_path / 'mlflow.db'}",
            ]
        )

    assert run(["0"]) == 0
    first = (out / "runs.csv").read_text()
    # One more seed: only its row runs; the seed-0 row is read back, not rerun.
    assert run(["0", "1"]) == 0
    with (out / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["seed"] for r in rows] == ["0", "1"]
    assert (out / "runs.csv").read_text().startswith(first)
    summary = (out / "summary.md").read_text().splitlines()
    lines = [x for x in summary if x.startswith("normal")]
    assert len(lines) == 2  # the metrics table and the return's terms
    line = lines[0]
    assert [cell.strip() for cell in line.split("|")][:4] == [
        "normal",
        "4",
        "random",
        "2",
    ]
    with pytest.raises(ValueError, match=r"other settings \(max_cycles: \[3\] there"):
        run(["0"], max_cycles=4)


def test_mappo_team_trains_on_the_team_reward(ray_session):
    """Same seed, same worlds: MAPPO on each bank's own reward and on the team's
    mean reward end with different actors (one training iteration each)."""
    from gridmarket.evaluation.contagion import train_policy

    config = {"num_banks": 4, "scenario": "liquidity_crisis", "max_cycles": 10}
    obs = np.random.default_rng(0).random((2, 4, 26)).astype(np.float32)
    alive = np.ones((2, 4), dtype=bool)
    actions = {
        method: train_policy(method, config, env_steps=1, seed=0)(obs, alive)
        for method in ("mappo", "mappo_team")
    }
    assert actions["mappo"].shape == (2, 4, 4)
    assert np.all((actions["mappo_team"] >= 0) & (actions["mappo_team"] <= 1))
    assert np.abs(actions["mappo"] - actions["mappo_team"]).max() > 1e-4
