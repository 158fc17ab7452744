"""Stage 5 of a step: variation margin, CCP defaults and the waterfall, top-ups.

The compiled functions run inside ``phases``; ``cover_defaults`` updates
``core.step``'s private working copy of the state. Every cash movement
is a balanced pair between a bank (or the outside member) and its CCP.
"""

from __future__ import annotations

import math

import numpy as np

from gridmarket.envs.contagion import ccp
from gridmarket.envs.contagion.arrays import compiled
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.state import Network, State

# Relative size of an unmet payment below which it counts as paid (round-off).
PAYMENT_TOLERANCE = 1e-9


def cover_defaults(
    net: Network,
    s: State,
    params: ContagionParams,
    margin: tuple[np.ndarray, ...],
    survivors: np.ndarray,
) -> tuple[np.ndarray, ccp.Waterfall]:
    """Stage 5's defaults: the waterfall covers the VM that banks failed to pay.

    ``margin`` = ``pay_variation_margin``'s ``(vm, vm_outside, shortfall,
    failed)``; ``survivors``: banks still in the CCPs. Updates ``s`` in place
    and returns ``(pnl of stage 5 so far, waterfall)``.
    """
    vm, _, shortfall, failed = margin
    fall = ccp.default_waterfall(
        shortfall,
        failed,
        survivors,
        s.initial_margin,
        s.default_fund,
        s.cash,
        net.ccp_of,
        s.ccp_sitg,
        params.ccp.assessment_cap,
    )
    if not np.count_nonzero(failed):  # the waterfall moved nothing
        return vm + 0.0, fall  # (+ 0.0 as in the sum below)
    survivor_loss = np.where(survivors, s.default_fund - fall.default_fund, 0.0)
    s.initial_margin, s.default_fund, s.ccp_sitg = (
        fall.initial_margin,
        fall.default_fund,
        fall.sitg_left,
    )
    s.cash = s.cash - fall.assessed
    s.ccp_cash = s.ccp_cash + np.bincount(
        net.ccp_of, weights=fall.assessed, minlength=s.ccp_cash.shape[0]
    )
    return vm + fall.written_off - survivor_loss - fall.assessed, fall


@compiled
def pay_variation_margin(
    position: np.ndarray,
    outside_position: np.ndarray,
    price_change: float,
    cash: np.ndarray,
    ccp_cash: np.ndarray,
    ccp_of: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Each bank pays its VM from cash (or receives it); the outside members pay
    theirs in full. Returns ``(vm [n], vm_outside [C], shortfall [n], failed [n]
    bool, cash [n], ccp_cash [C], Σ vm_outside)``."""
    vm, vm_outside = ccp.variation_margin(position, outside_position, price_change)
    gain, owed = np.maximum(vm, 0.0), np.maximum(-vm, 0.0)
    paid = np.minimum(owed, cash)
    shortfall = owed - paid
    ccp_cash = ccp_cash + np.bincount(ccp_of, paid - gain, ccp_cash.shape[0])
    failed = shortfall > PAYMENT_TOLERANCE * np.maximum(owed, 1.0)
    return (
        vm,
        vm_outside,
        shortfall,
        failed,
        cash + gain - paid,
        ccp_cash - vm_outside,
        vm_outside.sum(),
    )


def update_volatility(s: State, params: ContagionParams, price: float) -> None:
    log_return = float(np.log(price / s.marked_price))
    decay = params.market.ewma_decay
    s.variance = decay * s.variance + (1.0 - decay) * log_return**2
    s.last_return = log_return
    s.marked_price = price


def margin_rate(s: State, params: ContagionParams) -> float:
    """Initial margin per unit of notional: ``z_q · σ · √MPOR`` (σ floored at the
    market's volatility)."""
    volatility = math.sqrt(max(s.variance, params.market.volatility**2))
    z, root = ccp.margin_constants(params.ccp.confidence, params.ccp.margin_period)
    return z * volatility * root


@compiled
def top_up(
    position: np.ndarray,
    price: float,
    rate: float,
    stress_move: float,
    ccp_of: np.ndarray,
    members: np.ndarray,
    initial_margin: np.ndarray,
    default_fund: np.ndarray,
    cash: np.ndarray,
    ccp_cash: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Move the ``members``' IM and fund contributions to their requirements (IM
    ``rate`` · |position| · price, Cover 2), IM first, then the fund, each paid
    from the cash left. Returns ``(initial_margin, default_fund, cash, ccp_cash,
    unmet calls)``."""
    num_ccps = ccp_cash.shape[0]
    margin_required = np.where(
        members, ccp.margin_requirement(position, price, rate), initial_margin
    )
    fund_total = ccp.cover2_default_fund(
        position, price, margin_required, stress_move, ccp_of, num_ccps, members
    )
    fund_required = np.where(
        members,
        ccp.contributions(fund_total, margin_required, ccp_of, members),
        default_fund,
    )
    initial_margin, cash, ccp_cash, unmet_margin = _move_to_requirement(
        margin_required, initial_margin, cash, ccp_cash, ccp_of
    )
    default_fund, cash, ccp_cash, unmet_fund = _move_to_requirement(
        fund_required, default_fund, cash, ccp_cash, ccp_of
    )
    return initial_margin, default_fund, cash, ccp_cash, unmet_margin + unmet_fund


@compiled
def _move_to_requirement(required, posted, cash, ccp_cash, ccp_of):
    """Calls (``required > posted``) are paid from ``cash`` as far as it goes;
    excess ``posted`` is returned in full. Returns ``(posted, cash, ccp_cash,
    unmet calls)`` after."""
    call = required - posted
    moved = np.where(call > 0, np.minimum(call, cash), call)
    ccp_cash = ccp_cash + np.bincount(ccp_of, moved, ccp_cash.shape[0])
    return posted + moved, cash - moved, ccp_cash, call - moved
