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
