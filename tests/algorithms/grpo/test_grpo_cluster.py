"""GRPO on a real two-node Ray cluster: env runners on the worker node, 2 DDP learners."""

import cloudpickle
import numpy as np
import pytest

import tests.algorithms.grpo.stand_in_env as stand_in
from gridmarket.algorithms.grpo import GRPOConfig

pytestmark = pytest.mark.cluster


def test_grpo_samples_on_the_worker_node_and_trains_with_two_learners(
    two_node_cluster, tiny_lm
):
    import ray

    # Remote processes cannot import the tests package: ship the env by value.
    cloudpickle.register_pickle_by_value(stand_in)
    head_node, worker_node = two_node_cluster
    config = (
        GRPOConfig()
        .environment(stand_in.StandInForecastEnv, env_config={"num_windows": 8})
        .training(
            hf_model=tiny_lm,
            group_size=4,
            prompts_per_iteration=4,
            max_new_tokens=6,
            max_prompt_length=64,
            lr=1e-3,
            lora={"r": 4},
        )
        .env_runners(
            num_env_runners=2,
            num_cpus_per_env_runner=0.5,
            custom_resources_per_env_runner={"worker": 0.01},
        )
        .learners(num_learners=2, num_cpus_per_learner=0.5)
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        nodes = algo.env_runner_group.foreach_env_runner(
            lambda runner: ray.get_runtime_context().get_node_id(),
            local_env_runner=False,
        )
        result = algo.train()
        learner_states = [
            r.get()
            for r in algo.learner_group.foreach_learner(
                lambda learner: learner.module["default_policy"].unwrapped().get_state()
            )
        ]
        runner_states = algo.env_runner_group.foreach_env_runner(
            lambda runner: runner.module.get_state(), local_env_runner=False
        )
    finally:
        algo.stop()
        cloudpickle.unregister_pickle_by_value(stand_in)
    assert nodes == [worker_node.node_id] * 2
    assert worker_node.node_id != head_node.node_id
    assert result["num_completions_sampled_lifetime"] == 16
    assert np.isfinite(result["learners"]["default_policy"]["grpo_loss"])
    # DDP keeps the two learners identical; the runners got the adapters only.
    first = learner_states[0]
    assert all("lora_" in name for name in first)
    for state in learner_states[1:] + runner_states:
        for name, value in first.items():
            np.testing.assert_allclose(state[name], value, atol=1e-6, err_msg=name)
    assert any(np.abs(v).sum() > 0 for k, v in first.items() if "lora_B" in k)
