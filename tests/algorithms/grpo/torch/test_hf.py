"""Loading a GGUF checkpoint: a plain float model that trains and saves (a tiny
random Llama written with the `gguf` package, the `smollm2` extra)."""

import copy

import numpy as np
import pytest
import torch

gguf = pytest.importorskip("gguf")

from gridmarket.algorithms.grpo.torch.hf import (  # noqa: E402
    ModelIdentity,
    apply_lora,
    load_causal_lm,
)

GGUF_FILE = "tiny.gguf"


def write_tiny_llama_gguf(path, vocab=32, dim=16, ffn=32, heads=2, seed=0):
    """One Llama block with random float32 weights, no tokenizer."""
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(64)
    writer.add_embedding_length(dim)
    writer.add_block_count(1)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(dim // heads)
    writer.add_vocab_size(vocab)
    shapes = {"token_embd.weight": (vocab, dim), "output.weight": (vocab, dim)}
    shapes |= {f"{n}.weight": (dim,) for n in ("output_norm", "blk.0.attn_norm")}
    shapes["blk.0.ffn_norm.weight"] = (dim,)
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        shapes[f"blk.0.{name}.weight"] = (dim, dim)
    shapes |= {f"blk.0.ffn_{n}.weight": (ffn, dim) for n in ("gate", "up")}
    shapes["blk.0.ffn_down.weight"] = (dim, ffn)
    for name, shape in shapes.items():
        writer.add_tensor(name, rng.normal(0.0, 0.2, shape).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="module")
def gguf_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("gguf")
    write_tiny_llama_gguf(path / GGUF_FILE)
    return path


def logits(model):
    with torch.no_grad():
        return model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits


@pytest.mark.parametrize("lora", [False, True])
def test_a_gguf_model_trains_saves_and_loads_back(gguf_dir, tmp_path, lora):
    model = load_causal_lm(ModelIdentity(str(gguf_dir), gguf_file=GGUF_FILE))
    assert getattr(model, "hf_quantizer", None) is None
    expected = logits(model)
    if lora:  # the pipeline's path: adapters, then merged for the next stage
        model = copy.deepcopy(apply_lora(model, {"r": 2})).merge_and_unload()
    model.save_pretrained(str(tmp_path))
    reloaded = load_causal_lm(ModelIdentity(str(tmp_path)))
    torch.testing.assert_close(logits(reloaded), expected)
