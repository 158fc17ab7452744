"""``core.step``'s calls of the compiled ``phases``: the ``State`` mapped to and from
their arrays, and the rare events between them handled in Python (a bank short
of its called loans, a bank failing or insolvent).

Each function updates ``core.step``'s private working copy of the state.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion import accounts, phases
from gridmarket.envs.contagion.clearing import clear_edges
from gridmarket.envs.contagion.infrastructure import Netting, TradeReport, netting_of
from gridmarket.envs.contagion.margining import margin_rate
from gridmarket.envs.contagion.observation import Ledger
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.resolution import full_payment, resolve_defaults
from gridmarket.envs.contagion.scenarios import Shock
from gridmarket.envs.contagion.state import Network, State


def open_step(
    net: Network,
    s: State,
    params: ContagionParams,
    constants: tuple,
    actions: np.ndarray,
    shock: Shock,
) -> tuple[np.ndarray, tuple]:
    """Phase 1 (``phases.open_step``); when a bank cannot repay the loans called
    from it, the calls' full clearing and ``trade_step`` again. Returns
    ``(failing, trade_step's result)``."""
    market = (s.prices, net.fundamental_price, params.market.mean_reversion)
    drawn = (shock.price_factor, shock.withdrawal, shock.writeoff)
    failing, short, traded = phases.open_step(
        _world(net),
        market,
        drawn,
        (*_trade_accounts(s), s.alive, s.forced_liquid, s.forced_capital),
        actions,
        constants,
        s.marked_price,
        s.outside_cash,
    )
    if short:  # rare: the trades assumed full repayment of the calls
        _, pnl, masked, moved, outside_in, (called, nominal, _) = (
            phases.shock_and_calls(
                (net.debtors, net.creditors),
                market,
                drawn,
                (
                    s.cash,
                    s.external_liabilities,
                    s.units,
                    s.pending,
                    s.alive,
                    s.outside_units,
                    s.interbank,
                ),
                actions,
            )
        )
        s.prices, s.cash, s.external_liabilities, s.units, s.pending = moved[:5]
        s.outside_units = moved[5]
        s.outside_cash += outside_in
        n = net.num_banks
        payments = clear_edges(n, net.debtors, net.creditors, called, s.cash).payments
        active = (s.alive & ~failing)[:, None]
        traded = phases.trade_step(
            _world(net),
            _trade_accounts(s),
            (masked, actions, s.forced_liquid, s.forced_capital, active),
            (called, nominal, payments),
            constants,
            s.marked_price,
            s.outside_cash,
            pnl,
        )
    return failing, traded


def _world(net: Network) -> tuple[np.ndarray, ...]:
    """The network arrays ``phases.trade_step`` reads."""
    return (
        net.debtors,
        net.creditors,
        net.ccp_of,
        net.exchange_of,
        net.exchange_capacity,
        net.depth,
        net.impact,
    )


def _trade_accounts(s: State) -> tuple[np.ndarray, ...]:
    """The state arrays ``phases.trade_step`` reads, in its order."""
    return (
        s.interbank,
        s.cash,
        s.external_liabilities,
        s.units,
        s.pending,
        s.prices,
        s.initial_margin,
        s.default_fund,
        s.receivable,
        s.escrow_units,
        s.ccp_cash,
        s.exchange_cash,
        s.outside_units,
        s.position,
        s.outside_position,
    )


def apply_trade(
    s: State, traded: tuple
) -> tuple[Netting, TradeReport, tuple[np.ndarray, ...], np.ndarray]:
    """``phases.trade_step``'s result into ``s``. Returns ``(netting of the
    repayments, trades, (vm, outside vm, shortfall, failed to pay), pnl)``."""
    held, s.outside_cash, pnl, flows, report, margin = traded
    s.interbank, s.cash, s.external_liabilities, s.units, s.pending = held[:5]
    s.prices, s.ccp_cash, s.exchange_cash, s.outside_units = held[5:9]
    s.receivable, s.escrow_units = held[9:]
    s.congestion = report[-1]
    return netting_of(*flows), TradeReport(*report), margin, pnl


def settle_step(
    net: Network,
    s: State,
    params: ContagionParams,
    constants: tuple,
    survivors: np.ndarray,
    equity_change: tuple[np.ndarray, np.ndarray],
    rewarded: tuple[np.ndarray, tuple[np.ndarray, float]],
) -> tuple:
    """Phase 2 (``phases.settle_step``); ``rewarded`` = (banks alive at the
    step's start, (their book equity, the stress index) then). Returns
    ``(unmet margin top-ups, balance sheet, solvent, close_step's result if no
    bank defaults, close_step's other inputs)``."""
    acting, start = rewarded
    initial = (net.initial_equity, net.total_equity)
    topped, s.book_equity, sheet, solvent, closed = phases.settle_step(
        (net.debtors, net.creditors, net.ccp_of),
        (
            s.position,
            s.prices,
            s.initial_margin,
            s.default_fund,
            s.cash,
            s.ccp_cash,
            s.interbank,
            s.units,
            s.receivable,
            s.external_liabilities,
            s.book_equity,
        ),
        survivors,
        margin_rate(s, params),
        constants,
        equity_change,
        (s.alive, acting, start, initial),
    )
    s.initial_margin, s.default_fund, s.cash, s.ccp_cash, top_up_short = topped
    return top_up_short, sheet, solvent, closed, (acting, start, initial)


def resolve(
    net: Network,
    s: State,
    params: ContagionParams,
    constants: tuple,
    failing: np.ndarray,
    settled: tuple,
) -> tuple:
    """Stage 6 and, after a default, phase 2's ``close_step`` again. Returns
    ``(clearing, pnl, newly defaulted, balance sheet after it, (ledger, reward
    terms, rewards))``."""
    top_up_short, sheet, solvent, closed, (acting, start, initial) = settled
    n = net.num_banks
    if solvent and not np.count_nonzero(failing & s.alive):  # the common case
        new = np.zeros(n, dtype=bool)
        clearing, pnl = full_payment(sheet[3]), np.zeros(n)
    else:
        external, claims, _, liabilities, *_ = sheet
        clearing, pnl, new = resolve_defaults(
            net, s, params.banking, failing, external, sums=(claims, liabilities)
        )
        if np.count_nonzero(new):  # else nothing moved: the sheet still holds
            s.book_equity = s.book_equity + pnl
            sheet = accounts.balance_sheet(
                net.debtors,
                net.creditors,
                s.interbank,
                s.cash,
                s.units,
                s.prices,
                s.initial_margin,
                s.default_fund,
                s.receivable,
                s.external_liabilities,
            )
        closed = phases.close_step(
            (
                s.units,
                s.prices,
                s.initial_margin,
                s.default_fund,
                s.cash,
                s.external_liabilities,
                s.alive,
            ),
            (acting, s.book_equity),
            sheet,
            top_up_short,
            (start, initial, new),
            constants,
        )
    (value, collateral, rwa), (s.forced_capital, s.forced_liquid), *rewards = closed
    _, claims, owed, _, incoming, _ = sheet
    sums = Ledger(claims, owed, value, incoming, collateral, rwa)
    return clearing, pnl, new, sheet, (sums, *rewards)
