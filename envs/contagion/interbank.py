"""The interbank market: loans called back (hoarding) and new loans (lending).

Edge ``e`` is a loan: ``debtors[e]`` owes ``creditors[e]`` the nominal
``interbank[e]``. Pure functions over these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.envs.contagion.arrays import share
from gridmarket.envs.contagion.clearing import clear_edges
from gridmarket.envs.contagion.infrastructure import Netting, multilateral_netting


@dataclass(frozen=True)
class CallResult:
    """Loans called back and repaid in one netted settlement.

    Attributes:
        interbank: ``[E]`` loans left after repayment.
        cash: ``[n]`` cash after the netted settlement.
        repaid: ``[E]`` amount repaid on each loan.
        unpaid: ``[n]`` bool, banks that could not repay all loans called from them.
        netting: the multilateral netting of the repayments.
    """

    interbank: np.ndarray
    cash: np.ndarray
    repaid: np.ndarray
    unpaid: np.ndarray
    netting: Netting


def call_loans(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    interbank: np.ndarray,
    hoard_ratio: np.ndarray,
    cash: np.ndarray,
) -> CallResult:
    """Each creditor calls ``hoard_ratio`` of its loans; debtors repay with cash.

    Repayment is settled multilaterally: the greatest clearing vector of the called
    amounts with cash as the only external asset (no default costs) gives what each
    bank pays, and only net positions move cash. A bank that cannot repay in full
    pays all its cash and receipts; the rest of the called loan stays outstanding
    (it is rolled over, not defaulted).
    """
    called = hoard_ratio[creditors] * interbank
    result = clear_edges(n, debtors, creditors, called, cash)
    owed = result.nominal[debtors]  # >= each of the debtor's called loans
    # without a default every debtor pays its nominal (payments == nominal)
    paid = owed if result.rounds == 0 else result.payments[debtors]
    repaid = np.minimum(share(called, owed) * paid, called)
    netting = multilateral_netting(n, debtors, creditors, repaid)
    return CallResult(
        interbank=interbank - repaid,
        cash=cash - netting.net_outflow,
        repaid=repaid,
        unpaid=result.defaulted,
        netting=netting,
    )


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
    wanted = demand[debtors]
    lender_total = np.bincount(creditors, weights=wanted, minlength=n)
    total = lender_total[creditors]
    offer = supply[creditors] * share(wanted, total)  # total >= wanted >= 0
    offered = np.bincount(debtors, weights=offer, minlength=n)
    # demand / offered where offered > demand, else demand / demand = 1 exactly; a
    # borrower without demand gets offers of 0, which any finite scale keeps at 0
    scale = share(demand, np.maximum(offered, demand))
    return offer * scale[debtors]
