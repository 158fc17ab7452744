"""Small torch building blocks shared by the TB policies."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


class KHotLinear(nn.Module):
    """``Linear(one_hot(x_1) ++ ... ++ one_hot(x_D))`` computed as a gather-sum.

    Mathematically a linear layer on the K-hot encoding of a ``MultiDiscrete``
    observation (torchgfn's ``KHotPreprocessor`` + ``Linear``), initialised the same
    way, but it reads D rows of the weight instead of multiplying a sparse matrix.
    """

    def __init__(self, nvec: Sequence[int], out_features: int) -> None:
        super().__init__()
        nvec = [int(n) for n in nvec]
        total = int(sum(nvec))
        bound = 1.0 / math.sqrt(total)
        self.weight = nn.Parameter(
            torch.empty(total, out_features).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(nvec)[:-1]]))
        self.register_buffer("offsets", offsets.long(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [..., D] int -> [..., out]
        rows = (x.long() + self.offsets).reshape(-1, x.shape[-1])  # [B, D]
        summed = F.embedding_bag(rows, self.weight, mode="sum")  # [B, out]
        return (summed + self.bias).reshape(*x.shape[:-1], -1)


def input_layer(space: spaces.Space, out_features: int) -> nn.Module:
    """First layer for an observation space: K-hot for MultiDiscrete, else Linear."""
    if isinstance(space, spaces.MultiDiscrete):
        return KHotLinear(space.nvec.reshape(-1), out_features)
    if isinstance(space, spaces.Box):
        return nn.Sequential(
            nn.Flatten(-len(space.shape)) if len(space.shape) > 1 else nn.Identity(),
            nn.Linear(int(np.prod(space.shape)), out_features),
        )
    raise TypeError(
        f"TB policies read MultiDiscrete or Box observations, got {type(space).__name__}"
    )


def trunk(
    space: spaces.Space, hiddens: Sequence[int], activation: str
) -> nn.Sequential:
    """``input -> [hidden, act] * len(hiddens)``; the heads sit on top."""
    if not hiddens:
        raise ValueError("`fcnet_hiddens` must name at least one hidden layer size")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`fcnet_activation` must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        )
    act = ACTIVATIONS[activation]
    layers: list[nn.Module] = [input_layer(space, hiddens[0]), act()]
    for width_in, width_out in zip(hiddens[:-1], hiddens[1:], strict=True):
        layers += [nn.Linear(width_in, width_out), act()]
    return nn.Sequential(*layers)
