"""MAPPO's loss math as pure functions (Yu et al. 2022; CleanRL-style shapes).

Advantages (numpy, on the env runner) and the PPO losses (torch, in the learner).
Shapes: ``T`` steps of a rollout, ``W`` worlds stepped together, ``N`` banks,
``B`` rows of a minibatch (one row = one world at one step, all its banks).
Every bank-level quantity carries a mask: a bank that has defaulted does not act,
earns nothing and contributes nothing to a loss ("death masking").
"""

from __future__ import annotations

import numpy as np
import torch


def masked_gae(
    rewards: np.ndarray,  # [T, W, N] reward of each bank's step t
    values: np.ndarray,  # [T, W, N] V(s_t) (unnormalized)
    next_values: np.ndarray,  # [T, W, N] V(s_t+1); V(final obs) where an episode ended
    terminated: np.ndarray,  # [T, W, N] bool: the bank defaulted in step t
    episode_end: np.ndarray,  # [T, W] bool: the world's episode ended in step t
    alive: np.ndarray,  # [T, W, N] bool: the bank acted in step t
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimation with death masks and truncation bootstrap.

    ``delta_t = r_t + gamma * (1 - terminated_t) * V(s_t+1) - V(s_t)``: a bank that
    defaulted has no future (value 0); a bank alive when the episode is truncated
    keeps ``V(final obs)``. The recursion ``A_t = delta_t + gamma * lam * A_t+1``
    stops at a default and at an episode end (the next row is a new episode).
    Dead banks get advantage and return 0. Returns ``(advantages, returns)``,
    both ``[T, W, N]`` float32, ``returns = advantages + values``.
    """
    alive_f = alive.astype(np.float64)
    not_term = 1.0 - terminated.astype(np.float64)
    carry = not_term * (1.0 - episode_end.astype(np.float64))[..., None]  # [T, W, N]
    deltas = rewards + gamma * not_term * next_values - values  # [T, W, N]
    advantages = np.zeros(rewards.shape, dtype=np.float64)
    running = np.zeros(rewards.shape[1:], dtype=np.float64)  # [W, N]
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = alive_f[t] * (deltas[t] + gamma * lam * carry[t] * running)
        advantages[t] = running
    returns = advantages + values * alive_f
    return advantages.astype(np.float32), returns.astype(np.float32)


def team_rewards(
    rewards: np.ndarray,  # [..., N] each bank's own reward of a step
    alive: np.ndarray,  # [..., N] bool: the bank acted in that step
    weight: float,
) -> np.ndarray:
    """``(1 - weight) * r_i + weight * mean_j r_j`` over the banks alive in the
    step, ``[..., N]`` (0 for dead banks).

    ``weight = 0`` is each bank's own reward; ``weight = 1`` gives every bank the
    system's mean reward (a social planner's objective, the fully cooperative
    setting of Yu et al.). A bank that defaults in the step is alive in it, so its
    default penalty enters the mean.
    """
    alive_f = alive.astype(np.float64)
    count = np.maximum(alive_f.sum(axis=-1, keepdims=True), 1.0)  # [..., 1]
    mean = (rewards * alive_f).sum(axis=-1, keepdims=True) / count  # [..., 1]
    mixed = (1.0 - weight) * rewards + weight * mean  # [..., N]
    return (mixed * alive_f).astype(rewards.dtype)


def merge_moments(
    mean: np.ndarray | float,
    var: np.ndarray | float,
    count: float,
    batch: np.ndarray,  # [M] new samples
) -> tuple[float, float, float]:
    """Running mean and (population) variance after adding ``batch``: the exact
    parallel merge of Chan et al., so the order of batches does not matter.
    Returns ``(mean, var, count)``."""
    batch = np.asarray(batch, dtype=np.float64).ravel()
    if batch.size == 0:
        return float(mean), float(var), float(count)
    if not np.all(np.isfinite(batch)):
        raise FloatingPointError(
            "value targets contain NaN or inf; the value normalizer refuses them"
        )
    b_mean, b_var, b_count = batch.mean(), batch.var(), float(batch.size)
    total = count + b_count
    delta = b_mean - mean
    new_mean = mean + delta * b_count / total
    m2 = var * count + b_var * b_count + delta**2 * count * b_count / total
    return float(new_mean), float(m2 / total), float(total)


def masked_mean(
    x: torch.Tensor,  # [...]
    mask: torch.Tensor,  # [...] bool
) -> torch.Tensor:
    """Mean of ``x`` over the ``True`` entries of ``mask`` (0 if there are none), ``[]``."""
    weights = mask.to(x.dtype)
    return (x * weights).sum() / weights.sum().clamp(min=1.0)


def normalize_advantages(
    advantages: torch.Tensor,  # [B, N]
    mask: torch.Tensor,  # [B, N] bool
    eps: float = 1e-8,
) -> torch.Tensor:
    """Advantages standardized over the alive entries of the minibatch, ``[B, N]``."""
    mean = masked_mean(advantages, mask)
    var = masked_mean((advantages - mean) ** 2, mask)
    return (advantages - mean) / (var.sqrt() + eps)


def ppo_clip_loss(
    logp: torch.Tensor,  # [B, N] log pi(a | o) under the current policy
    old_logp: torch.Tensor,  # [B, N] under the policy that sampled a
    advantages: torch.Tensor,  # [B, N]
    mask: torch.Tensor,  # [B, N] bool
    clip: float,
) -> torch.Tensor:
    """PPO's clipped surrogate, to minimize: ``-mean min(r A, clip(r, 1±eps) A)``, ``[]``."""
    ratio = torch.exp(logp - old_logp)
    surrogate = torch.minimum(
        ratio * advantages, torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages
    )
    return -masked_mean(surrogate, mask)


def clipped_value_loss(
    values: torch.Tensor,  # [B, N] current predictions (normalized scale)
    old_values: torch.Tensor,  # [B, N] predictions at sampling time (same scale)
    targets: torch.Tensor,  # [B, N] returns (same scale)
    mask: torch.Tensor,  # [B, N] bool
    clip: float | None,
) -> torch.Tensor:
    """``0.5 * mean max((v - R)^2, (v_old + clip(v - v_old, ±c) - R)^2)``, ``[]``;
    ``clip=None`` gives the plain squared error."""
    unclipped = (values - targets) ** 2
    if clip is None:
        return 0.5 * masked_mean(unclipped, mask)
    clipped_values = old_values + torch.clamp(values - old_values, -clip, clip)
    clipped = (clipped_values - targets) ** 2
    return 0.5 * masked_mean(torch.maximum(unclipped, clipped), mask)
