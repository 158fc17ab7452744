"""CCP margins, the Cover-2 default fund and the default waterfall."""

import numpy as np
import pytest
from scipy.stats import norm

from gridmarket.envs.contagion import ccp


def test_initial_margin_is_the_99_percent_move_over_the_margin_period():
    margin = ccp.initial_margin(np.array([100.0, -50.0]), 2.0, 0.01, 0.99, 4)
    z = norm.ppf(0.99)
    np.testing.assert_allclose(margin, [z * 0.01 * 2 * 200, z * 0.01 * 2 * 100])


def test_cover2_is_the_two_largest_uncollateralized_stress_losses():
    position = np.array([100.0, 10.0, 60.0, 30.0, 80.0])
    ccp_of = np.array([0, 0, 0, 1, 1])
    margin = np.array([5.0, 0.0, 4.0, 1.0, 50.0])
    fund = ccp.cover2_default_fund(
        position, 1.0, margin, 0.1, ccp_of, 2, np.ones(5, dtype=bool)
    )
    # stress losses: CCP 0: 10-5=5, 1-0=1, 6-4=2 -> 5+2; CCP 1: 3-1=2, max(8-50,0)=0
    np.testing.assert_allclose(fund, [7.0, 2.0])
    share = ccp.contributions(fund, margin, ccp_of, np.ones(5, dtype=bool))
    np.testing.assert_allclose(
        share, [7 * 5 / 9, 0, 7 * 4 / 9, 2 * 1 / 51, 2 * 50 / 51]
    )


def test_variation_margin_sums_to_zero():
    position = np.array([3.0, -1.0, 2.5])
    outside = np.array([-position.sum()])
    vm, vm_outside = ccp.variation_margin(position, outside, -0.37)
    assert abs(vm.sum() + vm_outside.sum()) < 1e-15


def run_waterfall(loss, cash=None, sitg=(2.0,), cap=1.0):
    n = 4
    defaulters = np.array([True, False, False, False])
    survivors = ~defaulters
    margin = np.array([3.0, 10.0, 20.0, 30.0])
    fund = np.array([1.0, 2.0, 2.0, 4.0])
    cash = np.full(n, 100.0) if cash is None else np.asarray(cash, dtype=float)
    result = ccp.default_waterfall(
        np.array([loss, 0, 0, 0.0]),
        defaulters,
        survivors,
        margin,
        fund,
        cash,
        np.zeros(n, dtype=np.int64),
        np.array(sitg),
        cap,
    )
    np.testing.assert_array_equal(result.initial_margin[survivors], margin[survivors])
    np.testing.assert_allclose(result.layers().sum(axis=0), result.loss)
    return result


@pytest.mark.parametrize(
    ("loss", "layers"),
    [
        (2.0, [2, 0, 0, 0, 0, 0]),  # within the defaulter's IM
        (3.5, [3, 0.5, 0, 0, 0, 0]),  # into its fund contribution
        (5.0, [3, 1, 1, 0, 0, 0]),  # into skin in the game
        (10.0, [3, 1, 2, 4, 0, 0]),  # survivors' funds, pro rata
        (15.0, [3, 1, 2, 8, 1, 0]),  # assessments
        (30.0, [3, 1, 2, 8, 8, 8]),  # assessments capped at 1x fund, rest uncovered
    ],
)
def test_waterfall_layers_in_order(loss, layers):
    result = run_waterfall(loss)
    np.testing.assert_allclose(result.layers()[:, 0], layers)


def test_waterfall_survivor_fund_and_assessments_are_pro_rata():
    result = run_waterfall(10.0)
    # 4 of survivors' 8 of fund used: each loses half of its contribution.
    np.testing.assert_allclose(result.default_fund, [0, 1, 1, 2])
    result = run_waterfall(15.0, cash=[0, 100, 0.5, 100])
    # capacities: min(cap*fund, cash) = 2, 0.5, 4 → 1 assessed pro rata
    np.testing.assert_allclose(result.assessed, [0, 2 / 6.5, 0.5 / 6.5, 4 / 6.5])
    np.testing.assert_allclose(result.written_off, [11, 0, 0, 0])
