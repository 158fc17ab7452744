"""Column names and padding of GRPO's sample batches (numpy, framework-free).

A batch holds ``N`` completions in contiguous groups of ``G``: ``prompt_ids`` /
``prompt_mask`` ``[N, L]`` (left-padded), ``completion_ids`` / ``completion_mask``
/ ``old_logp`` ``[N, T]`` (right-padded), ``rewards`` and ``advantages`` ``[N]``.
"""

from __future__ import annotations

import numpy as np

PROMPT_IDS = "prompt_ids"
PROMPT_MASK = "prompt_mask"
COMPLETION_IDS = "completion_ids"
COMPLETION_MASK = "completion_mask"
OLD_LOGP = "old_logp"
REWARDS = "rewards"
ADVANTAGES = "advantages"
WINDOW_IDS = "window_ids"

LEFT_PADDED = (PROMPT_IDS, PROMPT_MASK)
RIGHT_PADDED = (COMPLETION_IDS, COMPLETION_MASK, OLD_LOGP)


def _pad(array: np.ndarray, width: int, left: bool, value: int | float) -> np.ndarray:
    extra = width - array.shape[1]
    pad = ((0, 0), (extra, 0)) if left else ((0, 0), (0, extra))
    return np.pad(array, pad, constant_values=value)


def concat_batches(
    batches: list[dict[str, np.ndarray]], pad_token_id: int
) -> dict[str, np.ndarray]:
    """Concatenate batches row-wise, padding prompts left and completions right."""
    out = {}
    for key in batches[0]:
        arrays = [b[key] for b in batches]
        if key in LEFT_PADDED or key in RIGHT_PADDED:
            width = max(a.shape[1] for a in arrays)
            fill = pad_token_id if key in (PROMPT_IDS, COMPLETION_IDS) else 0
            arrays = [_pad(a, width, key in LEFT_PADDED, fill) for a in arrays]
        out[key] = np.concatenate(arrays, axis=0)
    return out


def take_groups(
    batch: dict[str, np.ndarray], groups: np.ndarray, group_size: int
) -> dict[str, np.ndarray]:
    """The rows of the given group indices, groups kept contiguous."""
    rows = (groups[:, None] * group_size + np.arange(group_size)).reshape(-1)
    return {key: value[rows] for key, value in batch.items()}
