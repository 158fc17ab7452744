"""MAPPO on a real two-node Ray cluster, with its env runners on the second node."""

import numpy as np
import pytest

from gridmarket.algorithms.mappo import MAPPOConfig

pytestmark = pytest.mark.cluster


def test_env_runners_sample_on_the_worker_node(two_node_cluster):
    import ray

    head_node, worker_node = two_node_cluster
    config = (
        MAPPOConfig()
        .environment(
            "contagion_v0",
            env_config={"num_banks": 4, "scenario": "normal", "max_cycles": 10},
        )
        .training(train_batch_size_per_learner=40, minibatch_size=20, num_epochs=2)
        .env_runners(
            num_env_runners=2,
            num_envs_per_env_runner=2,
            num_cpus_per_env_runner=0.5,
            custom_resources_per_env_runner={"worker": 0.01},
        )
        .rl_module(
            model_config={
                "actor_hiddens": [16],
                "critic_hiddens": [16],
                "critic_embed_dim": 8,
            }
        )
        .debugging(seed=0)
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
    last = results[-1]
    assert last["num_env_steps_sampled_lifetime"] == 80
    # 2 runners x 2 worlds x 20 steps: each world finished two 10-step episodes.
    assert last["env_runners"]["num_episodes_lifetime"] == 8
    assert np.isfinite(last["learners"]["default_policy"]["vf_loss"])
