"""Batched sampling with a KV cache, and the matching log-probabilities.

Both functions score a completion token with ``log_softmax(logits / temperature)``
(the untruncated, temperature-scaled policy, as TRL does); top-p only restricts
which tokens are drawn. The learner's ``completion_log_probs`` therefore equals
what ``sample_completions`` returned for the same weights.

Shapes: ``B`` sequences, ``L`` prompt tokens (left-padded), ``T`` completion tokens.
"""

from __future__ import annotations

from typing import Any

import torch


def position_ids_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding: ``cumsum(mask) - 1`` clamped at 0, ``[B, S]``."""
    return (mask.long().cumsum(dim=-1) - 1).clamp(min=0)


def _top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Logits ``[B, V]`` with tokens outside the top-p nucleus set to -inf."""
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)  # [B, V]
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    drop_sorted = cumulative - torch.softmax(sorted_logits, dim=-1) > top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


@torch.no_grad()
def sample_completions(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,  # [B, L] left-padded
    prompt_mask: torch.Tensor,  # [B, L]
    *,
    max_new_tokens: int,
    eos_token_id: int,
    pad_token_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    greedy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample one completion per row; returns ``(ids [B, T], mask [B, T], logp [B, T])``.

    A row stops after its EOS token (which is kept, with mask 1); later positions
    hold ``pad_token_id`` with mask 0 and logp 0. ``T <= max_new_tokens`` (the loop
    ends early once every row is done).
    """
    batch = prompt_ids.shape[0]
    attention = prompt_mask.long()
    out = model(
        input_ids=prompt_ids,
        attention_mask=attention,
        position_ids=position_ids_from_mask(attention),
        use_cache=True,
        logits_to_keep=1,  # the LM head runs on the last prompt position only
    )
    cache, logits = out.past_key_values, out.logits[:, -1, :]  # [B, V]
    next_position = attention.sum(dim=-1, keepdim=True)  # [B, 1]
    done = torch.zeros(batch, dtype=torch.bool, device=prompt_ids.device)
    ids, masks, logps = [], [], []
    for step in range(max_new_tokens):
        scaled = logits.float() / temperature  # [B, V]
        if greedy:
            token = scaled.argmax(dim=-1)  # [B]
        else:
            probs = torch.softmax(_top_p_filter(scaled, top_p), dim=-1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
        logp = torch.log_softmax(scaled, dim=-1).gather(-1, token[:, None])[:, 0]
        token = torch.where(done, torch.full_like(token, pad_token_id), token)
        ids.append(token)
        masks.append(~done)
        logps.append(torch.where(done, torch.zeros_like(logp), logp))
        done = done | (token == eos_token_id)
        if done.all() or step == max_new_tokens - 1:
            break
        attention = torch.cat([attention, torch.ones_like(token[:, None])], dim=-1)
        out = model(
            input_ids=token[:, None],
            attention_mask=attention,
            position_ids=next_position,
            past_key_values=cache,
            use_cache=True,
        )
        cache, logits = out.past_key_values, out.logits[:, -1, :]
        next_position = next_position + 1
    return (
        torch.stack(ids, dim=1),
        torch.stack(masks, dim=1).long(),
        torch.stack(logps, dim=1),
    )


# Attention implementations that take a ready 4D additive mask ``[B, 1, S, S]``.
ADDITIVE_MASK_ATTENTION = ("sdpa", "eager")


def shared_attention_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The causal + padding mask as one additive float tensor, ``[B, 1, S, S]``.

    Given a 2D padding mask, transformers builds a boolean 4D mask and torch's CPU
    ``scaled_dot_product_attention`` turns it into a float copy inside every layer,
    each copy saved for backward: ``num_layers`` tensors of ``B * S * S`` floats. One
    float mask shared by all layers is saved once. 0 where a query may attend,
    the dtype's minimum elsewhere; a padding query attends to itself only (no
    all-masked rows, so no NaN; those positions are never scored).
    """
    steps = mask.shape[1]
    keys = mask.bool()[:, None, None, :]  # [B, 1, 1, S]
    causal = torch.ones(steps, steps, dtype=torch.bool, device=mask.device).tril()
    eye = torch.eye(steps, dtype=torch.bool, device=mask.device)
    allowed = (causal & keys) | eye  # [B, 1, S, S]
    bias = torch.zeros(allowed.shape, dtype=dtype, device=mask.device)
    return bias.masked_fill_(~allowed, torch.finfo(dtype).min)


def _attention_mask_for_training(model: torch.nn.Module, mask: torch.Tensor) -> Any:
    """``mask`` itself, or one shared 4D bias where that saves per-layer copies
    (padded batch, an attention implementation that takes an additive mask, plain
    causal attention: a ready 4D mask would drop a sliding window or chunking)."""
    config = getattr(model, "config", None)
    impl = getattr(config, "_attn_implementation", None)
    if impl not in ADDITIVE_MASK_ATTENTION or bool(mask.all()):
        return mask  # no padding: sdpa runs causal with no mask at all
    layer_types = set(getattr(config, "layer_types", None) or ())
    if (
        getattr(config, "sliding_window", None)
        or getattr(config, "attention_chunk_size", None)
        or layer_types - {"full_attention"}
    ):
        return mask
    dtype = next(model.parameters()).dtype
    if not dtype.is_floating_point:
        return mask
    return shared_attention_bias(mask, dtype)


def completion_log_probs(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,  # [B, L] left-padded
    prompt_mask: torch.Tensor,  # [B, L]
    completion_ids: torch.Tensor,  # [B, T]
    completion_mask: torch.Tensor,  # [B, T]
    temperature: float = 1.0,
) -> torch.Tensor:
    """``log pi(completion token | prefix)`` under ``logits / temperature``, ``[B, T]``
    (0 where ``completion_mask`` is 0). Differentiable."""
    input_ids = torch.cat([prompt_ids, completion_ids], dim=1)  # [B, L + T]
    mask = torch.cat([prompt_mask, completion_mask], dim=1).long()
    steps = completion_ids.shape[1]
    logits = model(
        input_ids=input_ids,
        attention_mask=_attention_mask_for_training(model, mask),
        position_ids=position_ids_from_mask(mask),
        use_cache=False,
        logits_to_keep=steps + 1,  # no [B, L, V] logits for the prompt's positions
    ).logits  # [B, T + 1, V]: positions L - 1 .. L + T - 1
    scores = logits[:, :-1, :].float()  # [B, T, V]
    if temperature != 1.0:
        scores = scores / temperature
    logp = torch.log_softmax(scores, dim=-1).gather(-1, completion_ids[..., None])
    return logp[..., 0] * completion_mask.to(logp.dtype)
