"""TB on a real two-node Ray cluster, with its env runners on the second node."""

import numpy as np
import pytest

from gridmarket.algorithms.tb import TBConfig

pytestmark = pytest.mark.cluster


def _config(node_resource: str) -> TBConfig:
    return (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": 2, "height": 4})
        .training(batch_size=8, updates_per_iteration=2)
        .env_runners(
            num_env_runners=2,
            num_cpus_per_env_runner=0.5,
            custom_resources_per_env_runner={node_resource: 0.01},
        )
        .rl_module(model_config={"fcnet_hiddens": [32, 32]})
        .debugging(seed=0)
    )


def _run(node_resource: str):
    """Runner nodes, the results of two iterations, and the final weights."""
    import ray

    algo = _config(node_resource).build_algo()
    try:
        nodes = algo.env_runner_group.foreach_env_runner(
            lambda runner: ray.get_runtime_context().get_node_id(),
            local_env_runner=False,
        )
        results = [algo.train() for _ in range(2)]
        state = algo.learner_group.get_state()["learner"]["rl_module"]
        weights = {k: np.array(v) for k, v in state["default_policy"].items()}
    finally:
        algo.stop()
    return nodes, results, weights


def test_env_runners_on_the_worker_node_train_as_on_the_head(two_node_cluster):
    head_node, worker_node = two_node_cluster
    remote_nodes, remote, remote_weights = _run("worker")
    head_nodes, local, local_weights = _run("head")
    assert remote_nodes == [worker_node.node_id] * 2
    assert head_nodes == [head_node.node_id] * 2
    assert remote[-1]["num_trajectories_sampled_lifetime"] == 32
    assert remote[-1]["env_runners"]["num_episodes_lifetime"] == 32
    # Sampling on another node changes nothing: the same seed gives the same run.
    for key in ("tb_loss", "log_z", "l1_distance"):
        assert [r[key] for r in remote] == [r[key] for r in local], key
    for name in local_weights:
        np.testing.assert_array_equal(remote_weights[name], local_weights[name])
