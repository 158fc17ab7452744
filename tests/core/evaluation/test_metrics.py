import numpy as np
import pytest

from gridmarket.evaluation import metrics as m


def test_top_k_and_tail_metrics_by_hand():
    log_reward = np.array([0.1, 3.0, 2.0, 3.0])
    np.testing.assert_array_equal(m.top_k_indices(log_reward, 3), [1, 3, 2])
    predicted = np.array([-40.0, 5.0, -10.0, -25.0, 12.0])
    assert m.tail_coverage(predicted, -20.0) == pytest.approx(0.4)
    assert m.expected_shortfall(predicted, 0.4) == pytest.approx(-32.5)  # worst 2
    assert m.expected_shortfall(predicted, 0.05) == pytest.approx(-40.0)  # ceil -> 1
    with pytest.raises(ValueError, match="`alpha` must be in"):
        m.expected_shortfall(predicted, 0.0)
    with pytest.raises(ValueError, match="`k` must be >= 1, got 0"):
        m.top_k_indices(log_reward, 0)


def test_mean_pairwise_distance_by_hand():
    # three points at 0, 3 and 4 on orthogonal axes: distances 3, 4, 5
    paths = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    assert m.mean_pairwise_distance(paths) == pytest.approx(4.0)
    assert m.mean_pairwise_distance(paths[:1]) == 0.0


def test_epsilon_cover_counts_separated_clusters():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.concatenate([c + rng.uniform(-0.5, 0.5, size=(20, 2)) for c in centers])
    assert m.epsilon_cover_count(points, epsilon=2.0) == 3
    assert m.epsilon_cover_count(points, epsilon=100.0) == 1
    assert m.epsilon_cover_count(points[:1], epsilon=0.1) == 1
    with pytest.raises(ValueError, match="`epsilon` must be > 0"):
        m.epsilon_cover_count(points, epsilon=0.0)


def test_permutation_importance_finds_the_feature_that_matters():
    rng = np.random.default_rng(1)
    states = rng.normal(size=(5000, 3))
    importance = m.permutation_importance(
        lambda x: 5.0 * x[:, 1], states, rng, repeats=5
    )
    assert importance[0] == 0.0 and importance[2] == 0.0
    # E|5(x - x')| for independent standard normals = 5 * 2 / sqrt(pi)
    assert importance[1] == pytest.approx(10 / np.sqrt(np.pi), rel=0.1)


def test_path_mahalanobis_rms_by_hand():
    from gridmarket.envs.grid_market.core import PathPlausibility
    from gridmarket.evaluation.run import history_mahalanobis, path_mahalanobis_rms

    unit = PathPlausibility(
        mean=(0.0,) * 6, precision=tuple(tuple(row) for row in np.eye(6) * 4.0)
    )
    path = np.zeros((1, 3, 6))
    path[0, 1, 0] = 1.0  # d^2 = 4 * 1
    path[0, 2, :2] = (1.0, 3.0)  # d^2 = 4 * 9
    assert path_mahalanobis_rms(path, unit)[0] == pytest.approx(np.sqrt((4 + 36) / 2))
    # History scores near sqrt(6) (6-dim increments, shrinkage covariance).
    assert 1.5 < float(history_mahalanobis("gfc-2007").mean()) < 3.0
