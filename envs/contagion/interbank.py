"""The interbank market: loans called back (hoarding) and new loans (lending).

Edge ``e`` is a loan: ``debtors[e]`` owes ``creditors[e]`` the nominal
``interbank[e]``. Pure compiled functions over these arrays. Called loans are
settled multilaterally: the greatest clearing vector of the called amounts with
cash as the only external asset (no default costs; ``clearing``) gives what each
bank pays, and only net positions move cash. A bank that cannot repay in full
pays all its cash and receipts; the rest of the called loan stays outstanding
(it is rolled over, not defaulted).
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion.arrays import compiled, scatter_add, share
from gridmarket.envs.contagion.infrastructure import net_flows


@compiled
def repay_calls(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    called: np.ndarray,
    payments: np.ndarray,
    nominal: np.ndarray,
    interbank: np.ndarray,
    cash: np.ndarray,
) -> tuple:
    """``(interbank, cash, repaid, *net_flows)`` after the called loans are repaid
    by the clearing's ``payments`` of their ``nominal`` totals ``[n]``; a debtor
    that pays less than its nominal repays each loan pro rata."""
    repaid = np.empty(called.shape[0])
    for e in range(called.shape[0]):
        # the debtor's nominal is >= each of its called loans
        pro_rata = share(called[e], nominal[debtors[e]])
        repaid[e] = min(pro_rata * payments[debtors[e]], called[e])
    net_outflow, gross, net = net_flows(n, debtors, creditors, repaid)
    return interbank - repaid, cash - net_outflow, repaid, net_outflow, gross, net


@compiled
def match_loans(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    supply: np.ndarray,
    demand: np.ndarray,
) -> np.ndarray:
    """New loan on each edge ``[E]``, lender = creditor, borrower = debtor.

    Each lender spreads its ``supply`` over its network neighbours in proportion to
    their ``demand``; a borrower offered more than its demand takes every offer in
    the same reduced proportion. So no lender gives more than its supply and no
    borrower gets more than its demand; only linked banks trade.
    """
    lender_total = scatter_add(creditors, demand[debtors], n)
    offer, offered = np.empty(debtors.shape[0]), np.zeros(n)
    for e in range(debtors.shape[0]):
        wanted, total = demand[debtors[e]], lender_total[creditors[e]]
        offer[e] = supply[creditors[e]] * share(wanted, total)  # total >= wanted
        offered[debtors[e]] += offer[e]
    loans = np.empty(debtors.shape[0])
    for e in range(debtors.shape[0]):
        # demand / offered where offered > demand, else demand / demand = 1
        # exactly; a borrower without demand gets offers of 0, kept at 0
        asked = demand[debtors[e]]
        loans[e] = offer[e] * share(asked, max(offered[debtors[e]], asked))
    return loans
