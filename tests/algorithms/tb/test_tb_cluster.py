"""TB on a real two-node Ray cluster, with its env runners on the second node."""

import pytest

from gridmarket.algorithms.tb import TBConfig

pytestmark = pytest.mark.cluster


def test_env_runners_sample_on_the_worker_node(two_node_cluster):
    import ray

    head_node, worker_node = two_node_cluster
    config = (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": 2, "height": 4})
        .training(batch_size=8, updates_per_iteration=2)
        .env_runners(
            num_env_runners=2,
            num_cpus_per_env_runner=0.5,
            custom_resources_per_env_runner={"worker": 0.01},
        )
        .rl_module(model_config={"fcnet_hiddens": [32, 32]})
    )
    algo = config.build_algo()
    try:
        nodes = algo.env_runner_group.foreach_env_runner(
            lambda runner: ray.get_runtime_context().get_node_id(),
            local_env_runner=False,
        )
        assert nodes == [worker_node.node_id] * 2
        assert worker_node.node_id != head_node.node_id
        results = [algo.train() for _ in range(2)]
    finally:
        algo.stop()
    assert results[-1]["num_trajectories_sampled_lifetime"] == 32
    assert results[-1]["env_runners"]["num_episodes_lifetime"] == 32
    assert results[-1]["tb_loss"] < float("inf")
