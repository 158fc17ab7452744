"""Exchanges, multilateral netting and the trade router.

The router sends every sale bank → exchange → CCP → bank:

1. the bank's order waits in its exchange's queue; each exchange executes at most
   its throughput per step (value at current prices), every queued order filled in
   the same proportion; congestion = queued value / throughput;
2. executed units move the price once (``market.price_impact``) and trade at the
   settlement price (the midpoint of pre- and post-impact prices);
3. the CCP of the exchange novates the trade: the outside buyer pays the price into
   the CCP, the units go to escrow, the exchange's fee (raised by congestion) is paid
   out of the proceeds, and the bank holds a receivable on the CCP;
4. after ``settlement_delay`` steps the CCP pays the bank and delivers the units.

Every movement is a balanced pair of array updates between two accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.envs.contagion.market import price_impact, settlement_price
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.state import Network, State


def execute_orders(
    pending: np.ndarray,
    prices: np.ndarray,
    exchange_of: np.ndarray,
    capacity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(executed units [n, 2], congestion [X])`` for one step of every exchange.

    Exchange ``x`` fills ``min(1, capacity_x / queued_value_x)`` of each order in its
    queue; congestion is ``queued_value_x / capacity_x`` (0 for an empty queue).
    """
    queued = np.bincount(
        exchange_of, weights=pending @ prices, minlength=capacity.shape[0]
    )
    congestion = queued / capacity
    fill = np.divide(
        capacity, queued, out=np.ones(queued.shape), where=queued > capacity
    )
    return pending * fill[exchange_of][:, None], congestion


def exchange_fees(
    executed_value: np.ndarray,
    congestion: np.ndarray,
    fee_rate: float,
    surcharge: float,
    cap: float,
) -> np.ndarray:
    """``value · fee_rate · (1 + surcharge · min(congestion, cap))`` per bank."""
    return executed_value * fee_rate * (1.0 + surcharge * np.minimum(congestion, cap))


@dataclass(frozen=True)
class Netting:
    """Multilateral netting of a set of bilateral payment flows (currency).

    Attributes:
        net_outflow: ``[n]`` what each node pays minus what it receives.
        gross: Σ of all bilateral flows (what gross settlement would move).
        net: Σ of the positive net outflows (what netted settlement moves).
        efficiency: ``1 − net / gross`` (0 when nothing flows).
    """

    net_outflow: np.ndarray
    gross: float
    net: float
    efficiency: float


def multilateral_netting(
    n: int, payers: np.ndarray, payees: np.ndarray, flows: np.ndarray
) -> Netting:
    """Net the flows ``payers[k] -> payees[k]: flows[k]`` through one settlement."""
    outflow = np.bincount(payers, weights=flows, minlength=n)
    inflow = np.bincount(payees, weights=flows, minlength=n)
    net_outflow = outflow - inflow
    gross = float(np.add.reduce(flows))
    net = float(np.add.reduce(np.maximum(net_outflow, 0.0)))
    efficiency = 1.0 - net / gross if gross > 0 else 0.0
    return Netting(net_outflow, gross, net, efficiency)


@dataclass(frozen=True)
class TradeReport:
    """What the router did in one step.

    Attributes:
        executed: ``[n, 2]`` units executed; sold ``[2]`` their totals.
        execution_price: ``[2]`` settlement price of the step's trades.
        fees: ``[n]`` fees paid to exchanges (currency).
        settled: ``[n]`` cash paid to banks by CCPs at settlement this step.
        pnl: ``[n]`` P&L of the trades and of the impact on units still held.
        congestion: ``[X]`` of each exchange.
    """

    executed: np.ndarray
    sold: np.ndarray
    execution_price: np.ndarray
    fees: np.ndarray
    settled: np.ndarray
    pnl: np.ndarray
    congestion: np.ndarray


def route_trades(net: Network, state: State, params: ContagionParams) -> TradeReport:
    """Run the queued orders of ``state.pending`` through the router, in place.

    ``state`` is the private working copy of ``core.step``; the caller has already
    added this step's new orders to ``state.pending``.
    """
    settled = _settle_due(net, state)
    executed, congestion = execute_orders(
        state.pending, state.prices, net.exchange_of, net.exchange_capacity
    )
    sold = np.add.reduce(executed, axis=0)
    before = state.prices
    after = price_impact(
        before, sold, net.depth, net.impact, params.market.max_step_drop
    )
    price = settlement_price(before, after)
    value = executed @ price
    exchange = params.exchange
    fees = exchange_fees(
        value,
        congestion[net.exchange_of],
        exchange.fee_rate,
        exchange.congestion_surcharge,
        exchange.congestion_cap,
    )
    kept = state.units - executed
    pnl = executed @ (price - before) - fees + kept @ (after - before)
    state.units = kept
    state.pending = state.pending - executed
    state.prices = after
    state.congestion = congestion
    num_ccps = state.ccp_cash.shape[0]
    state.outside_cash -= float(np.add.reduce(value))
    proceeds = value - fees
    to_ccp = np.bincount(net.ccp_of, weights=proceeds, minlength=num_ccps)
    state.ccp_cash = state.ccp_cash + to_ccp
    state.exchange_cash = state.exchange_cash + np.bincount(
        net.exchange_of, weights=fees, minlength=net.num_exchanges
    )
    if exchange.settlement_delay == 0:
        state.cash = state.cash + proceeds
        state.ccp_cash = state.ccp_cash - to_ccp
        state.outside_units = state.outside_units + sold
        settled = settled + proceeds
    else:
        state.receivable[-1] += proceeds
        state.escrow_units[-1] += sold
    return TradeReport(executed, sold, price, fees, settled, pnl, congestion)


def _settle_due(net: Network, state: State) -> np.ndarray:
    """Settle the oldest slot of the pipeline and shift the others forward."""
    if state.receivable.shape[0] == 0:
        return np.zeros(net.num_banks)
    due = state.receivable[0].copy()
    state.cash = state.cash + due
    state.ccp_cash = state.ccp_cash - np.bincount(
        net.ccp_of, weights=due, minlength=state.ccp_cash.shape[0]
    )
    state.outside_units = state.outside_units + state.escrow_units[0]
    if state.receivable.shape[0] > 1:
        state.receivable[:-1] = state.receivable[1:]
        state.escrow_units[:-1] = state.escrow_units[1:]
    state.receivable[-1] = 0.0
    state.escrow_units[-1] = 0.0
    return due
