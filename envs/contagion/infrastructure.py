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

from gridmarket.envs.contagion.arrays import compiled, scatter_add
from gridmarket.envs.contagion.market import price_impact, settlement_price


@compiled
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
    queued = np.zeros(capacity.shape[0])
    for bank in range(pending.shape[0]):
        value = pending[bank, 0] * prices[0] + pending[bank, 1] * prices[1]
        queued[exchange_of[bank]] += value
    fill = np.ones(capacity.shape[0])
    for x in range(capacity.shape[0]):
        if queued[x] > capacity[x]:
            fill[x] = capacity[x] / queued[x]
    executed = np.empty_like(pending)
    for bank in range(pending.shape[0]):
        share = fill[exchange_of[bank]]
        executed[bank, 0] = pending[bank, 0] * share
        executed[bank, 1] = pending[bank, 1] * share
    return executed, queued / capacity


@compiled
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
    return netting_of(*net_flows(n, payers, payees, flows))


def netting_of(net_outflow: np.ndarray, gross: float, net: float) -> Netting:
    """The ``Netting`` of :func:`net_flows`' numbers."""
    efficiency = 1.0 - net / gross if gross > 0 else 0.0
    return Netting(net_outflow, gross, net, efficiency)


@compiled
def net_flows(
    n: int, payers: np.ndarray, payees: np.ndarray, flows: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """``(net outflow [n], gross, net)`` of the flows (see ``Netting``)."""
    net_outflow = scatter_add(payers, flows, n) - scatter_add(payees, flows, n)
    return net_outflow, flows.sum(), np.maximum(net_outflow, 0.0).sum()


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


@compiled
def trade(holdings, cash_accounts, venues, impact, fees, immediate):
    """Run the queued orders (new orders already added) through the router (the
    module docstring's steps 1-4). ``holdings`` = (units, pending, prices,
    receivable, escrow_units), ``cash_accounts``
    = (bank, CCP, exchange cash; outside units), ``venues`` = (exchange_of,
    exchange capacity, ccp_of), ``impact`` = (depth, impact, max step drop),
    ``fees`` = (rate, congestion surcharge, cap); ``immediate``: settlement delay
    0. Returns ``(TradeReport fields, (units, pending, prices, cash, ccp_cash,
    exchange_cash, outside_units, value bought by the outside), (receivable,
    escrow_units))``; no array passed in is written into."""
    units, pending, before, receivable, escrow = holdings
    receivable, escrow = receivable.copy(), escrow.copy()
    cash, ccp_cash, exchange_cash, outside_units = cash_accounts
    exchange_of, capacity, ccp_of = venues
    num_ccps = ccp_cash.shape[0]
    settled = np.zeros(cash.shape[0])
    if receivable.shape[0]:  # the oldest slot of the pipeline settles
        settled = receivable[0].copy()
        cash = cash + settled
        ccp_cash = ccp_cash - scatter_add(ccp_of, settled, num_ccps)
        outside_units = outside_units + escrow[0]
        receivable[:-1], escrow[:-1] = receivable[1:].copy(), escrow[1:].copy()
        receivable[-1], escrow[-1] = 0.0, 0.0
    executed, congestion = execute_orders(pending, before, exchange_of, capacity)
    sold = np.zeros(2)
    for bank in range(executed.shape[0]):
        sold += executed[bank]
    after = price_impact(before, sold, impact[0], impact[1], impact[2])
    price = settlement_price(before, after)
    gain, move = price - before, after - before
    n = cash.shape[0]
    value, fee, pnl = np.empty(n), np.empty(n), np.empty(n)
    kept, left = np.empty_like(units), np.empty_like(pending)
    fee_rate, surcharge, cap = fees
    for i in range(n):
        sold_0, sold_1 = executed[i, 0], executed[i, 1]
        value[i] = sold_0 * price[0] + sold_1 * price[1]
        crowding = congestion[exchange_of[i]]
        fee[i] = exchange_fees(value[i], crowding, fee_rate, surcharge, cap)
        kept[i, 0], kept[i, 1] = units[i, 0] - sold_0, units[i, 1] - sold_1
        left[i, 0], left[i, 1] = pending[i, 0] - sold_0, pending[i, 1] - sold_1
        pnl[i] = sold_0 * gain[0] + sold_1 * gain[1] - fee[i]
        pnl[i] = pnl[i] + (kept[i, 0] * move[0] + kept[i, 1] * move[1])
    proceeds = value - fee
    to_ccp = scatter_add(ccp_of, proceeds, num_ccps)
    ccp_cash = ccp_cash + to_ccp
    exchange_cash = exchange_cash + scatter_add(exchange_of, fee, capacity.shape[0])
    if immediate:
        cash = cash + proceeds
        ccp_cash = ccp_cash - to_ccp
        outside_units = outside_units + sold
        settled = settled + proceeds
    else:
        receivable[-1] += proceeds
        escrow[-1] += sold
    report = (executed, sold, price, fee, settled, pnl, congestion)
    accounts = (kept, left, after, cash, ccp_cash, exchange_cash)
    return report, (*accounts, outside_units, value.sum()), (receivable, escrow)
