"""Balance sheets read off the state arrays: assets, liabilities, equity, totals.

Bank ``i``:
    assets      = cash + units·prices + initial_margin + default_fund
                  + Σ receivable + interbank claims
    liabilities = interbank liabilities + external_liabilities
    equity      = assets − liabilities
A CCP's equity is its cash less what it owes members (their initial margin, default
fund contributions and sale proceeds in settlement); an exchange's is its cash. The
outside world's wealth is its cash, its units (escrowed ones included) at market
prices, and its claims on banks (their external liabilities).

Conservation laws (each checked by the tests every step):
    Σ cash over banks, exchanges, CCPs and the outside is constant;
    units of each security over banks, escrow and the outside are constant;
    Σ equity (banks, exchanges, CCPs) + outside wealth changes only by
    (all units) · Δprices, a pure revaluation.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion.arrays import compiled
from gridmarket.envs.contagion.state import Network, State


def interbank_claims(net: Network, state: State) -> np.ndarray:
    """What other banks owe each bank ``[n]`` (currency)."""
    return np.bincount(net.creditors, weights=state.interbank, minlength=net.num_banks)


def interbank_liabilities(net: Network, state: State) -> np.ndarray:
    """What each bank owes other banks ``[n]`` (currency)."""
    return np.bincount(net.debtors, weights=state.interbank, minlength=net.num_banks)


def external_assets(state: State) -> np.ndarray:
    """Assets outside the interbank network ``[n]``: the ``e`` of clearing."""
    return external_assets_of(
        state.cash,
        state.units,
        state.prices,
        state.initial_margin,
        state.default_fund,
        receivables_due(state.receivable),
    )


@compiled
def receivables_due(receivable: np.ndarray) -> np.ndarray:
    """``Σ receivable`` over the settlement slots ``[d, n] -> [n]``."""
    due = np.zeros(receivable.shape[1])
    for row in receivable:
        due = due + row
    return due


@compiled
def external_assets_of(
    cash: np.ndarray,
    units: np.ndarray,
    prices: np.ndarray,
    initial_margin: np.ndarray,
    default_fund: np.ndarray,
    due: np.ndarray,
) -> np.ndarray:
    """cash + units · prices + initial margin + fund + receivables due ``[n]``."""
    securities = units[:, 0] * prices[0] + units[:, 1] * prices[1]
    return cash + securities + initial_margin + default_fund + due


@compiled
def balance_sheet(
    debtors: np.ndarray,
    creditors: np.ndarray,
    interbank: np.ndarray,
    cash: np.ndarray,
    units: np.ndarray,
    prices: np.ndarray,
    initial_margin: np.ndarray,
    default_fund: np.ndarray,
    receivable: np.ndarray,
    external_liabilities: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """``(external assets, interbank claims, interbank debts, total liabilities,
    receivables due, equity)`` ``[n]`` each, summed as the functions above sum
    them (equity as ``bank_equity``)."""
    n = cash.shape[0]
    due = receivables_due(receivable)
    external = external_assets_of(
        cash, units, prices, initial_margin, default_fund, due
    )
    claims = np.bincount(creditors, interbank, n)
    owed = np.bincount(debtors, interbank, n)
    liabilities = owed + external_liabilities
    return external, claims, owed, liabilities, due, external + claims - liabilities


def total_assets(net: Network, state: State) -> np.ndarray:
    return external_assets(state) + interbank_claims(net, state)


def total_liabilities(net: Network, state: State) -> np.ndarray:
    return interbank_liabilities(net, state) + state.external_liabilities


def bank_equity(net: Network, state: State) -> np.ndarray:
    """Assets − liabilities of each bank ``[n]`` (currency)."""
    return total_assets(net, state) - total_liabilities(net, state)


def ccp_equity(net: Network, state: State) -> np.ndarray:
    """Cash less what each CCP owes its members ``[C]`` (currency)."""
    owed = state.initial_margin + state.default_fund + receivables_due(state.receivable)
    return state.ccp_cash - np.bincount(
        net.ccp_of, weights=owed, minlength=state.ccp_cash.shape[0]
    )


def outside_wealth(state: State) -> float:
    """Cash, units (escrowed included) at market prices and claims on banks."""
    units = state.outside_units + state.escrow_units.sum(axis=0)
    return float(
        state.outside_cash + units @ state.prices + state.external_liabilities.sum()
    )


def total_cash(state: State) -> float:
    """All money: banks, exchanges, CCPs and the outside world."""
    return float(
        state.cash.sum()
        + state.exchange_cash.sum()
        + state.ccp_cash.sum()
        + state.outside_cash
    )


def total_units(state: State) -> np.ndarray:
    """Units of each security ``[2]`` held anywhere."""
    return (
        state.units.sum(axis=0) + state.escrow_units.sum(axis=0) + state.outside_units
    )


def system_equity(net: Network, state: State) -> float:
    """Σ equity of banks, exchanges and CCPs (currency)."""
    return float(
        bank_equity(net, state).sum()
        + state.exchange_cash.sum()
        + ccp_equity(net, state).sum()
    )


def risk_weighted_assets(net: Network, state: State, weights: np.ndarray) -> np.ndarray:
    """``weights`` = (liquid, illiquid, interbank, collateral) risk weights."""
    values = state.units * state.prices
    return (
        values @ weights[:2]
        + weights[2] * interbank_claims(net, state)
        + weights[3] * (state.initial_margin + state.default_fund)
    )
