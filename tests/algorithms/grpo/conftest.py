"""A tiny GPT-2 (2 layers, 2 heads, width 64) with a 512-token BPE tokenizer
trained on the stand-in env's prompts, saved once per test session (offline)."""

from __future__ import annotations

import pytest

from tests.algorithms.grpo.stand_in_env import StandInForecastEnv  # noqa: F401


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
    env = StandInForecastEnv(num_windows=64)
    texts = [env.prompt(i) + " 101.2 99.8 100.5" for i in range(64)]
    return build_tiny_lm(tmp_path_factory.mktemp("tiny_gpt2"), texts)
