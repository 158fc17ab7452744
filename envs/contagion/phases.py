"""The stages of ``core.step`` between its rare events, each run as one compiled call.

Three rare events split a step, each handled in Python by ``core.step`` (they
need scipy's solvers and the report dataclasses):

* a bank cannot repay the loans called from it (the calls' full clearing);
* a bank cannot pay its variation margin (the CCP default waterfall);
* a bank fails or is insolvent (clearing with defaults, resolution).

The runs of stages between them are the four phases below, each composed of the
compiled stage functions of ``stages``, ``interbank``, ``infrastructure``,
``margining``, ``accounts``, ``market``, ``observation`` and ``rewards``. At 100
banks a numpy call costs more than the arithmetic it does, and so does a
compiled call's passing of arrays: four calls a step instead of hundreds.

Each phase takes and returns plain arrays and floats, grouped in tuples in the
order the docstrings give; ``core.step`` maps them to and from the ``State``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gridmarket.envs.contagion import accounts, margining
from gridmarket.envs.contagion.arrays import compiled
from gridmarket.envs.contagion.clearing import first_round, short_of
from gridmarket.envs.contagion.infrastructure import trade
from gridmarket.envs.contagion.interbank import repay_calls
from gridmarket.envs.contagion.market import deleveraging_orders, queue_orders
from gridmarket.envs.contagion.observation import risk_weighted, risk_weights
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.rewards import reward_terms
from gridmarket.envs.contagion.stages import (
    BORROW,
    HOARD,
    LEND,
    SELL,
    income_arrays,
    lend,
    shock_arrays,
)


class StepConstants(NamedTuple):
    """The parameters the phases read, as one tuple (``step_constants``)."""

    mean_reversion: float
    reserve_ratio: float
    max_borrow_share: float
    max_step_drop: float
    fee_rate: float
    congestion_surcharge: float
    congestion_cap: float
    immediate_settlement: bool
    interbank_rate: float
    deposit_rate: float
    yield_liquid: float
    yield_illiquid: float
    stress_move: float
    # stage 7: illiquid risk weight, minimum and target capital ratio, reserve ratio
    deleveraging: tuple[float, float, float, float]
    # rewards: liquidity weight, default penalty, systemic weight, liquidity runoff
    reward_weights: tuple[float, float, float, float]
    # risk weights: liquid, illiquid, interbank, collateral
    risk_weights: tuple[float, float, float, float]


# id(params) -> (params, its constants): hashing a nested frozen dataclass for an
# lru_cache costs more per step than the lookup saves
_CONSTANTS: dict[int, tuple[ContagionParams, tuple]] = {}


def step_constants(params: ContagionParams) -> tuple:
    """``params``' numbers for the phases: ``StepConstants``' fields as a plain
    tuple (cached per parameter set). A compiled call reads a plain tuple
    several times faster than a NamedTuple; the phases rebuild the
    ``StepConstants`` inside."""
    entry = _CONSTANTS.get(id(params))
    if entry is None or entry[0] is not params:
        if len(_CONSTANTS) >= 64:
            _CONSTANTS.clear()
        entry = _CONSTANTS[id(params)] = (params, tuple(_constants(params)))
    return entry[1]


def _constants(params: ContagionParams) -> StepConstants:
    banking, market, exchange = params.banking, params.market, params.exchange
    reward = params.reward
    return StepConstants(
        mean_reversion=market.mean_reversion,
        reserve_ratio=banking.reserve_ratio,
        max_borrow_share=banking.max_borrow_share,
        max_step_drop=market.max_step_drop,
        fee_rate=exchange.fee_rate,
        congestion_surcharge=exchange.congestion_surcharge,
        congestion_cap=exchange.congestion_cap,
        immediate_settlement=exchange.settlement_delay == 0,
        interbank_rate=banking.interbank_rate,
        deposit_rate=banking.deposit_rate,
        yield_liquid=market.yield_liquid,
        yield_illiquid=market.yield_illiquid,
        stress_move=params.ccp.stress_move,
        deleveraging=(
            banking.risk_weight_illiquid,
            banking.min_capital_ratio,
            banking.target_capital_ratio,
            banking.reserve_ratio,
        ),
        reward_weights=(
            reward.liquidity_weight,
            reward.default_penalty,
            reward.systemic_weight,
            banking.liquidity_runoff,
        ),
        risk_weights=tuple(float(w) for w in risk_weights(params)),
    )


@compiled
def open_step(
    world, market, shock, held, actions, constants, marked_price, outside_cash
):
    """Stage 1 (the shock), the first clearing round of stage 2's calls, then
    ``trade_step`` on the assumption that every bank repays its calls in full.

    That is the common case; when the first round finds a bank short of its
    calls, ``core.step`` runs ``shock_and_calls`` again (a pure function of the
    same inputs), the full clearing and ``trade_step``, and drops ``traded``.
    ``world`` as ``trade_step``'s; ``held`` = ``trade_step``'s, then (alive,
    forced liquidity and capital sales); ``market``, ``shock`` and ``actions``
    as ``shock_and_calls``'.

    Returns ``(failing, whether a bank is short of its calls, traded)``.
    """
    interbank, cash, external, units, pending = held[:5]
    alive, forced_liquid, forced_capital = held[15:]
    failing, pnl, masked, moved, outside_in, calls = shock_and_calls(
        (world[0], world[1]),
        market,
        shock,
        (cash, external, units, pending, alive, held[12], interbank),
        actions,
    )
    prices, cash, external, units, pending, outside_units = moved
    after_shock = (interbank, cash, external, units, pending, prices, *held[6:12])
    active = (alive & ~failing).reshape(-1, 1)
    called, nominal, short = calls
    traded = trade_step(
        world,
        (*after_shock, outside_units, held[13], held[14]),
        (masked, actions, forced_liquid, forced_capital, active),
        (called, nominal, nominal),
        constants,
        marked_price,
        outside_cash + outside_in,
        pnl,
    )
    return failing, short.any(), traded


@compiled
def shock_and_calls(edges, market, shock, held, actions):
    """Stage 1 (the shock) and the first clearing round of stage 2's calls.

    ``edges`` = (debtors, creditors); ``market`` = (prices, fundamental prices,
    mean reversion); ``shock`` = ``Shock``'s fields; ``held`` = (cash, external
    liabilities, units, pending, alive, outside units, interbank loans).
    Returns ``(failing, pnl, actions of the banks still active, (prices, cash,
    external liabilities, units, pending, outside units), outside cash in,
    (called loans, nominal calls per bank, banks short of them))``.
    """
    debtors, creditors = edges
    cash, external, units, pending, alive, outside_units, interbank = held
    failing, pnl, moved, (outside_units, outside_in) = shock_arrays(
        market, shock, (cash, external, units, pending, alive), outside_units
    )
    masked = actions * (alive & ~failing).reshape(-1, 1)
    called = masked[:, HOARD][creditors] * interbank
    n = cash.shape[0]
    nominal, short = first_round(
        n, debtors, creditors, called, moved[1], 1.0, 1.0, None
    )
    return (
        failing,
        pnl,
        masked,
        (*moved, outside_units),
        outside_in,
        (called, nominal, short),
    )


@compiled
def trade_step(world, held, orders, calls, constants, marked_price, outside_cash, pnl):
    """Stage 2's repayments and new loans, 3 (trades), 4 (income) and 5's
    variation margin.

    ``world`` = (debtors, creditors, ccp_of, exchange_of, exchange capacity,
    depth, impact); ``held`` = (interbank, cash, external liabilities, units,
    pending, prices, initial margin, default fund, receivable, escrow units, CCP
    cash, exchange cash, outside units, position, outside position); ``orders`` = (actions of the active banks,
    the action matrix, forced liquidity and capital sales, active ``[n, 1]``);
    ``calls`` = (called loans, their nominal per bank, the clearing's payments);
    ``constants`` = ``step_constants``; the futures' last mark; ``outside_cash`` and
    ``pnl`` so far.

    Returns ``(held after (interbank, cash, external liabilities, units, pending,
    prices, CCP cash, exchange cash, outside units, receivable, escrow units),
    outside cash, pnl,
    net_flows of the repayments, TradeReport fields, (vm, outside vm, shortfall,
    failed to pay))``.
    """
    spec = StepConstants(*constants)
    debtors, creditors, ccp_of, exchange_of, capacity, depth, impact = world
    interbank, cash, external, units, pending, prices = held[:6]
    initial_margin, default_fund, receivable, escrow = held[6:10]
    ccp_cash, exchange_cash, outside_units, position, outside_position = held[10:]
    masked, actions, forced_liquid, forced_capital, active = orders
    called, nominal, payments = calls
    n = cash.shape[0]
    interbank, cash, _, net_outflow, gross, net = repay_calls(
        n, debtors, creditors, called, payments, nominal, interbank, cash
    )
    interbank, cash = lend(
        debtors,
        creditors,
        interbank,
        cash,
        (units, prices, initial_margin, default_fund, receivable),
        spec.reserve_ratio * external,
        masked[:, LEND],
        masked[:, BORROW] * spec.max_borrow_share,
    )
    pending = queue_orders(
        (units, pending, prices),
        actions[:, SELL],
        (forced_liquid, forced_capital),
        active,
    )
    report, traded, settlement = trade(
        (units, pending, prices, receivable, escrow),
        (cash, ccp_cash, exchange_cash, outside_units),
        (exchange_of, capacity, ccp_of),
        (depth, impact, spec.max_step_drop),
        (spec.fee_rate, spec.congestion_surcharge, spec.congestion_cap),
        spec.immediate_settlement,
    )
    units, pending, prices, cash, ccp_cash, exchange_cash, outside_units, value = traded
    outside_cash -= value
    income, interbank, cash, external, paid_out = income_arrays(
        (debtors, creditors),
        (interbank, units, prices, cash, external),
        (spec.interbank_rate, spec.deposit_rate),
        np.array([spec.yield_liquid, spec.yield_illiquid]),
    )
    outside_cash += paid_out
    pnl = pnl + report[5] + income
    vm, vm_outside, shortfall, failed, cash, ccp_cash, outside_vm = (
        margining.pay_variation_margin(
            position, outside_position, prices[1] - marked_price, cash, ccp_cash, ccp_of
        )
    )
    held = (interbank, cash, external, units, pending, prices, ccp_cash)
    return (
        (*held, exchange_cash, outside_units, *settlement),
        outside_cash + outside_vm,
        pnl,
        (net_outflow, gross, net),
        report,
        (vm, vm_outside, shortfall, failed),
    )


@compiled
def settle_step(world, held, survivors, margin_rate, constants, equity_change, banks):
    """Stage 5's top-ups, the book equity and the balance sheet stage 6 reads,
    then ``close_step`` on the assumption that no bank defaults in stage 6.

    That is the common case (``solvent`` and no bank failing); otherwise
    ``core.step`` resolves the defaults and runs ``close_step`` again, dropping
    the ``closed`` part. ``world`` = (debtors, creditors, ccp_of); ``held`` =
    (position, prices, initial margin, default fund, cash, CCP cash, interbank,
    units, receivable, external liabilities, book equity); ``survivors``: banks
    still in the CCPs; ``margin_rate``: IM per unit of notional;
    ``equity_change`` = (pnl, margin pnl) of the step so far; ``banks`` = (alive,
    acting, start, initial) as ``close_step`` reads them.

    Returns ``((initial margin, default fund, cash, CCP cash, unmet top-ups),
    book equity, accounts.balance_sheet, solvent, closed)``, ``solvent`` when
    every bank's assets cover its liabilities.
    """
    spec = StepConstants(*constants)
    debtors, creditors, ccp_of = world
    position, prices, initial_margin, default_fund, cash, ccp_cash = held[:6]
    interbank, units, receivable, external, book_equity = held[6:]
    topped = margining.top_up(
        position,
        prices[1],
        margin_rate,
        spec.stress_move,
        ccp_of,
        survivors,
        initial_margin,
        default_fund,
        cash,
        ccp_cash,
    )
    initial_margin, default_fund, cash = topped[:3]
    pnl, margin_pnl = equity_change
    sheet = accounts.balance_sheet(
        debtors,
        creditors,
        interbank,
        cash,
        units,
        prices,
        initial_margin,
        default_fund,
        receivable,
        external,
    )
    external_assets, claims, _, liabilities = sheet[:4]
    solvent = not short_of(liabilities, external_assets + claims).any()
    book_equity = book_equity + pnl + margin_pnl
    alive, acting, start, initial = banks
    closed = close_step(
        (units, prices, initial_margin, default_fund, cash, external, alive),
        (acting, book_equity),
        sheet,
        topped[4],
        (start, initial, np.zeros(alive.shape[0], np.bool_)),
        constants,
    )
    return topped, book_equity, sheet, solvent, closed


@compiled
def close_step(held, books, sheet, top_up_short, rewarded, constants):
    """Stage 7 (deleveraging orders), the ledger observations read, stage 8
    (rewards).

    ``held`` = (units, prices, initial margin, default fund, cash, external
    liabilities, alive); ``books`` = (acting: alive at the step's start, book
    equity); ``sheet``: ``balance_sheet`` after stage 6; ``rewarded`` = (start:
    (book equity, stress index) at the step's start, initial: (initial equity,
    its sum), banks defaulted this step).

    Returns ``((securities' value, collateral, RWA), (forced capital sales,
    forced liquidity sales), reward terms [4, n], rewards)``.
    """
    spec = StepConstants(*constants)
    units, prices, initial_margin, default_fund, cash, external, alive = held
    acting, book_equity = books
    start, initial, new = rewarded
    _, claims, _, liabilities, incoming, equity = sheet
    value, collateral, rwa = risk_weighted(
        units, prices, initial_margin + default_fund, claims, spec.risk_weights
    )
    forced = deleveraging_orders(
        equity, rwa, cash, incoming, external, top_up_short, alive, spec.deleveraging
    )
    terms, rewards = reward_terms(
        (book_equity, cash, units, prices),
        acting,
        new,
        start,
        initial,
        (equity, liabilities),
        spec.reward_weights,
    )
    return (value, collateral, rwa), forced, terms, rewards
