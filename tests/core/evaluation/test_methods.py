"""Each stress-path method runs at a budget and yields evaluation paths (real Ray)."""

import numpy as np
import pytest

from gridmarket.envs.grid_market.scenarios import tuned_env_config
from gridmarket.evaluation.methods import METHODS, run_method

ENV = tuned_env_config("synthetic-modes")


@pytest.mark.parametrize("method", METHODS)
def test_method_spends_its_budget_and_returns_paths(ray_session, method):
    run = run_method(method, ENV, budget=300, samples=40, seed=0)
    assert run.oracle_calls >= 300
    assert run.paths.states.shape == (40, 13, 6)
    assert (
        np.isfinite(run.paths.log_reward).all()
        and np.isfinite(run.paths.predicted).all()
    )
    # every path starts at the scenario's start and stays in the training box
    np.testing.assert_allclose(run.paths.states[:, 0], 0.0, atol=1e-6)
    assert np.abs(run.paths.states).max() <= 100 + 1e-3


def test_bad_method_and_budget():
    with pytest.raises(ValueError, match="unknown method 'sac'"):
        run_method("sac", ENV, budget=10, samples=10, seed=0)
    with pytest.raises(
        ValueError, match="`budget` and `samples` must be >= 1, got 0, 10"
    ):
        run_method("tb", ENV, budget=0, samples=10, seed=0)
