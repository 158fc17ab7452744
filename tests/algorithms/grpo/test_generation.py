"""Sampling with a KV cache and the learner's log-probs agree (tiny GPT-2, fp32)."""

import pytest
import torch

from gridmarket.algorithms.grpo.batch import (
    COMPLETION_IDS,
    COMPLETION_MASK,
    PROMPT_IDS,
    PROMPT_MASK,
)
from gridmarket.algorithms.grpo.torch.generation import _top_p_filter
from gridmarket.algorithms.grpo.torch.grpo_rl_module import LOGP, GRPOTorchRLModule

PROMPTS = ["Closes: 1.0 2.0. Next 3 closes:", "Closes: 101.5 99.0 98.25 97.0. Next"]


def make_module(path, **config):
    return GRPOTorchRLModule(model_config={"model": path, **config})


@pytest.mark.parametrize("lora", [None, {"r": 4}])
def test_learner_log_probs_equal_generation_log_probs(tiny_lm, lora):
    module = make_module(tiny_lm, temperature=0.9, lora=lora)
    generator = torch.Generator().manual_seed(0)
    out = module.generate(
        PROMPTS,
        group_size=3,
        max_new_tokens=12,
        max_prompt_length=64,
        top_p=0.95,
        generator=generator,
    )
    assert out[COMPLETION_IDS].shape[0] == 6
    assert out[COMPLETION_MASK].sum() > 6
    learner_logp = module.log_probs(out)
    torch.testing.assert_close(learner_logp, out[LOGP], atol=1e-5, rtol=0)
    assert torch.all(out[LOGP][out[COMPLETION_MASK] == 0] == 0)


def test_generation_is_reproducible_from_the_generator(tiny_lm):
    module = make_module(tiny_lm)
    kwargs = {"group_size": 4, "max_new_tokens": 8, "max_prompt_length": 64}
    first = module.generate(
        PROMPTS, generator=torch.Generator().manual_seed(3), **kwargs
    )
    again = module.generate(
        PROMPTS, generator=torch.Generator().manual_seed(3), **kwargs
    )
    other = module.generate(
        PROMPTS, generator=torch.Generator().manual_seed(4), **kwargs
    )
    assert torch.equal(first[COMPLETION_IDS], again[COMPLETION_IDS])
    assert not torch.equal(first[COMPLETION_IDS], other[COMPLETION_IDS])


def test_top_p_keeps_the_smallest_nucleus():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = torch.isfinite(_top_p_filter(logits, 0.7))
    assert kept.tolist() == [[True, True, False, False]]
    assert torch.isfinite(_top_p_filter(logits, 1.0)).all()


def test_module_state_is_the_trainable_weights_only(tiny_lm):
    full = make_module(tiny_lm)
    lora = make_module(tiny_lm, lora={"r": 4})
    full_state, lora_state = full.get_state(), lora.get_state()
    assert len(full_state) == len(list(full.lm.parameters()))
    assert lora_state and all("lora_" in name for name in lora_state)
    lora_state = {k: v + 1.0 for k, v in lora_state.items()}
    lora.set_state(lora_state)
    name = next(iter(lora_state))
    torch.testing.assert_close(
        torch.as_tensor(lora.get_state()[name]), torch.as_tensor(lora_state[name])
    )
    with pytest.raises(KeyError, match="missing"):
        lora.set_state({})


def test_training_forward_saves_one_attention_mask_for_all_layers(tiny_lm):
    """A padded batch's [B, 1, S, S] float mask is saved for backward once, not once
    per layer (torch's CPU sdpa would save its own float copy of a boolean mask)."""
    module = make_module(tiny_lm)
    assert module.lm.config.n_layer >= 2
    out = module.generate(
        PROMPTS,
        group_size=2,
        max_new_tokens=6,
        max_prompt_length=64,
        generator=torch.Generator().manual_seed(0),
    )
    assert (out[PROMPT_MASK] == 0).any()  # the prompts differ in length: padded
    steps = out[PROMPT_IDS].shape[1] + out[COMPLETION_IDS].shape[1]
    masks = set()

    def pack(t):
        if t.dim() == 4 and tuple(t.shape[-2:]) == (steps, steps):
            masks.add(t.untyped_storage().data_ptr())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logp = module.log_probs(out)
    assert len(masks) == 1
    torch.testing.assert_close(logp, out[LOGP], atol=1e-5, rtol=0)
