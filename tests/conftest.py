"""Shared fixtures: one local Ray session per test module that needs one, and a
tiny GPT-2 (2 layers, 2 heads, width 64) with a 512-token BPE tokenizer trained on
the GRPO stand-in env's prompts, saved once per test session (offline)."""

from __future__ import annotations

import os

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")

import pytest  # noqa: E402

OBJECT_STORE_BYTES = 200 * 1024**2


@pytest.fixture(scope="module")
def ray_session():
    """A local Ray instance with 4 logical CPUs, shared by one test module."""
    import ray

    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        address="local",  # a new instance, even where another cluster runs
        num_cpus=4,
        object_store_memory=OBJECT_STORE_BYTES,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def two_node_cluster():
    """A real Ray cluster on this machine: a 1-CPU head carrying the custom
    resource ``head`` and a 2-CPU worker node carrying ``worker``. Yields
    ``(head, worker)`` nodes."""
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "resources": {"head": 1},
            "object_store_memory": OBJECT_STORE_BYTES,
            "include_dashboard": False,
        },
    )
    worker = cluster.add_node(
        num_cpus=2, resources={"worker": 1}, object_store_memory=OBJECT_STORE_BYTES
    )
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        yield cluster.head_node, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    from tests.algorithms.grpo.stand_in_env import StandInForecastEnv

    env = StandInForecastEnv(num_windows=64)
    texts = [env.prompt(i) + " 101.2 99.8 100.5" for i in range(64)]
    from gridmarket.algorithms.grpo.tiny_lm import build_tiny_gpt2

    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny_gpt2"), texts)


@pytest.fixture(scope="session")
def contagion_kernels():
    """contagion_v0's compiled step, compiled (or loaded from numba's disk
    cache) once in this process before a test starts Ray workers, so that the
    workers load the cache instead of each compiling the same functions."""
    from gridmarket.envs.contagion.core import compile_kernels

    compile_kernels()
