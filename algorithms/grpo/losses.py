"""GRPO loss math as pure torch functions.

Shapes: ``N`` completions laid out as ``N // G`` contiguous groups of ``G``
completions of one prompt; ``T`` completion tokens (padded; ``mask`` marks real
tokens). Log-probabilities are per completion token.

- Advantages: ``"grpo"`` (Shao et al. 2024) standardizes within a group,
  ``(r - mean) / (std + eps)``; ``"dr_grpo"`` (Liu et al. 2025, Dr. GRPO) only
  centres, ``r - mean``, and is meant to be aggregated with a constant length
  normalizer (``aggregation="constant"``).
- Surrogate: PPO's clipped ratio with separate bounds ``1 - clip_low`` and
  ``1 + clip_high`` (DAPO's clip-higher, Yu et al. 2025).
- KL to a frozen reference: Schulman's k3 estimator
  ``exp(ref - logp) - (ref - logp) - 1``, which is >= 0 and 0 where they agree.
"""

from __future__ import annotations

import torch

ADVANTAGE_TYPES = ("grpo", "dr_grpo")
AGGREGATIONS = ("sequence", "token", "constant")


def group_advantages(
    rewards: torch.Tensor,  # [N] N = num_groups * group_size, groups contiguous
    group_size: int,
    advantage_type: str = "grpo",
    eps: float = 1e-4,
) -> torch.Tensor:
    """Group-relative advantages, ``[N]``.

    ``std`` is the sample standard deviation within a group (Bessel-corrected, as
    TRL computes it); a group of equal rewards gets advantage 0.
    """
    if advantage_type not in ADVANTAGE_TYPES:
        raise ValueError(
            f"advantage_type must be one of {ADVANTAGE_TYPES}, got {advantage_type!r}"
        )
    if group_size < 2 or rewards.numel() % group_size:
        raise ValueError(
            f"group_size must be >= 2 and divide the {rewards.numel()} rewards, "
            f"got {group_size}"
        )
    grouped = rewards.reshape(-1, group_size)  # [P, G]
    centred = grouped - grouped.mean(dim=1, keepdim=True)  # [P, G]
    if advantage_type == "dr_grpo":
        return centred.reshape(-1)
    std = grouped.std(dim=1, keepdim=True)  # [P, 1]
    return (centred / (std + eps)).reshape(-1)


def clipped_surrogate(
    logp: torch.Tensor,  # [N, T] current policy
    old_logp: torch.Tensor,  # [N, T] policy that sampled the completions
    advantages: torch.Tensor,  # [N]
    clip_low: float,
    clip_high: float,
) -> torch.Tensor:
    """Per-token clipped policy loss ``-min(ratio * A, clip(ratio) * A)``, ``[N, T]``."""
    ratio = torch.exp(logp - old_logp)  # [N, T]
    adv = advantages.unsqueeze(-1)  # [N, 1]
    clipped = torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high)  # [N, T]
    return -torch.minimum(ratio * adv, clipped * adv)


def k3_kl(
    logp: torch.Tensor,  # [N, T] current policy
    ref_logp: torch.Tensor,  # [N, T] frozen reference
) -> torch.Tensor:
    """Per-token k3 estimate of KL(pi || ref), ``[N, T]``; >= 0, and 0 iff equal."""
    delta = ref_logp - logp  # [N, T]
    return torch.exp(delta) - delta - 1.0


def aggregate_tokens(
    per_token: torch.Tensor,  # [N, T]
    mask: torch.Tensor,  # [N, T] 1 for completion tokens, 0 for padding
    aggregation: str,
    max_length: int | None = None,
) -> torch.Tensor:
    """Reduce per-token losses to a scalar, ``[]``.

    - ``"sequence"``: mean over each completion's tokens, then over completions
      (GRPO's original form; longer completions weigh less per token).
    - ``"token"``: mean over every completion token of the batch (DAPO).
    - ``"constant"``: sum over tokens divided by ``N * max_length`` (Dr. GRPO).
    """
    mask = mask.to(per_token.dtype)
    masked = per_token * mask  # [N, T]
    if aggregation == "sequence":
        lengths = mask.sum(dim=1).clamp(min=1.0)  # [N]
        return (masked.sum(dim=1) / lengths).mean()
    if aggregation == "token":
        return masked.sum() / mask.sum().clamp(min=1.0)
    if aggregation == "constant":
        if max_length is None or max_length < 1:
            raise ValueError(
                f"aggregation='constant' needs max_length >= 1, got {max_length}"
            )
        return masked.sum() / (per_token.shape[0] * max_length)
    raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")


def grpo_loss(
    logp: torch.Tensor,  # [N, T]
    old_logp: torch.Tensor,  # [N, T]
    advantages: torch.Tensor,  # [N]
    mask: torch.Tensor,  # [N, T]
    *,
    ref_logp: torch.Tensor | None = None,  # [N, T]; None when beta == 0
    beta: float = 0.0,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    aggregation: str = "sequence",
    max_length: int | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The GRPO objective to minimize, ``[]``, and detached statistics.

    Statistics: ``kl`` (mean k3 per token, 0 when ``beta == 0``),
    ``clip_fraction`` (tokens whose ratio left the clip range).
    """
    per_token = clipped_surrogate(logp, old_logp, advantages, clip_low, clip_high)
    mask_f = mask.to(logp.dtype)
    tokens = mask_f.sum().clamp(min=1.0)
    kl_mean = logp.new_zeros(())
    if beta != 0.0:
        if ref_logp is None:
            raise ValueError(f"beta={beta} needs ref_logp (reference log-probs)")
        kl = k3_kl(logp, ref_logp)  # [N, T]
        per_token = per_token + beta * kl
        kl_mean = (kl * mask_f).sum() / tokens
    loss = aggregate_tokens(per_token, mask, aggregation, max_length)
    with torch.no_grad():
        ratio = torch.exp(logp - old_logp)
        outside = (ratio < 1.0 - clip_low) | (ratio > 1.0 + clip_high)
        clip_fraction = (outside.to(logp.dtype) * mask_f).sum() / tokens
    return loss, {"kl": kl_mean.detach(), "clip_fraction": clip_fraction}
