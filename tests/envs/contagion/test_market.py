"""Price impact, settlement price, sell orders and deleveraging triggers."""

from dataclasses import replace

import numpy as np
import pytest

from gridmarket.envs.contagion import core
from gridmarket.envs.contagion.market import (
    capital_shortfall_sale,
    liquidity_shortfall_sale,
    price_impact,
    sell_orders,
    settlement_price,
)
from gridmarket.envs.contagion.params import MarketParams

from .conftest import route_trades, small_world


def test_impact_calibration_sentence_holds_exactly():
    market = MarketParams(
        impact_reference_share=0.1, impact_liquid=0.01, impact_illiquid=0.05
    )
    depth = np.array([1000.0, 200.0])
    sold = 0.1 * depth  # the reference share of depth
    after = price_impact(np.ones(2), sold, depth, market.impact_coefficients(), 0.9)
    np.testing.assert_allclose(after, [0.99, 0.95], rtol=1e-14)


def test_cap_is_a_real_cap_not_a_fixed_factor():
    b = MarketParams().impact_coefficients()
    depth = np.array([100.0, 100.0])
    small = price_impact(np.ones(2), np.array([1.0, 1.0]), depth, b, 0.3)
    np.testing.assert_allclose(small, np.exp(-b * 0.01), rtol=1e-15)  # below the cap
    huge = price_impact(np.ones(2), np.array([1e6, 1e6]), depth, b, 0.3)
    np.testing.assert_allclose(huge, [0.7, 0.7], rtol=1e-15)  # exactly the cap
    assert np.all(price_impact(np.ones(2), np.zeros(2), depth, b, 0.3) == 1.0)


def test_settlement_price_is_the_midpoint():
    np.testing.assert_allclose(
        settlement_price(np.array([1.0, 2.0]), np.array([0.8, 1.0])), [0.9, 1.5]
    )


def test_price_impact_is_applied_once_per_step():
    params, rng, net, state = small_world(10, seed=3)
    state.pending = 0.5 * state.units  # queue half of every bank's securities
    expected_sold = None
    before = state.prices.copy()
    report = route_trades(net, state, params)
    expected_sold = report.sold
    factor = np.maximum(
        np.exp(-net.impact * expected_sold / net.depth), 1 - params.market.max_step_drop
    )
    np.testing.assert_allclose(state.prices, before * factor, rtol=1e-14)
    np.testing.assert_allclose(report.execution_price, before * (1 + factor) / 2)


def test_sell_orders_pecking_order_and_forced_sales():
    available = np.array([[10.0, 10.0], [10.0, 10.0], [2.0, 10.0]])
    prices = np.array([1.0, 0.5])
    orders = sell_orders(
        available,
        prices,
        sell_ratio=np.array([0.2, 0.0, 1.0]),
        forced_liquid=np.array([0.0, 12.0, 0.0]),
        forced_capital=np.array([0.0, 1.0, 0.0]),
    )
    # bank 0: 0.2 * 15 = 3 of value, all liquid; bank 1: 12 of liquidity → 10 liquid
    # + 2 of illiquid value (4 units) ≥ the capital sale; bank 2 sells everything.
    np.testing.assert_allclose(orders, [[3, 0], [10, 4], [2, 10]])


def test_capital_and_liquidity_deleveraging_targets():
    equity = np.array([10.0, 5.0, -1.0])
    rwa = np.array([100.0, 100.0, 100.0])
    sale = capital_shortfall_sale(equity, rwa, 1.0, min_ratio=0.08, target_ratio=0.1)
    # bank 0 at 10% is fine; bank 1 at 5% must cut RWA to 50; bank 2 sells all.
    np.testing.assert_allclose(sale, [0.0, 50.0, 100.0])
    np.testing.assert_allclose(
        liquidity_shortfall_sale(np.array([1.0, 5.0]), np.array([3.0, 3.0])), [2, 0]
    )


def test_forced_sales_are_placed_after_a_capital_breach():
    params, rng, net, state = small_world(10, seed=4)
    state.prices = state.prices * np.array([1.0, 0.95])  # 5% fall: capital below 8%
    after, _ = core.step(
        net, state, np.zeros((10, 4)), params, replace_scenario_quiet(), rng
    )
    assert after.forced_capital[after.alive].sum() > 0
    queued_next, _ = core.step(
        net, after, np.zeros((10, 4)), params, replace_scenario_quiet(), rng
    )
    assert queued_next.pending.sum() + queued_next.escrow_units.sum() > 0


def replace_scenario_quiet():
    from gridmarket.envs.contagion.scenarios import get_scenario

    return replace(
        get_scenario("normal"),
        price_noise_liquid=0.0,
        price_noise_illiquid=0.0,
        deposit_noise=0.0,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"impact_illiquid": 1.0},
            r"MarketParams.impact_illiquid` must be in \[0.0, 1.0\)",
        ),
        ({"max_step_drop": 0.0}, r"max_step_drop` must be in \(0.0, 1.0\), got 0.0"),
        ({"volatility": float("nan")}, "volatility` must be finite, got nan"),
    ],
)
def test_market_params_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MarketParams(**kwargs)
