"""The step's shortcuts give the numbers of the plain computation, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.contagion import accounts, core, observation, resolution
from gridmarket.envs.contagion.scenarios import get_scenario
from gridmarket.envs.contagion.state import state_equal

from .conftest import small_world


@pytest.mark.parametrize("scenario", ["normal", "systemic"])
def test_step_shortcuts_match_the_plain_sums(scenario):
    params, rng, net, state = small_world(num_banks=30, seed=3)
    actions_rng = np.random.default_rng(7)
    for _ in range(25):
        before = state.copy()
        actions = actions_rng.random((net.num_banks, 4))
        after, result = core.step(
            net, state, actions, params, get_scenario(scenario), rng
        )
        assert state_equal(state, before)  # the state passed in is untouched
        state = after
        np.testing.assert_array_equal(
            observation.observe(net, state, params, result.ledger),
            observation.observe(net, state, params),
        )
        np.testing.assert_array_equal(result.after[2], accounts.bank_equity(net, state))
        if not state.alive.any():
            break


def test_rewards_are_the_python_sum_of_their_parts_bit_for_bit():
    params, rng, net, state = small_world(num_banks=30, seed=5)
    actions_rng = np.random.default_rng(11)
    for _ in range(30):
        actions = actions_rng.random((net.num_banks, 4))
        state, result = core.step(
            net, state, actions, params, get_scenario("systemic"), rng
        )
        total = sum(result.reward_parts.values())
        assert np.array_equal(result.rewards.view(np.int64), total.view(np.int64))
        if not state.alive.any():
            break


def test_resolution_with_precomputed_sums_equals_the_full_clearing():
    """``resolve_defaults`` given the balance sheet's sums skips the clearing's own
    sums when every bank is solvent; the result is the full clearing's, bit for bit,
    and a bank short of its liabilities still goes through the full clearing."""
    params, _, net, state = small_world(num_banks=30, seed=2)
    external = accounts.external_assets(state)
    sums = (
        accounts.interbank_claims(net, state),
        accounts.total_liabilities(net, state),
    )
    failing = np.zeros(net.num_banks, dtype=bool)
    results = [
        resolution.resolve_defaults(
            net, state.copy(), params.banking, failing, external, sums=given
        )
        for given in (sums, None)
    ]
    (shortcut, pnl, new), (full, _, _) = results
    assert not new.any() and not pnl.any()
    assert full.rounds == 0  # a fresh world is solvent: both take no default round
    for name in ("payments", "defaulted", "nominal", "default_round", "rounds"):
        np.testing.assert_array_equal(getattr(shortcut, name), getattr(full, name))
    # a bank that cannot cover its liabilities defaults through the full clearing
    poorer = state.copy()
    poorer.external_liabilities = poorer.external_liabilities.copy()
    poorer.external_liabilities[3] += 10 * sums[1][3]  # deposits it cannot cover
    _, _, new = resolution.resolve_defaults(
        net,
        poorer,
        params.banking,
        failing,
        accounts.external_assets(poorer),
        sums=(
            accounts.interbank_claims(net, poorer),
            accounts.total_liabilities(net, poorer),
        ),
    )
    assert new[3]
