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
from gridmarket.envs.contagion.arrays import compiled, share
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
    return full_payment(liabilities)


def full_payment(liabilities: np.ndarray) -> ClearingResult:
    """The clearing over the banks and the depositor sink when every bank pays
    its ``liabilities`` ``[n]`` in full (the sink owes nothing)."""
    n = liabilities.shape[0]
    nominal = np.zeros(n + 1)
    nominal[:n] = liabilities
    return no_default_result(nominal, np.zeros(n + 1, dtype=bool))


def _wind_up(
    net: Network,
    s: State,
    clearing: ClearingResult,
    dead: np.ndarray,
    banking: BankingParams,
) -> np.ndarray:
    """Steps 1–4 of the module docstring on ``s`` (in place); returns the P&L of
    every bank."""
    n = net.num_banks
    pnl, held, outside_units, outside_cash = wind_up(
        (net.debtors, net.creditors, net.ccp_of),
        (
            s.cash,
            s.units,
            s.pending,
            s.prices,
            s.initial_margin,
            s.default_fund,
            s.receivable,
            s.position,
            s.interbank,
            s.external_liabilities,
            s.ccp_cash,
            s.outside_position,
        ),
        (clearing.nominal[:n], clearing.payments[:n]),
        dead,
        (banking.alpha, banking.beta),
    )
    s.cash, s.units, s.pending, s.initial_margin, s.default_fund = held[:5]
    s.receivable, s.position, s.interbank, s.external_liabilities = held[5:9]
    s.ccp_cash, s.outside_position = held[9:]
    s.outside_units = s.outside_units + outside_units
    sold, paid = outside_cash
    s.outside_cash -= sold
    s.outside_cash += paid
    return pnl


@compiled
def liquidate(ccp_of, held, dead):
    """Step 1: the external assets of ``dead`` banks become cash and their
    futures are closed out. ``held`` = (cash, units, pending, prices, initial
    margin, default fund, receivable, position, CCP cash, outside position).
    Returns ``(held after, units sold to the outside [2], their value)``."""
    cash, units, pending, prices, initial_margin, default_fund = held[:6]
    receivable, position, ccp_cash, outside_position = held[6:]
    num_ccps = ccp_cash.shape[0]
    rows = dead.reshape(-1, 1)
    sold = np.where(rows, units, 0.0)
    value = sold[:, 0] * prices[0] + sold[:, 1] * prices[1]
    due = accounts.receivables_due(receivable)
    collateral = np.where(dead, initial_margin + default_fund + due, 0.0)
    closed = np.bincount(ccp_of, np.where(dead, position, 0.0), num_ccps)
    held = (
        cash + value + collateral,
        np.where(rows, 0.0, units),
        np.where(rows, 0.0, pending),
        np.where(dead, 0.0, initial_margin),
        np.where(dead, 0.0, default_fund),
        np.where(dead.reshape(1, -1), 0.0, receivable),
        np.where(dead, 0.0, position),
        ccp_cash - np.bincount(ccp_of, collateral, num_ccps),
        outside_position + closed,
    )
    return held, sold.sum(axis=0), value.sum()


@compiled
def wind_up(world, held, clearing, dead, shares):
    """Steps 1–4 of the module docstring on arrays. ``world`` = (debtors,
    creditors, ccp_of); ``held`` = (cash, units, pending, prices, initial margin,
    default fund, receivable, position, interbank, external liabilities, CCP
    cash, outside position); ``clearing`` = (nominal, payments) of the banks;
    ``shares`` = (α, β). Returns ``(pnl, (cash, units, pending, initial margin,
    default fund, receivable, position, interbank, external liabilities, CCP
    cash, outside position), outside units in, (value sold to the outside,
    cash paid to it))``."""
    debtors, creditors, ccp_of = world
    face, external = held[8], held[9]
    alpha, beta = shares
    nominal, payments = clearing
    n = dead.shape[0]
    assets = (*held[:8], held[10], held[11])
    liquidated, outside_units, sold_value = liquidate(ccp_of, assets, dead)
    cash = liquidated[0]
    cost = np.where(dead, (1.0 - alpha) * cash, 0.0)
    debtor_dead, creditor_dead = dead[debtors], dead[creditors]
    flow = np.where(
        debtor_dead, share(face, nominal[debtors]) * payments[debtors], face
    )
    sold = ~debtor_dead & creditor_dead  # estate's claims on survivors, sold at β
    received = np.where(creditor_dead, beta * flow, flow)
    settled = debtor_dead | creditor_dead
    outside = cost.sum()
    outside += np.where(creditor_dead & debtor_dead, flow - received, 0.0).sum()
    outside -= np.where(sold, received, 0.0).sum()
    external = external + np.bincount(debtors, np.where(sold, face, 0.0), n)
    # creditors: received − face on each settled claim; debtors in default: face − flow
    pnl = -cost + np.bincount(creditors, np.where(settled, received - face, 0.0), n)
    pnl = pnl + np.bincount(debtors, np.where(debtor_dead, face - flow, 0.0), n)
    to_depositors = np.where(dead, share(external, nominal) * payments, 0.0)
    pnl = pnl + np.where(dead, external - to_depositors, 0.0)
    cash = cash + np.bincount(creditors, np.where(settled, received, 0.0), n)
    cash = cash - np.bincount(debtors, np.where(debtor_dead, flow, 0.0), n)
    cash = cash - to_depositors - cost
    outside += to_depositors.sum()
    residual = np.where(dead, cash, 0.0)
    held = (
        np.where(dead, 0.0, cash),
        *liquidated[1:7],
        np.where(settled, 0.0, face),
        np.where(dead, 0.0, external),
        *liquidated[7:],
    )
    return pnl - residual, held, outside_units, (sold_value, outside + residual.sum())
