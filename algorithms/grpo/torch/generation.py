"""Batched sampling with a KV cache, and the matching log-probabilities.

Both functions score a completion token with ``log_softmax(logits / temperature)``
(the untruncated, temperature-scaled policy, as TRL does); top-p only restricts
which tokens are drawn. The learner's ``completion_log_probs`` therefore equals
what ``sample_completions`` returned for the same weights.

Shapes: ``B`` sequences, ``L`` prompt tokens (left-padded), ``T`` completion tokens.
"""

from __future__ import annotations

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


def _score(
    logits: torch.Tensor, completion_ids: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``log_softmax(logits / temperature)`` at the completion tokens, ``[B, T]``."""
    scores = logits.float()  # [B, T, V]
    if temperature != 1.0:
        scores = scores / temperature
    logp = torch.log_softmax(scores, dim=-1).gather(-1, completion_ids[..., None])
    return logp[..., 0]


def _concatenated_logits(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,  # [B, L]
    prompt_mask: torch.Tensor,  # [B, L]
    completion_ids: torch.Tensor,  # [B, T]
    completion_mask: torch.Tensor,  # [B, T]
) -> torch.Tensor:
    """Each row's prompt and completion as one padded sequence, ``[B, T, V]``."""
    input_ids = torch.cat([prompt_ids, completion_ids], dim=1)  # [B, L + T]
    mask = torch.cat([prompt_mask, completion_mask], dim=1).long()
    steps = completion_ids.shape[1]
    logits = model(
        input_ids=input_ids,
        attention_mask=mask,
        position_ids=position_ids_from_mask(mask),
        use_cache=False,
        logits_to_keep=steps + 1,  # no [B, L, V] logits for the prompt's positions
    ).logits  # [B, T + 1, V]: positions L - 1 .. L + T - 1
    return logits[:, :-1, :]


def _shared_prompt_logits(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,  # [B, L]
    prompt_mask: torch.Tensor,  # [B, L]
    completion_ids: torch.Tensor,  # [B, T]
    completion_mask: torch.Tensor,  # [B, T]
) -> torch.Tensor:
    """The same logits as :func:`_concatenated_logits`, ``[B, T, V]``, with each
    distinct prompt run once.

    The ``U`` distinct prompts run with a KV cache; the cache's keys and values
    are gathered to the ``B`` rows (``Cache.reorder_cache``, differentiable), and
    the completions run against them. A GRPO batch of ``P`` prompts x ``G``
    completions thus runs ``P`` prompt forwards instead of ``P * G``: activations
    and compute for the prompt tokens shrink ``G``-fold, and gradients flow
    through the cached keys and values into the prompt's forward as before.
    """
    prompt_len = prompt_ids.shape[1]
    distinct, row_prompt = torch.unique(
        torch.cat([prompt_ids, prompt_mask.to(prompt_ids.dtype)], dim=1),
        dim=0,
        return_inverse=True,
    )  # [U, 2L], [B]
    distinct_ids, distinct_mask = distinct[:, :prompt_len], distinct[:, prompt_len:]
    prompt_out = model(
        input_ids=distinct_ids,
        attention_mask=distinct_mask,
        position_ids=position_ids_from_mask(distinct_mask),
        use_cache=True,
        logits_to_keep=1,  # the last prompt position predicts completion token 0
    )
    first = prompt_out.logits[row_prompt]  # [B, 1, V]
    steps = completion_ids.shape[1]
    if steps == 1:
        return first
    cache = prompt_out.past_key_values
    cache.reorder_cache(row_prompt)  # [U, ...] -> [B, ...]
    prompt_tokens = prompt_mask.long().sum(dim=1, keepdim=True)  # [B, 1]
    rest = model(
        input_ids=completion_ids[:, :-1],  # the last token predicts nothing scored
        attention_mask=torch.cat([prompt_mask, completion_mask[:, :-1]], 1).long(),
        position_ids=prompt_tokens + torch.arange(steps - 1, device=prompt_ids.device),
        past_key_values=cache,
        use_cache=True,
    ).logits  # [B, T - 1, V]
    return torch.cat([first, rest], dim=1)


def completion_log_probs(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,  # [B, L] left-padded
    prompt_mask: torch.Tensor,  # [B, L]
    completion_ids: torch.Tensor,  # [B, T]
    completion_mask: torch.Tensor,  # [B, T]
    temperature: float = 1.0,
    *,
    share_prompts: bool = True,
) -> torch.Tensor:
    """``log pi(completion token | prefix)`` under ``logits / temperature``, ``[B, T]``
    (0 where ``completion_mask`` is 0). Differentiable.

    ``share_prompts`` runs each distinct prompt once (see
    :func:`_shared_prompt_logits`); ``False`` runs every row's prompt and
    completion as one sequence. Both give the same values and gradients.
    """
    logits_of = _shared_prompt_logits if share_prompts else _concatenated_logits
    logits = logits_of(model, prompt_ids, prompt_mask, completion_ids, completion_mask)
    logp = _score(logits, completion_ids, temperature)
    return logp * completion_mask.to(logp.dtype)
