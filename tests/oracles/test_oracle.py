"""The Oracle API: predictions, units, ranges, OOD distance, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.oracles import SCENARIOS, load_oracle
from gridmarket.oracles import data as gm_data
from gridmarket.oracles.families import FAMILIES


@pytest.fixture(scope="module", params=SCENARIOS)
def oracle(request):
    return load_oracle(request.param)


@pytest.fixture(scope="module")
def table():
    return gm_data.build_feature_table()


def test_holdout_predictions_equal_the_trained_models(oracle, table):
    """Reloaded from disk, on hold-out rows rebuilt from the CSVs: the card's numbers.

    The card's predictions were computed by the in-memory model before it was saved.
    """
    split = gm_data.scenario_split(oracle.scenario, table)
    card = oracle.card["holdout_predictions"]
    assert card["months"] == [gm_data.month_str(m) for m in split.holdout.index]
    np.testing.assert_allclose(card["actual"], split.y_holdout, rtol=0, atol=1e-12)
    states = oracle.from_real_units(split.X_holdout)
    np.testing.assert_allclose(
        oracle.predict(states), card["predicted"], rtol=0, atol=1e-9
    )


def test_refitting_the_card_recipe_reproduces_the_shipped_model(oracle, table):
    """Family + hyperparameters + seed from the card, refit on the training rows."""
    split = gm_data.scenario_split(oracle.scenario, table)
    model = oracle.card["model"]
    np.testing.assert_allclose(
        oracle.from_real_units(split.X_train), oracle.train_states
    )
    refit = FAMILIES[model["family"]].build(model["hyperparameters"], model["seed"])
    refit.fit(oracle.train_states, split.y_train)
    states = oracle.from_real_units(split.X_holdout)
    np.testing.assert_allclose(
        oracle.predict(states), refit.predict(states), rtol=1e-6, atol=1e-8
    )


def test_predict_is_vectorized_float64_and_matches_the_estimator(oracle):
    rng = np.random.default_rng(0)
    states = rng.uniform(-100, 100, size=(257, 6))
    pred = oracle.predict(states)
    assert pred.dtype == np.float64 and pred.shape == (257,)
    np.testing.assert_array_equal(pred, oracle.estimator.predict(states))
    rows = np.array([oracle.predict(s[None])[0] for s in states[:5]])
    np.testing.assert_allclose(rows, pred[:5], rtol=1e-12)
    assert oracle.predict(states.astype(np.float32)).shape == (257,)
    assert oracle.predict(np.empty((0, 6))).shape == (0,)


def test_ranges_units_and_initial_state(oracle, table):
    np.testing.assert_allclose(oracle.feature_range, [[-100.0, 100.0]] * 6, atol=1e-9)
    low, high = oracle.feature_range.T
    assert np.all((low <= oracle.initial_state) & (oracle.initial_state <= high))
    real = table.loc[f"{oracle.initial_month}-01", list(gm_data.FEATURES)].to_numpy()
    np.testing.assert_allclose(
        oracle.to_real_units(oracle.initial_state), real, rtol=1e-12
    )
    paths = np.random.default_rng(1).uniform(-150, 150, size=(4, 13, 6))
    np.testing.assert_allclose(
        oracle.from_real_units(oracle.to_real_units(paths)), paths
    )
    assert oracle.feature_names == gm_data.FEATURES
    with pytest.raises(ValueError, match="read-only"):
        oracle.initial_state[0] = 0.0


def test_ood_distance(oracle):
    train = oracle.train_states
    np.testing.assert_allclose(oracle.ood_distance(train), 0.0, atol=1e-6)
    direction = np.ones(6) / np.sqrt(6)
    far = np.array([t * 100 * direction for t in (1.5, 2.0, 4.0)])
    ood = oracle.ood_distance(far)
    assert ood[0] > 0 and np.all(np.diff(ood) > 0)
    # Outside the box, moving one spacing h straight away from the box costs exactly 1
    # in the box term plus at most 1 in the nearest-neighbour term.
    h = oracle.nn_spacing
    step = oracle.ood_distance(far[2:3] + h * direction)[0] - ood[2]
    assert 1.0 < step <= 2.0 + 1e-9
    corner = np.full((1, 6), 100.0)
    d_box = np.linalg.norm(far[2] - corner)
    assert ood[2] >= d_box / h


def test_card_records_metrics_data_and_versions(oracle):
    card = oracle.card
    for block in (
        card["cv_metrics"]["mean"],
        card["cv_metrics"]["pooled"],
        card["holdout_metrics"],
    ):
        assert set(block) >= {"r2", "rmse", "mae", "directional_accuracy"}
    assert card["data"]["n_train"] == oracle.train_states.shape[0]
    assert card["data"]["initial_month"] == oracle.initial_month
    assert card["model"]["family"] in FAMILIES
    assert {c["family"] for c in card["candidates"]} == set(FAMILIES)
    assert {"numpy", "scikit-learn", "skops"} <= set(card["versions"])
    assert card["data"]["files_sha256"]["SPX_monthly.csv"] == gm_data.file_sha256(
        gm_data.default_data_dir() / "SPX_monthly.csv"
    )


@pytest.mark.parametrize(
    ("states", "error", "match"),
    [
        (np.zeros(6), ValueError, r"shape \[N, 6\]"),
        (np.zeros((3, 5)), ValueError, r"shape \[N, 6\].*\(3, 5\)"),
        (np.zeros((2, 3, 6)), ValueError, r"shape \[N, 6\]"),
        (
            np.array([[0, 0, np.nan, 0, 0, 0]]),
            ValueError,
            r"finite.*index \(0, 2\).*Volume_ndx",
        ),
        (
            np.array([[0, 0, 0, 0, 0, np.inf]]),
            ValueError,
            "NaN and inf are not allowed",
        ),
        (np.array([["a"] * 6]), TypeError, "real numeric array"),
        (np.zeros((1, 6), dtype=bool), TypeError, "real numeric array"),
    ],
)
def test_bad_inputs_give_clear_errors(states, error, match):
    oracle = load_oracle("gfc-2007")
    with pytest.raises(error, match=match):
        oracle.predict(states)
    with pytest.raises(error):
        oracle.ood_distance(states)
