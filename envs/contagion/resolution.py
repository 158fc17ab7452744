"""Stage 6 of a step: solvency clearing and the resolution of defaulted banks.

Depositors and other outside creditors are one extra *sink* node of the clearing, so
deposits rank pari passu with interbank debts. Failing banks (unmet withdrawals or
variation margin) are forced into resolution. Each defaulted bank is wound up:

1. its securities are sold to the outside at the market price and its CCP
   collateral and sale proceeds in settlement are paid out by the CCP; its futures
   are closed out to the CCP's outside member at the mark (no further CCP loss);
   these are its external assets ``a``, and ``(1 − α)·a`` goes to liquidation costs;
2. its claims on surviving banks are sold to outside investors at ``β`` of face:
   the surviving debtor now owes the face value to the outside instead;
3. it pays each creditor ``Π_ij p_i`` (a defaulted creditor keeps ``β`` of it, the
   rest is a liquidation cost); depositors receive their share;
4. whatever is left (only for forced, solvent banks) goes to its shareholders.

By the clearing equations the estate ends with nothing; the bank stays dead.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion import accounts
from gridmarket.envs.contagion.clearing import (
    ClearingResult,
    clear_edges,
    no_default_result,
    short_of,
)
from gridmarket.envs.contagion.params import BankingParams
from gridmarket.envs.contagion.state import Network, State


def resolve_defaults(
    net: Network,
    s: State,
    banking: BankingParams,
    failing: np.ndarray,
    external_assets: np.ndarray | None = None,
    *,
    sums: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[ClearingResult, np.ndarray, np.ndarray]:
    """Clear, then wind up defaulted banks in place. ``(clearing, pnl, newly dead)``.

    ``external_assets``, when given, is ``accounts.external_assets(s)`` precomputed;
    ``sums``, when given, is ``(interbank claims, total liabilities)`` ``[n]`` as
    ``accounts`` sums them. With both, a step in which no bank is forced and every
    bank covers its liabilities skips the clearing's sums (the common case).
    """
    n = net.num_banks
    nobody_forced = not np.count_nonzero(failing & s.alive)
    if sums is not None and external_assets is not None and nobody_forced:
        claims, liabilities = sums
        clearing = _solvent_clearing(liabilities, external_assets + claims)
        if clearing is not None:  # every bank pays in full: nothing moves
            return clearing, np.zeros(n), np.zeros(n, dtype=bool)
    debtors, creditors = net.sink_edges
    amounts = np.concatenate([s.interbank, s.external_liabilities])
    if external_assets is None:
        external_assets = accounts.external_assets(s)
    # the depositor sink node n has no external assets and is never forced
    external, forced = np.zeros(n + 1), np.zeros(n + 1, dtype=bool)
    external[:n] = external_assets
    np.logical_and(failing, s.alive, out=forced[:n])
    clearing = clear_edges(
        n + 1,
        debtors,
        creditors,
        amounts,
        external,
        banking.alpha,
        banking.beta,
        forced,
    )
    # Failing banks are resolved even when their liquidation value covers their
    # debts (creditors are then paid in full and shareholders get the rest).
    new = (clearing.defaulted[:n] | failing) & s.alive
    if not np.count_nonzero(new):
        return clearing, np.zeros(n), new
    pnl = _wind_up(net, s, clearing, new, banking)
    s.alive = s.alive & ~new
    s.default_step = np.where(new, s.t, s.default_step)
    s.forced_liquid = np.where(new, 0.0, s.forced_liquid)
    s.forced_capital = np.where(new, 0.0, s.forced_capital)
    return clearing, pnl, new


def _solvent_clearing(
    liabilities: np.ndarray, resources: np.ndarray
) -> ClearingResult | None:
    """The clearing of :func:`resolve_defaults` when no bank is forced, without the
    clearing's sums: ``None`` if some bank's ``resources`` (external assets plus
    interbank claims, ``[n]``) fall short of its ``liabilities`` (interbank plus
    external, ``[n]``), else the full-payment result over the banks and the
    depositor sink that ``clear_edges`` returns (its bincounts add the same
    numbers in the same order, so the arrays are equal bit for bit).
    """
    if np.count_nonzero(short_of(liabilities, resources)):
        return None
    n = liabilities.shape[0]
    nominal = np.zeros(n + 1)  # the sink owes nothing
    nominal[:n] = liabilities
    return no_default_result(nominal, np.zeros(n + 1, dtype=bool))


def _liquidate(net: Network, s: State, dead: np.ndarray) -> None:
    """Turn the external assets of ``dead`` banks into cash; close their futures."""
    num_ccps = s.ccp_cash.shape[0]
    units = np.where(dead[:, None], s.units, 0.0)
    value = units @ s.prices
    s.outside_cash -= float(value.sum())
    s.outside_units = s.outside_units + units.sum(axis=0)
    s.units = np.where(dead[:, None], 0.0, s.units)
    s.pending = np.where(dead[:, None], 0.0, s.pending)
    collateral = np.where(
        dead, s.initial_margin + s.default_fund + s.receivable.sum(axis=0), 0.0
    )
    s.ccp_cash = s.ccp_cash - np.bincount(
        net.ccp_of, weights=collateral, minlength=num_ccps
    )
    s.initial_margin = np.where(dead, 0.0, s.initial_margin)
    s.default_fund = np.where(dead, 0.0, s.default_fund)
    s.receivable = np.where(dead[None, :], 0.0, s.receivable)
    s.outside_position = s.outside_position + np.bincount(
        net.ccp_of, weights=np.where(dead, s.position, 0.0), minlength=num_ccps
    )
    s.position = np.where(dead, 0.0, s.position)
    s.cash = s.cash + value + collateral


def _wind_up(
    net: Network,
    s: State,
    clearing: ClearingResult,
    dead: np.ndarray,
    banking: BankingParams,
) -> np.ndarray:
    """Steps 1–4 of the module docstring; returns the P&L of every bank."""
    n, alpha, beta = net.num_banks, banking.alpha, banking.beta
    _liquidate(net, s, dead)
    cost = np.where(dead, (1.0 - alpha) * s.cash, 0.0)
    pnl = -cost
    outside = float(cost.sum())
    debtor_dead, creditor_dead = dead[net.debtors], dead[net.creditors]
    face = s.interbank
    nominal, payments = clearing.nominal[:n], clearing.payments[:n]
    owed = nominal[net.debtors]
    share = np.divide(face, owed, out=np.zeros(face.shape), where=owed > 0)
    flow = np.where(debtor_dead, share * payments[net.debtors], face)
    sold = ~debtor_dead & creditor_dead  # estate's claims on survivors, sold at β
    received = np.where(creditor_dead, beta * flow, flow)
    settled = debtor_dead | creditor_dead
    cash_in = np.bincount(
        net.creditors, weights=np.where(settled, received, 0.0), minlength=n
    )
    cash_out = np.bincount(
        net.debtors, weights=np.where(debtor_dead, flow, 0.0), minlength=n
    )
    outside += float(np.where(creditor_dead & debtor_dead, flow - received, 0.0).sum())
    outside -= float(np.where(sold, received, 0.0).sum())
    s.external_liabilities = s.external_liabilities + np.bincount(
        net.debtors, weights=np.where(sold, face, 0.0), minlength=n
    )
    # creditors: received − face on each settled claim; debtors in default: face − flow
    pnl += np.bincount(
        net.creditors, weights=np.where(settled, received - face, 0.0), minlength=n
    )
    pnl += np.bincount(
        net.debtors, weights=np.where(debtor_dead, face - flow, 0.0), minlength=n
    )
    s.interbank = np.where(settled, 0.0, face)
    deposit_share = np.divide(
        s.external_liabilities, nominal, out=np.zeros(n), where=nominal > 0
    )
    to_depositors = np.where(dead, deposit_share * payments, 0.0)
    pnl += np.where(dead, s.external_liabilities - to_depositors, 0.0)
    s.external_liabilities = np.where(dead, 0.0, s.external_liabilities)
    s.cash = s.cash + cash_in - cash_out - to_depositors - cost
    outside += float(to_depositors.sum())
    residual = np.where(dead, s.cash, 0.0)
    pnl -= residual
    s.cash = np.where(dead, 0.0, s.cash)
    s.outside_cash += outside + float(residual.sum())
    return pnl
