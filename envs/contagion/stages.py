"""Stages 1, 2 and 4 of ``core.step``: the shock, the interbank market, income.

Compiled functions on arrays (``phases`` composes them): each returns new
arrays, never writes into the ones it was given, and keeps every money movement
a balanced pair of account updates. Money is in currency units.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion import accounts
from gridmarket.envs.contagion.arrays import compiled, scatter_add
from gridmarket.envs.contagion.interbank import match_loans
from gridmarket.envs.contagion.margining import PAYMENT_TOLERANCE

LEND, HOARD, SELL, BORROW = range(4)  # the columns of an action matrix


@compiled
def shock_arrays(market, shock, accounts, outside_units):
    """Stage 1: prices revert and take the shock; deposits are withdrawn (or
    placed); write-offs. ``market`` = (prices, fundamental prices, mean
    reversion), ``shock`` = ``Shock``'s fields, ``accounts`` = (cash, external
    liabilities, units, pending, alive). Returns ``(failing, pnl, (prices, cash,
    external liabilities, units, pending), (outside units, outside cash in))``:
    banks that could not pay withdrawals, and the P&L of the price moves and
    write-offs."""
    old, fundamental, mean_reversion = market
    price_factor, withdrawal, writeoff = shock
    cash, external, units, pending, alive = accounts
    prices = old * np.exp(mean_reversion * np.log(fundamental / old)) * price_factor
    move = prices - old
    n = cash.shape[0]
    pnl, failing = np.empty(n), np.empty(n, np.bool_)
    cash_after, external_after = np.empty(n), np.empty(n)
    paid_out, placed_in = 0.0, 0.0
    for i in range(n):
        pnl[i] = units[i, 0] * move[0] + units[i, 1] * move[1]
        demand = (withdrawal[i] if alive[i] else 0.0) * external[i]
        placed, wanted = max(-demand, 0.0), max(demand, 0.0)
        paid = min(wanted, cash[i])
        cash_after[i] = cash[i] + placed - paid
        external_after[i] = external[i] + placed - paid
        failing[i] = wanted - paid > PAYMENT_TOLERANCE * max(wanted, 1.0)
        paid_out += paid
        placed_in += placed
    if np.any(writeoff != 0.0):  # (a zero write-off would change no number)
        lost = np.where(alive, writeoff, 0.0) * units[:, 1]
        units = units.copy()
        units[:, 1] -= lost
        outside_units = outside_units + np.array([0.0, lost.sum()])
        pnl -= lost * prices[1]
    accounts = (prices, cash_after, external_after, units)
    return (
        failing,
        pnl,
        (*accounts, np.minimum(pending, units)),
        (outside_units, paid_out - placed_in),
    )


@compiled
def lend(
    debtors: np.ndarray,
    creditors: np.ndarray,
    interbank: np.ndarray,
    cash: np.ndarray,
    holdings: tuple,
    reserve: np.ndarray,
    lend_share: np.ndarray,
    borrow_share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """New loans along the links: each bank offers ``lend_share`` of its cash
    above ``reserve`` and asks ``borrow_share`` of its total assets (``holdings``
    = (units, prices, initial margin, default fund, receivable): the rest of
    ``accounts.external_assets``). Returns ``(interbank, cash)``."""
    n = cash.shape[0]
    units, prices, initial_margin, default_fund, receivable = holdings
    external = accounts.external_assets_of(
        cash,
        units,
        prices,
        initial_margin,
        default_fund,
        accounts.receivables_due(receivable),
    )
    claims = scatter_add(creditors, interbank, n)
    supply, demand = np.empty(n), np.empty(n)
    for i in range(n):
        supply[i] = lend_share[i] * max(cash[i] - reserve[i], 0.0)
        demand[i] = borrow_share[i] * (external[i] + claims[i])
    loans = match_loans(n, debtors, creditors, supply, demand)
    inflow, outflow = scatter_add(debtors, loans, n), scatter_add(creditors, loans, n)
    return interbank + loans, cash + inflow - outflow


@compiled
def income_arrays(edges, accounts, rates, yields):
    """Stage 4: interbank interest (accrued), yields and deposit interest (cash).
    ``edges`` = (debtors, creditors), ``accounts``
    = (interbank, units, prices, cash, external liabilities), ``rates`` =
    (interbank, deposit) per step, ``yields`` ``[2]``. Returns ``(pnl, interbank,
    cash, external liabilities, outside cash in)``."""
    debtors, creditors = edges
    interbank, units, prices, cash, external = accounts
    interbank_rate, deposit_rate = rates
    n = cash.shape[0]
    interest = interbank_rate * interbank
    pnl = scatter_add(creditors, interest, n) - scatter_add(debtors, interest, n)
    cash_after, external_after = np.empty(n), np.empty(n)
    paid_out = 0.0
    earned_total = 0.0
    for i in range(n):
        earned = (
            units[i, 0] * prices[0] * yields[0] + units[i, 1] * prices[1] * yields[1]
        )
        deposit_interest = deposit_rate * external[i]
        paid = min(deposit_interest, cash[i] + earned)
        pnl[i] = pnl[i] + earned - deposit_interest
        cash_after[i] = cash[i] + earned - paid
        external_after[i] = external[i] + deposit_interest - paid
        paid_out += paid
        earned_total += earned
    return (
        pnl,
        interbank + interest,
        cash_after,
        external_after,
        paid_out - earned_total,
    )
