"""The step's shortcuts give the numbers of the plain computation, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.contagion import accounts, core, observation
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
