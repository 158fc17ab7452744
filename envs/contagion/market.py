"""Securities market: price impact, settlement price, orders and deleveraging.

All functions are pure: they take arrays and return new arrays. Security 0 is the
liquid one, security 1 the illiquid one.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion.arrays import fill


def price_impact(
    prices: np.ndarray,
    sold_units: np.ndarray,
    depth: np.ndarray,
    impact: np.ndarray,
    max_step_drop: float,
) -> np.ndarray:
    """Prices after selling ``sold_units`` ``[2]`` into the market, applied once.

    ``P' = P · max(exp(−b · sold / depth), 1 − max_step_drop)``: exponential impact
    with a real cap: no step of selling moves a price down by more than
    ``max_step_drop``; below the cap the exponential holds exactly.
    """
    factor = np.exp(-impact * sold_units / depth)
    return prices * np.maximum(factor, 1.0 - max_step_drop)


def settlement_price(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Price at which the step's sales execute: the midpoint of pre- and post-impact."""
    return 0.5 * (before + after)


def sell_orders(
    available: np.ndarray,
    prices: np.ndarray,
    sell_ratio: np.ndarray,
    forced_liquid: np.ndarray,
    forced_capital: np.ndarray,
) -> np.ndarray:
    """Units ``[n, 2]`` each bank puts in its exchange's queue this step.

    A bank sells ``max(sell_ratio · value of available units, forced_liquid)`` by a
    pecking order, liquid security first, and at least ``forced_capital`` of the
    illiquid security (capital deleveraging lowers risk-weighted assets, which only
    the illiquid security carries). Orders never exceed the available units.
    """
    available_value = available * prices
    liquidity_need = np.maximum(
        sell_ratio * np.add.reduce(available_value, axis=1), forced_liquid
    )
    liquid_value = np.minimum(liquidity_need, available_value[:, 0])
    illiquid_value = np.maximum(liquidity_need - liquid_value, forced_capital)
    illiquid_value = np.minimum(illiquid_value, available_value[:, 1])
    values = np.empty_like(available)  # value to sell of each security
    values[:, 0] = liquid_value
    values[:, 1] = illiquid_value
    return np.minimum(values / prices, available)


def capital_shortfall_sale(
    equity: np.ndarray,
    risk_weighted: np.ndarray,
    illiquid_weight: float,
    min_ratio: float,
    target_ratio: float,
) -> np.ndarray:
    """Illiquid value to sell so that equity / RWA returns to ``target_ratio``.

    Zero for banks at or above ``min_ratio`` (the trigger); for the others, selling
    ``x`` of the illiquid security for cash lowers RWA by ``illiquid_weight · x``, so
    ``x = (RWA − equity / target_ratio) / illiquid_weight`` (0 if equity <= 0 makes
    the target unreachable: then everything is offered, capped by the caller).
    """
    ratio = np.divide(
        equity,
        risk_weighted,
        out=fill(equity.shape, np.inf),
        where=risk_weighted > 0,
    )
    triggered = ratio < min_ratio
    target_rwa = np.maximum(equity, 0.0) / target_ratio
    need = np.maximum(risk_weighted - target_rwa, 0.0) / illiquid_weight
    return np.where(triggered, need, 0.0)


def liquidity_shortfall_sale(cash: np.ndarray, reserve: np.ndarray) -> np.ndarray:
    """Value to sell so that cash returns to the reserve: ``max(reserve − cash, 0)``."""
    return np.maximum(reserve - cash, 0.0)
