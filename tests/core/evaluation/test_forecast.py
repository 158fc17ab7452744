"""Forecast metrics on a tiny hand-computed window set, the block bootstrap, and
`gridmarket evaluate-forecast` end to end with MLflow."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gridmarket.envs.text_forecast import baselines, prompts
from gridmarket.envs.text_forecast.data import WindowSet, load_window_set
from gridmarket.envs.text_forecast.features import FEATURE_NAMES
from gridmarket.evaluation.forecast import (
    block_bootstrap_ci,
    evaluate_agent,
    per_window_metrics,
)


@pytest.fixture(autouse=True)
def window_cache(tmp_path_factory, monkeypatch):
    """TextForecast's window cache in a temporary folder, not the user's."""
    monkeypatch.setenv("GRIDMARKET_CACHE_DIR", str(tmp_path_factory.getbasetemp()))


def hand_windows():
    """Two windows: closes 10, 11, 12, 13, 15 then the next three days."""
    histories = [[10.0, 11.0, 12.0, 13.0, 15.0], [11.0, 12.0, 13.0, 15.0, 16.0]]
    targets = np.array([[16.0, 14.0, 15.0], [14.0, 15.0, 17.0]])
    texts = [
        prompts.render_prompt(
            "compact",
            ticker="TOY",
            last_date="2017-01-02",
            closes=[f"{c:.2f}" for c in h],
            features=dict.fromkeys(FEATURE_NAMES, 0.0),
            horizon=3,
        )
        for h in histories
    ]
    return WindowSet(
        split="test",
        window=5,
        horizon=3,
        prompt_format="compact",
        ticker=np.array(["TOY", "TOY"]),
        forecast_day=np.array([4, 5]),
        end_date=np.array(["2017-01-02", "2017-01-03"], dtype="datetime64[D]"),
        prompts=texts,
        targets=targets,
        last_close=np.array([15.0, 16.0]),
        scale=np.array([1.25, 1.25]),
        features=np.zeros((2, len(FEATURE_NAMES))),
    )


def test_persistence_metrics_by_hand():
    windows = hand_windows()
    completions = [baselines.Persistence().forecast(p) for p in windows.prompts]
    forecasts, m = per_window_metrics(completions, windows)
    np.testing.assert_array_equal(forecasts, [[15, 15, 15], [16, 16, 16]])
    # window 0: |err| 1, 1, 0; window 1: 2, 1, 1
    np.testing.assert_allclose(m["mae"], [2 / 3, 4 / 3])
    np.testing.assert_allclose(
        m["mape"], [100 * (1 / 16 + 1 / 14) / 3, 100 * (2 / 14 + 1 / 15 + 1 / 17) / 3]
    )
    np.testing.assert_allclose(m["nmae"], [2 / 3 / 1.25, 4 / 3 / 1.25])
    # a flat forecast scores 0.5 per day, 1 where the target is flat too
    np.testing.assert_allclose(m["direction"], [(0.5 + 0.5 + 1) / 3, 0.5])
    np.testing.assert_array_equal(m["validity"], [1, 1])


def test_drift_and_an_invalid_agent_by_hand():
    windows = hand_windows()
    drift = [baselines.Drift().forecast(p) for p in windows.prompts]
    _, m = per_window_metrics([drift[0], "no forecast today"], windows)
    # window 0: 16.25, 17.5, 18.75 against 16, 14, 15
    assert m["mae"][0] == pytest.approx((0.25 + 3.5 + 3.75) / 3)
    assert m["direction"][0] == pytest.approx((1 + 0 + 0.5) / 3)
    assert np.isnan(m["mae"][1]) and m["validity"][1] == 0.0 and m["reward"][1] == -10.0
    evaluation = evaluate_agent(
        type("Fixed", (), {"forecast": lambda self, p: drift[0]})(), windows, n_boot=50
    )
    assert evaluation.agent == "Fixed"
    assert evaluation.summary["validity"][0] == 1.0


def test_block_bootstrap_interval():
    constant = block_bootstrap_ci(np.full(40, 2.5), 5, n_boot=200)
    assert constant == (2.5, 2.5, 2.5)
    rng = np.random.default_rng(0)
    values = rng.normal(1.0, 1.0, 400)
    mean, lo, hi = block_bootstrap_ci(values, 10, n_boot=1000)
    se = values.std() / np.sqrt(values.size)
    assert lo < mean < hi
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.3)
    with_nan = values.copy()
    with_nan[::2] = np.nan
    assert block_bootstrap_ci(with_nan, 10, n_boot=100)[0] == pytest.approx(
        np.nanmean(with_nan)
    )


def test_block_bootstrap_widens_for_autocorrelated_windows():
    """Overlapping windows: each value repeated 10 times. Blocks of 10 see the
    true 40 independent values; an i.i.d. bootstrap (block 1) would not."""
    values = np.repeat(np.random.default_rng(1).normal(0, 1, 40), 10)
    _, lo1, hi1 = block_bootstrap_ci(values, 1, n_boot=1000)
    _, lo10, hi10 = block_bootstrap_ci(values, 10, n_boot=1000)
    assert (hi10 - lo10) > 2 * (hi1 - lo1)


def test_evaluate_forecast_command_logs_table_and_plots(tmp_path):
    import mlflow

    from gridmarket.cli import main

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = tmp_path / "out"
    code = main(
        [
            "evaluate-forecast",
            "--agent", "persistence",
            "--agent", "gridmarket.envs.text_forecast.baselines:Drift",
            "--ticker", "AAPL",
            "--split", "test",
            "--window", "30",
            "--prompt-format", "compact",
            "--n-boot", "100",
            "--out", str(out),
            "--mlflow-uri", uri,
        ]
    )  # fmt: skip
    assert code == 0
    table = (out / "table.md").read_text()
    assert re.search(r"^persistence +\| \d", table, re.M)
    assert re.search(r"^Drift +\| \d", table, re.M)
    assert (out / "forecast_vs_actual_persistence.png").stat().st_size > 10_000
    assert (out / "error_by_day.png").is_file()
    lines = (out / "forecasts.csv").read_text().splitlines()
    n_windows = len(load_window_set("AAPL", "test", window=30, prompt_format="compact"))
    assert len(lines) == 1 + 2 * n_windows  # header + one row per agent and window
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs(
        [client.get_experiment_by_name("gridmarket-evaluate-forecast").experiment_id]
    )
    assert run.data.metrics["persistence/validity"] == 1.0
    assert run.data.metrics["persistence/mae_lo"] <= run.data.metrics["persistence/mae"]
    assert run.data.params["split"] == "test"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"table.md", "forecasts.csv", "error_by_day.png"} <= artifacts


def test_unknown_agent_is_named(tmp_path):
    from gridmarket.evaluation.forecast_run import main

    with pytest.raises(ValueError, match=r"agent 'persistance' is neither"):
        main(["--agent", "persistance", "--no-mlflow", "--out", str(tmp_path)])
