"""TB learns HyperGrid: the exact L1 between sampler and target falls below 0.05."""

import pytest

from gridmarket.algorithms.tb.presets import hypergrid_tb_config as build_config

pytestmark = pytest.mark.slow

L1_TARGET = 0.05  # sum_x |pi(x) - R(x)/Z| over all 64 cells, exact over the DAG
MAX_ITERATIONS = 120  # 120 * 256 = 30,720 trajectories


def test_tb_learns_hypergrid_2x8(ray_session):
    config = build_config(ndim=2, height=8, decay=20_000).debugging(seed=0)
    algo = config.build_algo()
    try:
        for _ in range(MAX_ITERATIONS):
            result = algo.train()
            if result["l1_distance_mean10"] < L1_TARGET:
                break
    finally:
        algo.stop()
    # The smoothed metric is the mean of the last 10 exact evaluations.
    assert result["training_iteration"] >= 10
    assert result["l1_distance_mean10"] < L1_TARGET, result["l1_distance_mean10"]
    assert result["log_z_error"] < 0.1
