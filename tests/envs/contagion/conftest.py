"""Shared helpers for the contagion tests: small worlds and the invariants."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gridmarket.envs.contagion import accounts, core
from gridmarket.envs.contagion.clearing import clear_edges
from gridmarket.envs.contagion.infrastructure import TradeReport, netting_of, trade
from gridmarket.envs.contagion.interbank import repay_calls
from gridmarket.envs.contagion.params import ContagionParams, NetworkParams
from gridmarket.envs.contagion.state import Network, State

TOLERANCE = 1e-9


@pytest.fixture(autouse=True, scope="module")
def _compiled_contagion(contagion_kernels):
    """The step compiled before a test starts Ray workers (``test_rllib``)."""
    return contagion_kernels


def small_world(num_banks: int = 12, seed: int = 0, **overrides):
    params = ContagionParams(network=NetworkParams(num_banks=num_banks), **overrides)
    rng = np.random.default_rng(seed)
    net, state = core.reset(params, rng)
    return params, rng, net, state


def route_trades(net: Network, s: State, params: ContagionParams) -> TradeReport:
    """Stage 3 alone on ``s`` (in place): ``infrastructure.trade``, the function
    ``phases.trade_step`` runs, on the state's queued orders."""
    exchange = params.exchange
    report, traded, (s.receivable, s.escrow_units) = trade(
        (s.units, s.pending, s.prices, s.receivable, s.escrow_units),
        (s.cash, s.ccp_cash, s.exchange_cash, s.outside_units),
        (net.exchange_of, net.exchange_capacity, net.ccp_of),
        (net.depth, net.impact, params.market.max_step_drop),
        (exchange.fee_rate, exchange.congestion_surcharge, exchange.congestion_cap),
        exchange.settlement_delay == 0,
    )
    s.units, s.pending, s.prices, s.cash, s.ccp_cash = traded[:5]
    s.exchange_cash, s.outside_units = traded[5:7]
    s.outside_cash -= traded[7]
    s.congestion = report[-1]
    return TradeReport(*report)


def call_loans(n, debtors, creditors, interbank, hoard_ratio, cash) -> SimpleNamespace:
    """Stage 2's calls alone: each creditor calls ``hoard_ratio`` of its loans,
    settled by the clearing (``clear_edges``) and ``interbank.repay_calls``, the
    functions ``phases`` and ``phase_calls`` compose."""
    called = hoard_ratio[creditors] * interbank
    result = clear_edges(n, debtors, creditors, called, cash)
    interbank, cash, repaid, *flows = repay_calls(
        n, debtors, creditors, called, result.payments, result.nominal, interbank, cash
    )
    return SimpleNamespace(
        interbank=interbank,
        cash=cash,
        repaid=repaid,
        unpaid=result.defaulted,
        netting=netting_of(*flows),
    )


def check_invariants(
    net: Network,
    start: State,
    before: State,
    after: State,
    result: core.StepResult,
) -> None:
    """Conservation and sanity after one step ``before -> after``.

    ``start`` is the state at reset (for constant totals).
    """
    cash0 = accounts.total_cash(start)
    assert abs(accounts.total_cash(after) - cash0) <= TOLERANCE * cash0
    units0 = accounts.total_units(start)
    np.testing.assert_allclose(accounts.total_units(after), units0, rtol=TOLERANCE)
    # Σ equity (banks, exchanges, CCPs) + outside wealth moves only by revaluation.
    wealth_before = accounts.system_equity(net, before) + accounts.outside_wealth(
        before
    )
    wealth_after = accounts.system_equity(net, after) + accounts.outside_wealth(after)
    revaluation = float(units0 @ (after.prices - before.prices))
    scale = float(net.initial_assets.sum())
    assert abs(wealth_after - wealth_before - revaluation) <= TOLERANCE * scale
    # Balance-sheet identity per bank: assets − liabilities = equity carried by P&L.
    equity = accounts.bank_equity(net, after)
    np.testing.assert_allclose(
        equity, after.book_equity, rtol=0, atol=TOLERANCE * scale
    )
    # Σ VM = 0 (banks and outside members of every CCP).
    vm = np.concatenate([result.variation_margin, result.outside_variation_margin])
    assert abs(vm.sum()) <= 1e-12 * max(np.abs(vm).sum(), 1.0)
    # The waterfall covers exactly the loss, layer by layer.
    np.testing.assert_allclose(
        result.waterfall.layers().sum(axis=0), result.waterfall.loss, atol=1e-12 * scale
    )
    check_sanity(net, before, after, result)


def check_sanity(
    net: Network, before: State, after: State, result: core.StepResult
) -> None:
    """Absorbing defaults, empty dead banks, signs and finiteness."""
    scale = float(net.initial_assets.sum())
    assert not np.any(after.alive & ~before.alive)
    dead = ~after.alive
    for name in (
        "cash",
        "initial_margin",
        "default_fund",
        "position",
        "external_liabilities",
    ):
        assert np.all(getattr(after, name)[dead] == 0), name
    assert np.all(after.units[dead] == 0)
    dead_edges = dead[net.debtors] | dead[net.creditors]
    assert np.all(after.interbank[dead_edges] == 0)
    # Signs and finiteness.
    for name in (
        "units",
        "pending",
        "interbank",
        "external_liabilities",
        "initial_margin",
    ):
        assert np.all(getattr(after, name) >= -TOLERANCE * scale), name
    assert np.all(after.cash >= -TOLERANCE * scale)
    assert np.all(after.pending <= after.units + TOLERANCE * scale)
    assert np.all(np.isfinite(result.rewards))
    for name, value in after.__dict__.items():
        assert np.all(np.isfinite(value)), name


@pytest.fixture
def world():
    return small_world()
