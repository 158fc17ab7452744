"""DebtRank (Battiston 2012, Bardoscia 2015) and the other risk metrics."""

import numpy as np
import pytest
import scipy.sparse as sp

from gridmarket.envs.contagion import metrics


def random_exposures(seed, n=20, scale=0.05):
    rng = np.random.default_rng(seed)
    A = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < 0.3)
    np.fill_diagonal(A, 0.0)
    E = rng.uniform(5.0, 20.0, n)
    h0 = scale * rng.random(n)
    return A, E, h0


@pytest.mark.parametrize("seed", range(5))
def test_differential_debtrank_equals_closed_form(seed):
    A, E, h0 = random_exposures(seed)
    impact = A / E[:, None]
    assert max(abs(np.linalg.eigvals(impact))) < 1
    h, relative_loss = metrics.debtrank(A, E, h0, differential=True)
    expected = np.linalg.solve(np.eye(len(E)) - impact, h0)
    assert expected.max() < 1  # no bank saturates: the closed form applies
    np.testing.assert_allclose(h, expected, rtol=1e-10)
    v = E / E.sum()
    assert relative_loss == pytest.approx(v @ (expected - h0), rel=1e-10)
    h_sparse, _ = metrics.debtrank(sp.csr_matrix(A), E, h0, differential=True)
    np.testing.assert_allclose(h_sparse, h, rtol=1e-12)


def test_original_debtrank_by_hand():
    # Chain: bank 0 lent 4 to bank 1 (E0 = 8), bank 1 lent 20 to bank 2 (E1 = 10).
    A = np.array([[0, 4.0, 0], [0, 0, 20.0], [0, 0, 0]])
    E = np.array([8.0, 10.0, 5.0])
    h, relative_loss = metrics.debtrank(A, E, np.array([0.0, 0.0, 1.0]))
    # W_12 = min(1, 20/10) = 1 → h1 = 1; then W_01 = 4/8 → h0 = 0.5.
    np.testing.assert_allclose(h, [0.5, 1.0, 1.0])
    assert relative_loss == pytest.approx((8 * 0.5 + 10 * 1.0) / 23)
    # Distress passes on once: a cycle does not amplify it forever.
    A = np.array([[0, 5.0], [5.0, 0]])
    h, _ = metrics.debtrank(A, np.array([10.0, 10.0]), np.array([0.2, 0.0]))
    np.testing.assert_allclose(h, [0.25, 0.1])  # 0.2 → 1 gets 0.1 → 0 gets 0.05


def test_debtrank_custom_weights_and_bad_inputs():
    A = np.array([[0, 4.0], [0, 0]])
    h, relative_loss = metrics.debtrank(A, [8.0, 4.0], [0.0, 1.0], v=[1.0, 0.0])
    assert relative_loss == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"`h0` must be in \[0, 1\]"):
        metrics.debtrank(A, [1.0, 1.0], [0.0, 2.0])
    with pytest.raises(ValueError, match="`E` must be finite, got nan"):
        metrics.debtrank(A, [np.nan, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="`h0` must have length 2, got 3"):
        metrics.debtrank(A, [1.0, 1.0], [0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"`A` must be \[3, 3\]"):
        metrics.debtrank(A, [1.0, 1.0, 1.0], [0.0, 1.0, 0.0])


def test_system_metrics_by_hand():
    E0 = np.array([10.0, 10.0, 20.0])
    E = np.array([5.0, -3.0, 20.0])
    assert metrics.stress_index(E, E0) == pytest.approx(1 - 25 / 40)
    assert metrics.systemic_loss(E0, E) == pytest.approx(5 + 10 + 0)
    assert (
        metrics.liquidity_index(
            np.array([1.0, 2]), np.array([3.0, 4]), np.array([5.0, 5])
        )
        == 1.0
    )
    np.testing.assert_allclose(
        metrics.liquidity_ratio(
            np.array([1.0, 0]), np.array([1.0, 0]), np.array([10.0, 0]), 0.1
        ),
        [1.0, 1.0],
    )
    np.testing.assert_allclose(
        metrics.distress(E, E0, np.array([True, True, False])), [0.5, 1.0, 1.0]
    )
    assert metrics.contagion_depth(np.array([-1, 1, 3, 2])) == 3
    assert metrics.contagion_depth(np.array([-1, -1])) == 0
