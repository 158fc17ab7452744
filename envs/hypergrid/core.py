"""Pure array dynamics of the HyperGrid GFlowNet DAG (Bengio et al. 2021).

Everything here is a function of numpy arrays batched on leading axes; there is no
gymnasium import. The single env, the native vector env and exact enumeration all
call these functions, so there is one truth for the dynamics.

States are integer coordinates ``x`` in ``{0..H-1}^D`` (``int64``, shape ``[..., D]``).
Actions follow torchgfn's order: action ``i < D`` increments coordinate ``i`` and
action ``D`` stops, turning the current state into a terminal object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.envs.common import check_float, check_int


@dataclass(frozen=True)
class HyperGridParams:
    """HyperGrid parameters.

    Attributes:
        ndim: number of dimensions D (>= 1).
        height: grid side length H (>= 2); coordinates run over 0..H-1.
        R0: base reward everywhere (> 0, keeps every terminal state reachable).
        R1: bonus where every |x_i/(H-1) - 0.5| > 0.25 (>= 0).
        R2: bonus where every 0.3 < |x_i/(H-1) - 0.5| < 0.4 (>= 0).
    """

    ndim: int = 4
    height: int = 8
    R0: float = 0.1
    R1: float = 0.5
    R2: float = 2.0

    def __post_init__(self) -> None:
        check_int("ndim", self.ndim, 1)
        check_int("height", self.height, 2)
        check_float("R0", self.R0, 0.0, low_open=True)  # every state reachable
        check_float("R1", self.R1, 0.0)
        check_float("R2", self.R2, 0.0)
        if self.height**self.ndim > 50_000_000:
            raise ValueError(
                f"HyperGrid with height={self.height}, ndim={self.ndim} has "
                f"{self.height**self.ndim:,} states; at most 50,000,000 are supported"
            )

    @property
    def n_actions(self) -> int:
        """D increments plus the stop action."""
        return self.ndim + 1

    @property
    def stop_action(self) -> int:
        return self.ndim

    @property
    def max_trajectory_length(self) -> int:
        """Most actions in one trajectory: D*(H-1) increments and one stop."""
        return self.ndim * (self.height - 1) + 1

    @property
    def n_states(self) -> int:
        return self.height**self.ndim


def initial_states(params: HyperGridParams, batch_size: int) -> np.ndarray:
    """The origin, repeated: ``[B, D]`` int64."""
    return np.zeros((batch_size, params.ndim), dtype=np.int64)


def forward_masks(params: HyperGridParams, states: np.ndarray) -> np.ndarray:
    """Valid forward actions ``[..., D+1]`` bool: increments below the edge, and stop."""
    masks = np.ones((*states.shape[:-1], params.n_actions), dtype=bool)
    masks[..., : params.ndim] = states < params.height - 1
    return masks


def backward_masks(params: HyperGridParams, states: np.ndarray) -> np.ndarray:
    """Valid backward moves ``[..., D]`` bool: coordinate i can be decremented.

    The backward move that undoes forward action ``i`` is ``i``.
    """
    return states > 0


def observe(params: HyperGridParams, states: np.ndarray) -> dict[str, np.ndarray]:
    """The env observation of states ``[..., D]``: coordinates and both move masks."""
    return {
        "observation": np.array(states, dtype=np.int64),
        "action_mask": forward_masks(params, states).astype(np.int8),
        "backward_mask": backward_masks(params, states).astype(np.int8),
    }


def rewards(params: HyperGridParams, states: np.ndarray) -> np.ndarray:
    """R(x) = R0 + R1*prod 1[0.25 < a_i] + R2*prod 1[0.3 < a_i < 0.4].

    ``a_i = |x_i/(H-1) - 0.5|``, evaluated in exact integer arithmetic:
    ``a_i = |2 x_i - (H-1)| / (2 (H-1))``, so no float rounding decides a band edge.
    """
    span = params.height - 1
    dist = np.abs(2 * states - span)  # = 2*(H-1)*a_i, [..., D]
    outer = np.all(2 * dist > span, axis=-1)  # a_i > 0.25
    band = np.all((5 * dist > 3 * span) & (5 * dist < 4 * span), axis=-1)  # 0.3<a<0.4
    return params.R0 + params.R1 * outer + params.R2 * band


def log_rewards(params: HyperGridParams, states: np.ndarray) -> np.ndarray:
    return np.log(rewards(params, states))


def check_actions(
    params: HyperGridParams, states: np.ndarray, actions: np.ndarray
) -> None:
    """Raise ``ValueError`` naming the first invalid or masked action, if any."""
    actions = np.asarray(actions)
    if actions.shape != states.shape[:-1]:
        raise ValueError(
            f"`actions` must have shape {states.shape[:-1]}, got {actions.shape}"
        )
    if not np.issubdtype(actions.dtype, np.integer):
        raise TypeError(
            f"HyperGrid actions must be integers in [0, {params.ndim}], got dtype "
            f"{actions.dtype} ({actions.ravel()[:4].tolist()}...)"
        )
    out_of_range = (actions < 0) | (actions > params.ndim)
    if out_of_range.any():
        bad = np.argwhere(out_of_range)[0]
        raise ValueError(
            f"HyperGrid action {int(actions[tuple(bad)])} at index {tuple(bad.tolist())} "
            f"is out of range: allowed are 0..{params.ndim - 1} (increment a "
            f"coordinate) and {params.ndim} (stop)"
        )
    masks = forward_masks(params, states)
    allowed = np.take_along_axis(masks, actions[..., None], axis=-1)[..., 0]
    if not allowed.all():
        bad = tuple(np.argwhere(~allowed)[0].tolist())
        state = states[bad]
        valid = np.flatnonzero(masks[bad]).tolist()
        raise ValueError(
            f"HyperGrid action {int(actions[bad])} is masked in state "
            f"{tuple(state.tolist())}: coordinate {int(actions[bad])} is already at "
            f"height-1={params.height - 1}; valid actions are {valid}"
        )


def step(
    params: HyperGridParams, states: np.ndarray, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply valid actions: ``(next_states [..., D], stopped [...] bool)``.

    The stop action leaves the coordinates unchanged and marks the state terminal.
    Call :func:`check_actions` first when actions come from outside.
    """
    stopped = actions == params.stop_action
    increments = np.zeros_like(states)
    moving = ~stopped
    np.put_along_axis(
        increments, np.where(moving, actions, 0)[..., None], moving[..., None], axis=-1
    )
    return states + increments, stopped


def all_states(params: HyperGridParams) -> np.ndarray:
    """Every state ``[H**D, D]`` in C order of the coordinates (x_0 slowest)."""
    grids = np.indices((params.height,) * params.ndim).reshape(params.ndim, -1)
    return grids.T.astype(np.int64, copy=False)


def state_index(params: HyperGridParams, states: np.ndarray) -> np.ndarray:
    """Flat index of each state in :func:`all_states` order."""
    strides = params.height ** np.arange(params.ndim - 1, -1, -1)
    return states @ strides
