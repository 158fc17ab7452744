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


def _log_probs_and_grads(module, batch, share_prompts):
    module.lm.zero_grad()
    module.share_prompt_forward = share_prompts
    logp = module.log_probs(batch)
    weights = torch.linspace(-1.0, 1.0, logp.numel()).reshape(logp.shape)
    (logp * weights).sum().backward()
    grads = {n: p.grad.clone() for n, p in module.trainable_named_parameters().items()}
    return logp.detach(), grads


@pytest.mark.parametrize("lora", [None, {"r": 4}])
@pytest.mark.parametrize("max_new_tokens", [1, 10])
def test_shared_prompt_forward_gives_the_concatenated_values_and_gradients(
    tiny_lm, lora, max_new_tokens
):
    module = make_module(tiny_lm, lora=lora)
    noise = torch.Generator().manual_seed(2)
    with torch.no_grad():  # LoRA's B starts at 0, which would zero A's gradients
        for param in module.trainable_named_parameters().values():
            param.add_(0.02 * torch.randn(param.shape, generator=noise))
    batch = module.generate(
        PROMPTS,
        group_size=3,
        max_new_tokens=max_new_tokens,
        max_prompt_length=64,
        generator=torch.Generator().manual_seed(1),
    )
    assert (batch[PROMPT_MASK] == 0).any()  # the prompts differ in length: padded
    batch[COMPLETION_MASK][::2, max_new_tokens // 2 :] = 0  # ragged completions
    shared, shared_grads = _log_probs_and_grads(module, batch, True)
    whole, whole_grads = _log_probs_and_grads(module, batch, False)
    torch.testing.assert_close(shared, whole, atol=1e-5, rtol=0)
    assert shared_grads.keys() == whole_grads.keys()
    for name, grad in whole_grads.items():
        assert grad.abs().max() > 0, name
        torch.testing.assert_close(shared_grads[name], grad, atol=1e-5, rtol=1e-4)


def test_shared_prompt_forward_runs_each_distinct_prompt_once(tiny_lm):
    module = make_module(tiny_lm)
    batch = module.generate(
        PROMPTS,
        group_size=4,
        max_new_tokens=6,
        max_prompt_length=64,
        generator=torch.Generator().manual_seed(0),
    )
    rows, steps = batch[COMPLETION_IDS].shape
    seen = []
    hook = module.lm.register_forward_pre_hook(
        lambda _, args, kwargs: seen.append(tuple(kwargs["input_ids"].shape)),
        with_kwargs=True,
    )
    try:
        module.log_probs(batch)
    finally:
        hook.remove()
    assert seen == [(len(PROMPTS), batch[PROMPT_IDS].shape[1]), (rows, steps - 1)]
