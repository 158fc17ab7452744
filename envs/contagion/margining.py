"""Stage 5 of a step: variation margin, CCP defaults and the waterfall, top-ups.

Operates on ``core.step``'s private working copy of the state. Every cash movement
is a balanced pair between a bank (or the outside member) and its CCP.
"""

from __future__ import annotations

import math

import numpy as np

from gridmarket.envs.contagion import ccp
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.state import Network, State

# Relative size of an unmet payment below which it counts as paid (round-off).
PAYMENT_TOLERANCE = 1e-9


def margin_stage(
    net: Network, s: State, params: ContagionParams, failing: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, ccp.Waterfall, np.ndarray]:
    """Stage 5: VM, defaults at the CCP and the waterfall, IM and fund top-ups.

    Returns ``(pnl, vm, vm_outside, waterfall, top_up_shortfall)``; marks banks that
    fail to pay VM in ``failing`` (in place).
    """
    num_ccps = s.ccp_cash.shape[0]
    price = float(s.prices[1])
    vm, vm_outside = ccp.variation_margin(
        s.position, s.outside_position, price - s.marked_price
    )
    gain, owed = np.maximum(vm, 0.0), np.maximum(-vm, 0.0)
    paid = np.minimum(owed, s.cash)
    shortfall = owed - paid
    s.cash = s.cash + gain - paid
    s.ccp_cash = (
        s.ccp_cash
        + np.bincount(net.ccp_of, weights=paid - gain, minlength=num_ccps)
        - vm_outside
    )
    s.outside_cash += float(np.add.reduce(vm_outside))
    vm_failed = shortfall > PAYMENT_TOLERANCE * np.maximum(owed, 1.0)
    failing |= vm_failed
    update_volatility(s, params, price)
    survivors = s.alive & ~failing
    fall = ccp.default_waterfall(
        shortfall,
        vm_failed,
        survivors,
        s.initial_margin,
        s.default_fund,
        s.cash,
        net.ccp_of,
        s.ccp_sitg,
        params.ccp.assessment_cap,
    )
    if np.count_nonzero(vm_failed):
        survivor_loss = np.where(survivors, s.default_fund - fall.default_fund, 0.0)
        s.initial_margin, s.default_fund, s.ccp_sitg = (
            fall.initial_margin,
            fall.default_fund,
            fall.sitg_left,
        )
        s.cash = s.cash - fall.assessed
        s.ccp_cash = s.ccp_cash + np.bincount(
            net.ccp_of, weights=fall.assessed, minlength=num_ccps
        )
        pnl = vm + fall.written_off - survivor_loss - fall.assessed
    else:  # no default: the waterfall moved nothing (+ 0.0 as in the sum above)
        pnl = vm + 0.0
    top_up_short = top_up(net, s, params, survivors, price)
    return pnl, vm, vm_outside, fall, top_up_short


def update_volatility(s: State, params: ContagionParams, price: float) -> None:
    log_return = float(np.log(price / s.marked_price))
    decay = params.market.ewma_decay
    s.variance = decay * s.variance + (1.0 - decay) * log_return**2
    s.last_return = log_return
    s.marked_price = price


def top_up(
    net: Network, s: State, params: ContagionParams, members: np.ndarray, price: float
) -> np.ndarray:
    """Move IM and fund contributions to their requirements; returns unmet calls."""
    volatility = math.sqrt(max(s.variance, params.market.volatility**2))
    spec = params.ccp
    margin_required = np.where(
        members,
        ccp.initial_margin(
            s.position, price, volatility, spec.confidence, spec.margin_period
        ),
        s.initial_margin,
    )
    fund_total = ccp.cover2_default_fund(
        s.position,
        price,
        margin_required,
        spec.stress_move,
        net.ccp_of,
        s.ccp_cash.shape[0],
        members,
    )
    fund_required = np.where(
        members,
        ccp.contributions(fund_total, margin_required, net.ccp_of, members),
        s.default_fund,
    )
    num_ccps = s.ccp_cash.shape[0]
    # initial margin first, then the fund, each paid from what cash is left
    call = margin_required - s.initial_margin
    moved = np.where(call > 0, np.minimum(call, s.cash), call)
    unmet = call - moved
    s.initial_margin = s.initial_margin + moved
    s.cash = s.cash - moved
    s.ccp_cash = s.ccp_cash + np.bincount(net.ccp_of, weights=moved, minlength=num_ccps)
    call = fund_required - s.default_fund
    moved = np.where(call > 0, np.minimum(call, s.cash), call)
    unmet += call - moved
    s.default_fund = s.default_fund + moved
    s.cash = s.cash - moved
    s.ccp_cash = s.ccp_cash + np.bincount(net.ccp_of, weights=moved, minlength=num_ccps)
    return unmet
