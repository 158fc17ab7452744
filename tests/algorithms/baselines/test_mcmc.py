import numpy as np
import pytest

from gridmarket.algorithms.baselines import PathMCMC
from gridmarket.algorithms.baselines.mcmc import (
    metropolis_accept,
    reflect_into_unit_interval,
)

CONFIG = {
    "env": "GridMarket-v0",
    "env_config": {"scenario": "synthetic-modes", "reward_temperature": 3.0},
    "num_chains": 128,
    "seed": 0,
}


def test_reflection_by_hand():
    values = np.array([0.3, 1.2, -0.25, 2.4, -1.5])
    np.testing.assert_allclose(
        reflect_into_unit_interval(values), [0.3, 0.8, 0.25, 0.4, 0.5]
    )


def test_metropolis_acceptance_probability():
    rng = np.random.default_rng(0)
    assert metropolis_accept(np.zeros(1000), rng).all()
    assert not metropolis_accept(np.full(1000, -np.inf), rng).any()
    share = metropolis_accept(np.full(100_000, np.log(0.25)), rng).mean()
    assert share == pytest.approx(0.25, abs=0.01)


def test_chains_move_toward_the_modes():
    # Uniform random paths end within 30 of a mode ~25% of the time; chains
    # targeting R should do better after some proposals.
    mcmc = PathMCMC(config=CONFIG)
    try:
        oracle = mcmc.scorer.env.unwrapped.oracle
        near_start = (oracle.nearest_mode(mcmc.current.states[:, -1])[1] < 30).mean()
        for _ in range(60):
            result = mcmc.train()
        paths = mcmc.sample_paths(512)
    finally:
        mcmc.stop()
    near_end = (oracle.nearest_mode(paths.states[:, -1])[1] < 30).mean()
    assert result["oracle_calls"] == 128 * 61
    assert 0.0 < result["acceptance_rate"] < 1.0
    assert near_end > near_start + 0.15, (near_start, near_end)


def test_checkpoint_round_trip(tmp_path):
    mcmc = PathMCMC(config=CONFIG)
    mcmc.train()
    mcmc.save_checkpoint(str(tmp_path))
    expected = mcmc.step()
    restored = PathMCMC(config=CONFIG | {"seed": 5})
    restored.load_checkpoint(str(tmp_path))
    assert restored.step() == expected
    np.testing.assert_array_equal(restored.unit, mcmc.unit)


def test_invalid_step_size():
    with pytest.raises(ValueError, match="`step_size` must be > 0, got 0.0"):
        PathMCMC(config=CONFIG | {"step_size": 0.0})
