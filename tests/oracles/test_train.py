"""`gridmarket oracles train` with tiny budgets: files, cards, reload equality."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gridmarket.oracles import data as gm_data
from gridmarket.oracles import load_oracle
from gridmarket.oracles.families import CV_GAP, metrics, walk_forward
from gridmarket.oracles.train import main, train_scenario


def test_quick_training_round_trip(tmp_path):
    trained = train_scenario("gfc-2007", tmp_path, quick=True, n_jobs=1)
    card = json.loads((tmp_path / "gfc-2007.card.json").read_text())
    assert card["quick"] is True
    assert {c["family"] for c in card["candidates"]} == {
        "elasticnet",
        "mlp",
        "random_forest",
        "gradient_boosting",
    }
    best = min(card["candidates"], key=lambda c: c["cv_mean"]["rmse"])
    assert card["model"]["family"] == best["family"]
    reloaded = load_oracle("gfc-2007", directory=tmp_path)
    split = gm_data.scenario_split("gfc-2007")
    hold = reloaded.from_real_units(split.X_holdout)
    # The file on disk predicts exactly what the in-memory fitted model predicts.
    np.testing.assert_array_equal(
        reloaded.predict(hold), trained.estimator.predict(hold)
    )
    np.testing.assert_allclose(
        card["holdout_predictions"]["predicted"], reloaded.predict(hold)
    )
    assert card["holdout_metrics"] == pytest.approx(
        metrics(split.y_holdout, reloaded.predict(hold))
    )


def test_main_cli(tmp_path, capsys):
    argv = [
        "--quick",
        "--out-dir",
        str(tmp_path),
        "--scenario",
        "dotcom-2001",
        "--family",
        "elasticnet",
        "--n-jobs",
        "1",
    ]
    assert main(argv) == 0
    assert "dotcom-2001: elasticnet" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dotcom-2001.card.json",
        "dotcom-2001.skops",
    ]
    # --quick must never overwrite the shipped oracles.
    assert main(["--quick"]) == 2
    assert "pass --out-dir" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--scenario", "covid-2020"])


@pytest.mark.parametrize("n_rows", [38, 122, 289])
def test_walk_forward_folds_do_not_leak(n_rows):
    folds = list(walk_forward(n_rows).split(np.zeros((n_rows, 1))))
    assert len(folds) >= 2
    for train, test in folds:
        # Row t's target ends at t+12: the gap keeps it at or before the first test row.
        assert train.max() + CV_GAP < test.min()
        assert train.max() + 12 <= test.min()
        assert train.min() == 0 and np.all(np.diff(test) == 1)


def test_metrics_by_hand():
    out = metrics(
        np.array([10.0, -10.0, 5.0, -5.0]), np.array([8.0, -12.0, -1.0, -5.0])
    )
    assert out["rmse"] == pytest.approx(np.sqrt((4 + 4 + 36 + 0) / 4))
    assert out["mae"] == pytest.approx(10 / 4)
    assert out["directional_accuracy"] == pytest.approx(0.75)
    assert out["n"] == 4
