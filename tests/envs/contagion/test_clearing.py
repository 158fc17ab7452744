"""Clearing: hand-derived examples, an LP (HiGHS) and brute force over default sets."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from gridmarket.envs.contagion.clearing import (
    DENSE_SOLVE_LIMIT,
    clear_edges,
    clearing_vector,
    liability_edges,
)


def relative_liabilities(L):
    nominal = L.sum(axis=1)
    safe = np.where(nominal > 0, nominal, 1.0)
    return nominal, np.where(nominal[:, None] > 0, L / safe[:, None], 0.0)


def lp_clearing(L, e):
    """Greatest EN clearing vector: max Σp s.t. p ≤ p̄, p − Πᵀp ≤ e, p ≥ 0."""
    nominal, pi = relative_liabilities(L)
    n = len(e)
    result = linprog(
        -np.ones(n),
        A_ub=np.eye(n) - pi.T,
        b_ub=e,
        bounds=list(zip(np.zeros(n), nominal, strict=True)),
        method="highs",
        options={
            "primal_feasibility_tolerance": 1e-10,
            "dual_feasibility_tolerance": 1e-10,
        },
    )
    assert result.status == 0, result.message
    return result.x


def brute_force_clearing(L, e, alpha, beta):
    """Every default set D: solve its linear system, keep the self-consistent ones."""
    nominal, pi = relative_liabilities(L)
    n = len(e)
    vectors = []
    for bits in itertools.product([False, True], repeat=n):
        d = np.array(bits)
        p = nominal.copy()
        if d.any():
            m = np.eye(d.sum()) - beta * pi[np.ix_(d, d)].T
            rhs = alpha * e[d] + beta * pi[np.ix_(~d, d)].T @ nominal[~d]
            p[d] = np.linalg.solve(m, rhs)
        resources = e + pi.T @ p
        consistent = np.all(resources[~d] >= nominal[~d] - 1e-12) and np.all(
            resources[d] < nominal[d]
        )
        if consistent and np.all(p[d] <= nominal[d] + 1e-12):
            vectors.append(p)
    greatest = max(vectors, key=np.sum)
    assert all(np.all(greatest >= v - 1e-10) for v in vectors)
    return greatest


def random_network(rng, n, density=0.3):
    L = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(L, 0.0)
    e = rng.exponential(0.4, n) * (rng.random(n) < 0.7)
    return L, e


def test_chain_cascade_by_hand():
    # A owes B 10, B owes C 10; e = (4, 3, 0). A defaults paying 4; then B has
    # 3 + 4 = 7 < 10 and defaults paying 7: two waves.
    L = np.array([[0, 10, 0], [0, 0, 10], [0, 0, 0]], dtype=float)
    p, defaulted = clearing_vector(L, [4, 3, 0])
    np.testing.assert_allclose(p, [4, 7, 0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(defaulted, [True, True, False])
    result = clear_edges(
        3,
        np.array([0, 1]),
        np.array([1, 2]),
        np.array([10.0, 10]),
        np.array([4.0, 3, 0]),
    )
    np.testing.assert_array_equal(result.default_round, [1, 2, -1])
    assert result.rounds == 2


def test_cycle_needs_the_linear_solve():
    # A owes B 10 and C 10, B owes A 10, e_A = 5. Both default; then
    # p_A = 5 + p_B and p_B = p_A / 2 give p = (10, 5): no Picard truncation.
    L = np.array([[0, 10, 10], [10, 0, 0], [0, 0, 0]], dtype=float)
    p, defaulted = clearing_vector(L, [5, 0, 0])
    np.testing.assert_allclose(p, [10, 5, 0], rtol=1e-15)
    np.testing.assert_array_equal(defaulted, [True, True, False])


def test_rogers_veraart_costs_by_hand():
    L = np.array([[0, 10, 0], [0, 0, 10], [0, 0, 0]], dtype=float)
    # A pays 0.5*4 = 2; B then has 3 + 2 < 10 and pays 0.5*3 + 0.5*2 = 2.5.
    p, _ = clearing_vector(L, [4, 3, 0], alpha=0.5, beta=0.5)
    np.testing.assert_allclose(p, [2, 2.5, 0], rtol=1e-15)
    # Cycle: p_A = 2.5 + 0.5 p_B, p_B = 0.25 p_A  =>  p_A = 20/7, p_B = 5/7.
    L = np.array([[0, 10, 10], [10, 0, 0], [0, 0, 0]], dtype=float)
    p, _ = clearing_vector(L, [5, 0, 0], alpha=0.5, beta=0.5)
    np.testing.assert_allclose(p, [20 / 7, 5 / 7, 0], rtol=1e-14)


def test_solvent_system_pays_in_full_and_zero_liability_banks():
    L = np.array([[0, 2, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    p, defaulted = clearing_vector(L, [5, 5, 0])
    np.testing.assert_array_equal(p, [2, 1, 0])
    assert not defaulted.any()


@pytest.mark.parametrize("seed", range(12))
def test_matches_linear_program(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    L, e = random_network(rng, n, density=float(rng.uniform(0.05, 0.5)))
    p, defaulted = clearing_vector(L, e)
    expected = lp_clearing(L, e)
    scale = max(L.sum(axis=1).max(), 1.0)
    np.testing.assert_allclose(p, expected, rtol=1e-8, atol=1e-8 * scale)
    np.testing.assert_array_equal(defaulted, p < L.sum(axis=1) * (1 - 1e-12))
    sparse_p, _ = clearing_vector(sp.csr_matrix(L), e)
    np.testing.assert_allclose(sparse_p, p, rtol=1e-12, atol=1e-12)


def test_large_sparse_system_matches_lp_and_uses_sparse_solver():
    rng = np.random.default_rng(7)
    n = 400
    L = sp.random(
        n,
        n,
        density=0.01,
        random_state=rng,
        data_rvs=lambda size: rng.exponential(size=size),
    )
    L = sp.csr_matrix(L - sp.diags(L.diagonal()))
    e = rng.exponential(0.05, n)
    p, defaulted = clearing_vector(L, e)
    # the first round's set is solved densely, the later, larger ones by sparse LU
    n, debtors, creditors, amounts = liability_edges(L)
    rounds = clear_edges(n, debtors, creditors, amounts, e).default_round
    assert np.count_nonzero(rounds == 1) <= DENSE_SOLVE_LIMIT < defaulted.sum()
    expected = lp_clearing(L.toarray(), e)
    np.testing.assert_allclose(p, expected, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("seed", range(10))
def test_rogers_veraart_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 8))
    L, e = random_network(rng, n, density=0.5)
    alpha, beta = rng.uniform(0.2, 1.0, size=2)
    p, _ = clearing_vector(L, e, alpha, beta)
    np.testing.assert_allclose(p, brute_force_clearing(L, e, alpha, beta), atol=1e-10)


def test_clearing_equations_hold():
    rng = np.random.default_rng(3)
    L, e = random_network(rng, 50)
    alpha, beta = 0.7, 0.9
    p, defaulted = clearing_vector(L, e, alpha, beta)
    nominal, pi = relative_liabilities(L)
    inflow = pi.T @ p
    np.testing.assert_allclose(p[~defaulted], nominal[~defaulted])
    np.testing.assert_allclose(
        p[defaulted], alpha * e[defaulted] + beta * inflow[defaulted], rtol=1e-12
    )
    assert np.all(e[defaulted] + inflow[defaulted] < nominal[defaulted])


def test_forced_resolution_pays_liquidation_value_capped_at_nominal():
    debtors, creditors = np.array([0, 1]), np.array([1, 2])
    amounts, e = np.array([10.0, 4.0]), np.array([20.0, 0.0, 0.0])
    forced = np.array([False, True, False])
    # Bank 1 is solvent (10 >= 4) but forced: it pays min(4, 0.5*0 + 0.5*10) = 4.
    result = clear_edges(3, debtors, creditors, amounts, e, 0.5, 0.5, forced)
    np.testing.assert_allclose(result.payments, [10, 4, 0])
    amounts = np.array([10.0, 8.0])  # now 0.5*10 = 5 < 8: it defaults paying 5
    result = clear_edges(3, debtors, creditors, amounts, e, 0.5, 0.5, forced)
    np.testing.assert_allclose(result.payments, [10, 5, 0])
    assert result.defaulted.tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("L", "e", "kwargs", "error", "message"),
    [
        ([[0, 1], [1, 0]], [1, 1, 1], {}, ValueError, "`e` must have length 2, got 3"),
        ([[0, 1, 2]], [1], {}, ValueError, r"square \[n, n\] matrix"),
        (
            [[0, np.nan], [1, 0]],
            [1, 1],
            {},
            ValueError,
            r"finite, got nan at L\[0, 1\]",
        ),
        ([[0, -1], [1, 0]], [1, 1], {}, ValueError, r">= 0, got -1.0 at L\[0, 1\]"),
        ([[2, 1], [1, 0]], [1, 1], {}, ValueError, r"zero diagonal.*L\[0, 0\] = 2"),
        ([[0, 1], [1, 0]], [1, np.inf], {}, ValueError, "`e` must be finite, got inf"),
        ([[0, 1], [1, 0]], [1, -2], {}, ValueError, "`e` must be >= 0.*-2.0 at"),
        ([[0, 1], [1, 0]], [1, 1], {"alpha": 1.5}, ValueError, r"`alpha` must be in"),
        (
            [[0, 1], [1, 0]],
            [1, 1],
            {"beta": np.nan},
            ValueError,
            "`beta` must be finite",
        ),
        ("abc", [1], {}, TypeError, "numeric"),
    ],
)
def test_bad_input_is_rejected_clearly(L, e, kwargs, error, message):
    with pytest.raises(error, match=message):
        clearing_vector(L, e, **kwargs)
