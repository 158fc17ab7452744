"""Resolution of failing and insolvent banks."""

from dataclasses import replace

import numpy as np

from gridmarket.envs.contagion import accounts, core
from gridmarket.envs.contagion.scenarios import ScenarioParams

from .conftest import check_invariants, small_world

QUIET_RUN = ScenarioParams(
    "run",
    price_noise_liquid=0.0,
    price_noise_illiquid=0.0,
    deposit_noise=0.0,
    run_start=1,
    run_end=1,
    run_rate=0.05,
)


def test_a_solvent_bank_that_cannot_pay_depositors_is_resolved_paying_in_full():
    params, rng, net, state = small_world(8, seed=6)
    # no default costs, so the liquidation value equals the balance-sheet value
    params = replace(params, banking=replace(params.banking, alpha=1.0, beta=1.0))
    bank = 0
    # bank 0 buys the liquid security from the outside with all its cash: same
    # equity, no cash left
    bought = state.cash[bank] / state.prices[0]
    state.units[bank, 0] += bought
    state.outside_units = state.outside_units - np.array([bought, 0.0])
    state.outside_cash += state.cash[bank]
    state.cash[bank] = 0.0
    start = state.copy()
    equity_before = accounts.bank_equity(net, state)[bank]
    after, result = core.step(net, state, np.zeros((8, 4)), params, QUIET_RUN, rng)
    assert result.newly_defaulted[bank] and not after.alive[bank]
    # it was solvent in liquidation: every creditor (depositors too) is paid in full
    assert not result.clearing.defaulted[bank]
    assert result.clearing.payments[bank] == result.clearing.nominal[bank]
    assert after.external_liabilities[bank] == 0.0
    # its positive equity went to its shareholders (the outside): book equity 0,
    # and the wealth identity of check_invariants shows nothing was lost
    assert equity_before > 0
    assert abs(after.book_equity[bank]) < 1e-9 * net.initial_assets.sum()
    check_invariants(net, start, state, after, result)


def test_insolvent_bank_creditors_share_its_estate_pro_rata():
    params, rng, net, state = small_world(8, seed=7)
    bank = int(np.argmax(net.degree))
    state.units[bank, 1] *= 0.2  # a write-off moved to the outside, as a shock would
    lost = state.units[bank, 1] * 4.0
    state.outside_units = state.outside_units + np.array([0.0, lost])
    state.book_equity[bank] -= lost * state.prices[1]
    quiet = ScenarioParams(
        "quiet", price_noise_liquid=0, price_noise_illiquid=0, deposit_noise=0
    )
    claims_before = state.interbank.copy()
    after, result = core.step(net, state, np.zeros((8, 4)), params, quiet, rng)
    assert result.newly_defaulted[bank] and result.clearing.defaulted[bank]
    owed = net.debtors == bank
    recovery = result.clearing.payments[bank] / result.clearing.nominal[bank]
    assert 0 < recovery < 1
    np.testing.assert_allclose(after.interbank[owed], 0.0)
    # each creditor's loss is (1 − recovery) of its (interest-accrued) claim
    pnl = result.pnl
    creditors = net.creditors[owed & (claims_before > 0)]
    for creditor in creditors:
        if not result.newly_defaulted[creditor]:
            assert pnl[creditor] < 0


def two_bank_world():
    """Bank 0 owes bank 1 10 and its depositors 10, and holds 12 in cash; bank 1
    holds 5 in cash and owes nothing. One exchange, one CCP, no securities."""
    from gridmarket.envs.contagion.state import Network, State

    net = Network(
        num_banks=2,
        debtors=np.array([0, 1]),
        creditors=np.array([1, 0]),
        neighbour_ptr=np.array([0, 1, 2]),
        links=np.array([[0, 1]]),
        core=np.array([True, True]),
        exchange_of=np.zeros(2, dtype=np.int64),
        ccp_of=np.zeros(2, dtype=np.int64),
        exchange_ccp=np.zeros(1, dtype=np.int64),
        exchange_capacity=np.ones(1),
        depth=np.ones(2),
        impact=np.ones(2),
        fundamental_price=np.ones(2),
        initial_equity=np.array([2.0, 15.0]),
        initial_assets=np.array([22.0, 15.0]),
    )
    zeros = np.zeros(2)
    state = State(
        t=1, cash=np.array([12.0, 5.0]), units=np.zeros((2, 2)), pending=np.zeros((2, 2)),
        external_liabilities=np.array([10.0, 0.0]), interbank=np.array([10.0, 0.0]),
        initial_margin=zeros.copy(), default_fund=zeros.copy(), position=zeros.copy(),
        receivable=np.zeros((1, 2)), alive=np.ones(2, dtype=bool),
        default_step=np.full(2, -1), book_equity=np.array([-8.0, 15.0]),
        forced_liquid=zeros.copy(), forced_capital=zeros.copy(), prices=np.ones(2),
        marked_price=1.0, variance=1e-4, last_return=0.0, exchange_cash=np.zeros(1),
        congestion=np.zeros(1), ccp_cash=np.zeros(1), ccp_sitg=np.zeros(1),
        outside_position=np.zeros(1), escrow_units=np.zeros((1, 2)),
        outside_cash=0.0, outside_units=np.zeros(2),
    )  # fmt: skip
    return net, state


def test_wind_up_flows_by_hand():
    from gridmarket.envs.contagion.params import BankingParams
    from gridmarket.envs.contagion.resolution import resolve_defaults

    # Eisenberg–Noe: bank 0 pays its 12 pro rata: 6 to bank 1, 6 to depositors.
    net, state = two_bank_world()
    clearing, pnl, dead = resolve_defaults(
        net, state, BankingParams(alpha=1.0, beta=1.0), np.zeros(2, dtype=bool)
    )
    assert dead.tolist() == [True, False]
    np.testing.assert_allclose(state.cash, [0.0, 11.0])
    assert state.outside_cash == 6.0 and state.interbank.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(pnl, [8.0, -4.0])  # 0 owed 20, paid 12; 1 lost 4
    # Rogers–Veraart α = 0.5: half of the 12 is lost to liquidation costs.
    net, state = two_bank_world()
    _, pnl, _ = resolve_defaults(
        net, state, BankingParams(alpha=0.5, beta=1.0), np.zeros(2, dtype=bool)
    )
    np.testing.assert_allclose(state.cash, [0.0, 8.0])
    assert state.outside_cash == 6.0 + 3.0  # costs + depositors' share
    np.testing.assert_allclose(pnl, [8.0, -7.0])
