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
        num_cpus=4,
        object_store_memory=OBJECT_STORE_BYTES,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def two_node_cluster():
    """A real Ray cluster on this machine: a 1-CPU head and a 2-CPU worker node
    carrying the custom resource ``worker``. Yields ``(head, worker)`` nodes."""
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
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



def build_tiny_lm(path, texts, *, seed: int = 0) -> str:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from tokenizers import decoders
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    eos = "<|endoftext|>"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=[eos],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, pad_token=eos
    )
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=512, n_positions=512, n_embd=64, n_layer=2, n_head=2,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    from tests.algorithms.grpo.stand_in_env import StandInForecastEnv

    env = StandInForecastEnv(num_windows=64)
    texts = [env.prompt(i) + " 101.2 99.8 100.5" for i in range(64)]
    return build_tiny_lm(tmp_path_factory.mktemp("tiny_gpt2"), texts)
