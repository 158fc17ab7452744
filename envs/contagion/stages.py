"""Stages 1, 2 and 4 of ``core.step``: the shock, the interbank market, income.

Each function updates ``core.step``'s private working copy of the state (it
replaces arrays, never writes into the ones it was given) and keeps every money
movement a balanced pair of account updates. Money is in currency units.
"""

from __future__ import annotations

import functools

import numpy as np

from gridmarket.envs.contagion import accounts
from gridmarket.envs.contagion.infrastructure import Netting
from gridmarket.envs.contagion.interbank import call_loans, match_loans
from gridmarket.envs.contagion.margining import PAYMENT_TOLERANCE
from gridmarket.envs.contagion.params import ContagionParams, MarketParams
from gridmarket.envs.contagion.scenarios import Shock
from gridmarket.envs.contagion.state import Network, State

LEND, HOARD, SELL, BORROW = range(4)  # the columns of an action matrix
_ADD = np.add.reduce  # ``x.sum()`` without the method's Python wrapper


def apply_shock(
    net: Network, s: State, shock: Shock, params: ContagionParams
) -> tuple[np.ndarray, np.ndarray]:
    """Stage 1. Returns ``(failing, pnl)``: banks that could not pay withdrawals
    (bool ``[n]``) and the P&L of the price moves and write-offs (currency)."""
    old = s.prices
    reversion = params.market.mean_reversion * np.log(net.fundamental_price / old)
    s.prices = old * np.exp(reversion) * shock.price_factor
    pnl = s.units @ (s.prices - old)
    demand = np.where(s.alive, shock.withdrawal, 0.0) * s.external_liabilities
    placed = np.maximum(-demand, 0.0)
    wanted = np.maximum(demand, 0.0)
    paid = np.minimum(wanted, s.cash)
    s.cash = s.cash + placed - paid
    s.external_liabilities = s.external_liabilities + placed - paid
    s.outside_cash += float(_ADD(paid) - _ADD(placed))
    failing = wanted - paid > PAYMENT_TOLERANCE * np.maximum(wanted, 1.0)
    if np.count_nonzero(shock.writeoff):  # (a zero write-off would change no number)
        lost = np.where(s.alive, shock.writeoff, 0.0) * s.units[:, 1]
        s.units = s.units.copy()
        s.units[:, 1] -= lost
        s.outside_units = s.outside_units + np.array([0.0, _ADD(lost)])
        pnl -= lost * s.prices[1]
    s.pending = np.minimum(s.pending, s.units)
    return failing, pnl


def interbank(
    net: Network, s: State, actions: np.ndarray, params: ContagionParams
) -> Netting:
    """Stage 2: calls (netted clearing on cash), then new loans along links."""
    n, banking = net.num_banks, params.banking
    calls = call_loans(
        n, net.debtors, net.creditors, s.interbank, actions[:, HOARD], s.cash
    )
    s.interbank, s.cash = calls.interbank, calls.cash
    reserve = banking.reserve_ratio * s.external_liabilities
    supply = actions[:, LEND] * np.maximum(s.cash - reserve, 0.0)
    demand = (
        actions[:, BORROW] * banking.max_borrow_share * accounts.total_assets(net, s)
    )
    loans = match_loans(n, net.debtors, net.creditors, supply, demand)
    s.interbank = s.interbank + loans
    s.cash = (
        s.cash
        + np.bincount(net.debtors, weights=loans, minlength=n)
        - np.bincount(net.creditors, weights=loans, minlength=n)
    )
    return calls.netting


def accrue_income(net: Network, s: State, params: ContagionParams) -> np.ndarray:
    """Stage 4: interbank interest (accrued), yields and deposit interest (cash).
    Returns the P&L ``[n]`` (currency)."""
    n, banking, market = net.num_banks, params.banking, params.market
    interest = banking.interbank_rate * s.interbank
    s.interbank = s.interbank + interest
    pnl = np.bincount(net.creditors, weights=interest, minlength=n) - np.bincount(
        net.debtors, weights=interest, minlength=n
    )
    yields = (s.units * s.prices) @ _yields(market)
    deposit_interest = banking.deposit_rate * s.external_liabilities
    paid = np.minimum(deposit_interest, s.cash + yields)
    s.cash = s.cash + yields - paid
    s.external_liabilities = s.external_liabilities + deposit_interest - paid
    s.outside_cash += float(_ADD(paid) - _ADD(yields))
    return pnl + yields - deposit_interest


@functools.lru_cache(maxsize=64)
def _yields(market: MarketParams) -> np.ndarray:
    """``[2]`` yield of each security per step (cached, read-only)."""
    yields = np.array([market.yield_liquid, market.yield_illiquid])
    yields.setflags(write=False)
    return yields
