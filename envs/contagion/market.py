"""Securities market: price impact, settlement price, orders and deleveraging.

All functions are pure: they take arrays and return new arrays. Security 0 is the
liquid one, security 1 the illiquid one.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion.arrays import compiled, positive_ratio


@compiled
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


@compiled
def settlement_price(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Price at which the step's sales execute: the midpoint of pre- and post-impact."""
    return 0.5 * (before + after)


@compiled
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
    orders = np.empty_like(available)
    for i in range(available.shape[0]):
        liquid, illiquid = available[i, 0] * prices[0], available[i, 1] * prices[1]
        need = max(sell_ratio[i] * (liquid + illiquid), forced_liquid[i])
        liquid_value = min(need, liquid)  # value to sell of each security
        illiquid_value = min(max(need - liquid_value, forced_capital[i]), illiquid)
        orders[i, 0] = min(liquid_value / prices[0], available[i, 0])
        orders[i, 1] = min(illiquid_value / prices[1], available[i, 1])
    return orders


@compiled
def queue_orders(
    holdings: tuple[np.ndarray, np.ndarray, np.ndarray],
    sell_ratio: np.ndarray,
    forced: tuple[np.ndarray, np.ndarray],
    active: np.ndarray,
) -> np.ndarray:
    """The queue ``pending`` ``[n, 2]`` after the ``active`` (``[n, 1]`` bool)
    banks place this step's :func:`sell_orders` on the units not yet queued;
    ``holdings`` = (units, pending, prices), ``forced`` = (liquidity, capital)."""
    units, pending, prices = holdings
    orders = sell_orders(units - pending, prices, sell_ratio, forced[0], forced[1])
    queued = pending.copy()
    for i in range(queued.shape[0]):
        if active[i, 0]:
            queued[i, 0] += orders[i, 0]
            queued[i, 1] += orders[i, 1]
    return queued


@compiled
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
    triggered = positive_ratio(equity, risk_weighted, np.inf) < min_ratio
    target_rwa = np.maximum(equity, 0.0) / target_ratio
    need = np.maximum(risk_weighted - target_rwa, 0.0) / illiquid_weight
    return np.where(triggered, need, 0.0)


@compiled
def liquidity_shortfall_sale(cash: np.ndarray, reserve: np.ndarray) -> np.ndarray:
    """Value to sell so that cash returns to the reserve: ``max(reserve − cash, 0)``."""
    return np.maximum(reserve - cash, 0.0)


@compiled
def deleveraging_orders(
    equity: np.ndarray,
    risk_weighted: np.ndarray,
    cash: np.ndarray,
    incoming: np.ndarray,
    external_liabilities: np.ndarray,
    top_up_short: np.ndarray,
    alive: np.ndarray,
    ratios: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """``(capital, liquidity)`` forced sales ``[n]`` (value) each surviving bank
    must place next step: capital when equity / RWA is below the minimum; liquidity
    when cash is below the reserve or a margin top-up went unmet, so that cash plus
    the ``incoming`` receivables reach twice the reserve plus the unmet top-up.
    ``ratios`` = (illiquid risk weight, minimum and target capital ratio, reserve
    ratio)."""
    illiquid_weight, min_ratio, target_ratio, reserve_ratio = ratios
    capital = capital_shortfall_sale(
        equity, risk_weighted, illiquid_weight, min_ratio, target_ratio
    )
    reserve = reserve_ratio * external_liabilities
    short = (cash < reserve) | (top_up_short > 0)
    liquid = np.where(
        short,
        liquidity_shortfall_sale(cash + incoming, 2.0 * reserve + top_up_short),
        0.0,
    )
    return np.where(alive, capital, 0.0), np.where(alive, liquid, 0.0)
