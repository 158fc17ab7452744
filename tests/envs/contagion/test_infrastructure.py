"""Exchanges, netting, the router's settlement and the interbank market."""

from dataclasses import replace

import numpy as np

from gridmarket.envs.contagion import accounts, core
from gridmarket.envs.contagion.infrastructure import (
    exchange_fees,
    execute_orders,
    multilateral_netting,
)
from gridmarket.envs.contagion.interbank import match_loans
from gridmarket.envs.contagion.metrics import netting_efficiency

from .conftest import call_loans, route_trades, small_world


def test_throughput_limit_fills_pro_rata_and_reports_congestion():
    pending = np.array([[10.0, 0.0], [20.0, 0.0], [5.0, 5.0]])
    executed, congestion = execute_orders(
        pending, np.array([1.0, 2.0]), np.array([0, 0, 1]), np.array([10.0, 100.0])
    )
    np.testing.assert_allclose(congestion, [3.0, 0.15])
    np.testing.assert_allclose(executed, [[10 / 3, 0], [20 / 3, 0], [5, 5]])


def test_fees_rise_with_congestion_up_to_the_cap():
    fees = exchange_fees(
        np.array([100.0, 100.0, 100.0]), np.array([0.0, 2.0, 50.0]), 0.01, 0.5, 10.0
    )
    np.testing.assert_allclose(fees, [1.0, 2.0, 6.0])


def test_multilateral_netting_from_flows():
    # A->B 10, B->A 6: gross 16, net 4 → efficiency 0.75; a balanced cycle nets to 0.
    result = multilateral_netting(
        2, np.array([0, 1]), np.array([1, 0]), np.array([10.0, 6.0])
    )
    assert (result.gross, result.net, result.efficiency) == (16.0, 4.0, 0.75)
    cycle = multilateral_netting(
        3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.full(3, 5.0)
    )
    assert cycle.efficiency == 1.0
    assert netting_efficiency(np.array([[0, 10.0], [6.0, 0]])) == 0.75


def test_called_loans_settle_by_netting_even_without_cash():
    # Each of A and B calls a loan of 5 from the other; neither has cash; netting
    # settles both in full and no cash moves.
    result = call_loans(
        2,
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([5.0, 5.0]),
        np.ones(2),
        np.zeros(2),
    )
    np.testing.assert_allclose(result.interbank, [0, 0])
    np.testing.assert_allclose(result.cash, [0, 0])
    assert result.netting.efficiency == 1.0 and not result.unpaid.any()


def test_called_loan_beyond_cash_is_partly_repaid_and_rolled_over():
    result = call_loans(
        2,
        np.array([0]),
        np.array([1]),
        np.array([10.0]),
        np.array([0.0, 0.5]),
        np.array([3.0, 0.0]),
    )
    np.testing.assert_allclose(result.repaid, [3.0])  # 5 called, 3 of cash
    np.testing.assert_allclose(result.interbank, [7.0])
    np.testing.assert_allclose(result.cash, [0.0, 3.0])
    assert result.unpaid.tolist() == [True, False]


def test_loans_match_only_along_links_within_supply_and_demand():
    debtors = np.array([0, 1, 1, 2])
    creditors = np.array([1, 0, 2, 1])  # links 0-1 and 1-2, both directions
    supply = np.array([4.0, 10.0, 6.0])
    demand = np.array([3.0, 2.0, 8.0])
    loans = match_loans(3, debtors, creditors, supply, demand)
    given = np.bincount(creditors, weights=loans, minlength=3)
    taken = np.bincount(debtors, weights=loans, minlength=3)
    assert np.all(given <= supply + 1e-12) and np.all(taken <= demand + 1e-12)
    # bank 1 offers 10 split 3:8 between 0 and 2; 0 takes 30/11 (< 3), 2 takes
    # 80/11 (< 8); 1 borrows 2 from 0 and 2 in proportion 4:6 of their offers.
    np.testing.assert_allclose(loans, [30 / 11, 0.8, 1.2, 80 / 11])


def test_settlement_delay_pays_proceeds_after_the_delay():
    for delay in (0, 1, 3):
        params, rng, net, state = small_world(6, seed=5)
        params = replace(
            params, exchange=replace(params.exchange, settlement_delay=delay)
        )
        net, state = core.reset(params, rng)
        state.pending = state.units * np.array([1.0, 0.0])  # sell all liquid units
        cash_before = state.cash.copy()
        report = route_trades(net, state, params)
        proceeds = report.executed @ report.execution_price - report.fees
        assert proceeds.sum() > 0 and state.exchange_cash.sum() > 0  # fees moved
        settled_at = 0 if delay == 0 else None
        for k in range(1, delay + 1):
            np.testing.assert_array_equal(state.cash, cash_before)  # not yet paid
            assert state.receivable.sum() > 0 and state.escrow_units.sum() > 0
            state.pending[:] = 0
            later = route_trades(net, state, params)
            if later.settled.sum() > 0:
                np.testing.assert_allclose(later.settled, proceeds, rtol=1e-12)
                settled_at = k
        assert settled_at == delay
        np.testing.assert_allclose(state.cash - cash_before, proceeds, rtol=1e-12)
        assert state.receivable.sum() == 0 and state.escrow_units.sum() == 0
        assert accounts.ccp_equity(net, state).min() >= -1e-12
