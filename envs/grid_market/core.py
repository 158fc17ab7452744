"""Pure array dynamics of GridMarket-v0, the GRID stress-scenario GFlowNet DAG.

No gymnasium import. The single env, the native vector env and a trajectory sampler
all call these functions, batched on the leading axis.

A state is ``[t, x1..x6]`` as one float32 row of length 7: the step counter ``t`` and
the six market features in the scenario oracle's scaling. An action is a float32
increment ``a`` in ``[-30, 30]^6``; the transition is ``x' = clip(x + a, low, high)``,
``t' = t + 1``, and the episode ends exactly when ``t' == horizon``.

The terminal log-reward of ``x_H`` is ``log R = softplus(-pred) / reward_temperature``
with ``pred = oracle.predict(x_H)``, the predicted forward 12-month S&P 500 return in
percent; in the penalty modes ``ood_penalty * oracle.ood_distance(x_H)`` is
subtracted (after the temperature).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from gridmarket.envs.common import check_float, check_int

N_FEATURES = 6
ACTION_BOUND = 30.0
#: Finite observation bounds of x in the penalty mode (10x the training half-width).
PENALTY_BOUND = 1000.0
#: ``clip``: clip into the training box. ``penalty``: free within +-PENALTY_BOUND,
#: OOD-penalised. ``clip+penalty``: both.
OOD_MODES: tuple[str, ...] = ("clip", "penalty", "clip+penalty")


class OracleLike(Protocol):
    def predict(self, states: np.ndarray) -> np.ndarray: ...

    def ood_distance(self, states: np.ndarray) -> np.ndarray: ...


def _check_vector(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (N_FEATURES,) or not np.isfinite(arr).all():
        raise ValueError(
            f"GridMarket `{name}` must be {N_FEATURES} finite numbers, got {value!r}"
        )
    return arr


@dataclass(frozen=True)
class GridMarketParams:
    """GridMarket parameters (immutable).

    Attributes:
        box_low, box_high: the 6 per-feature bounds states are clipped to: the
            oracle's training box in the clip modes, +-``PENALTY_BOUND`` otherwise.
        initial_x: the 6 scaled features of the starting month (inside the box).
        horizon: number of steps of every episode (int >= 1).
        reward_temperature: divides softplus(-pred) (> 0; lower is sharper).
        ood_mode: one of :data:`OOD_MODES`.
        ood_penalty: log-reward cost per unit of ``oracle.ood_distance`` (>= 0).
    """

    box_low: tuple[float, ...]
    box_high: tuple[float, ...]
    initial_x: tuple[float, ...]
    horizon: int = 12
    reward_temperature: float = 1.0
    ood_mode: str = "clip"
    ood_penalty: float = 1.0

    def __post_init__(self) -> None:
        check_int("horizon", self.horizon, 1)
        check_float("reward_temperature", self.reward_temperature, 0.0, low_open=True)
        check_float("ood_penalty", self.ood_penalty, 0.0)
        if self.ood_mode not in OOD_MODES:
            raise ValueError(
                f"GridMarket `ood_mode` must be one of {list(OOD_MODES)}, got "
                f"{self.ood_mode!r}"
            )
        low, high = (
            _check_vector("box_low", self.box_low),
            _check_vector("box_high", self.box_high),
        )
        x0 = _check_vector("initial_x", self.initial_x)
        if not (low < high).all():
            raise ValueError(f"GridMarket box_low {low} must be < box_high {high}")
        if not ((low <= x0) & (x0 <= high)).all():
            raise ValueError(
                f"GridMarket initial_x {x0.tolist()} lies outside the box "
                f"[{low.tolist()}, {high.tolist()}]"
            )

    @cached_property
    def low(self) -> np.ndarray:
        """float32 ``[6]`` lower clip bounds (read-only)."""
        return _readonly(np.asarray(self.box_low, dtype=np.float32))

    @cached_property
    def high(self) -> np.ndarray:
        """float32 ``[6]`` upper clip bounds (read-only)."""
        return _readonly(np.asarray(self.box_high, dtype=np.float32))

    @cached_property
    def x0(self) -> np.ndarray:
        """float32 ``[6]`` starting features (read-only)."""
        return _readonly(
            np.clip(np.asarray(self.initial_x, np.float32), self.low, self.high)
        )

    @property
    def penalized(self) -> bool:
        return self.ood_mode != "clip"

    @property
    def max_trajectory_length(self) -> int:
        return int(self.horizon)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def observation_bounds(params: GridMarketParams) -> tuple[np.ndarray, np.ndarray]:
    """float32 ``[7]`` low and high of a state: ``t`` in [0, horizon], then the box."""
    low = np.concatenate([[0.0], params.low]).astype(np.float32)
    high = np.concatenate([[float(params.horizon)], params.high]).astype(np.float32)
    return low, high


def initial_states(params: GridMarketParams, batch_size: int) -> np.ndarray:
    """``[B, 7]`` float32: ``t = 0`` and the scenario's starting features."""
    states = np.empty((batch_size, 1 + N_FEATURES), dtype=np.float32)
    states[:, 0] = 0.0
    states[:, 1:] = params.x0
    return states


def check_actions(actions: Any, batch_shape: tuple[int, ...]) -> np.ndarray:
    """Validated float32 actions ``[*batch_shape, 6]``, or a ``ValueError``/``TypeError``.

    Refuses a wrong shape, non-numeric dtypes, NaN/inf, and any value outside
    ``[-30, 30]``; actions are never clipped silently.
    """
    arr = actions if isinstance(actions, np.ndarray) else np.asarray(actions)
    if arr.dtype.kind not in "fiu":
        raise TypeError(
            f"GridMarket actions must be real numbers in [-{ACTION_BOUND:g}, "
            f"{ACTION_BOUND:g}], got dtype {arr.dtype}"
        )
    shape = (*batch_shape, N_FEATURES)
    if arr.shape != shape:
        raise ValueError(f"GridMarket actions must have shape {shape}, got {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"GridMarket action value {arr[bad]} at index {bad} is not finite; "
            f"actions must be finite numbers in [-{ACTION_BOUND:g}, {ACTION_BOUND:g}]"
        )
    outside = np.abs(arr) > ACTION_BOUND
    if outside.any():
        bad = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"GridMarket action value {arr[bad]} at index {bad} is outside the action "
            f"range [-{ACTION_BOUND:g}, {ACTION_BOUND:g}]; actions are not clipped"
        )
    return arr.astype(np.float32, copy=False)


def step(
    params: GridMarketParams, states: np.ndarray, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(next_states [B, 7], terminated [B] bool)`` for validated float32 actions."""
    next_states = np.empty_like(states)
    next_states[:, 0] = states[:, 0] + 1.0
    np.add(states[:, 1:], actions, out=next_states[:, 1:])
    np.clip(next_states[:, 1:], params.low, params.high, out=next_states[:, 1:])
    return next_states, next_states[:, 0] >= params.horizon


def log_rewards(
    params: GridMarketParams,
    predicted_return: np.ndarray,
    ood_distance: np.ndarray | None = None,
) -> np.ndarray:
    """``softplus(-pred) / T``, minus ``ood_penalty * ood`` in the penalty modes."""
    log_r = np.logaddexp(0.0, -np.asarray(predicted_return, dtype=np.float64))
    log_r = log_r / params.reward_temperature
    if params.penalized:
        if ood_distance is None:
            raise ValueError(f"ood_mode={params.ood_mode!r} needs `ood_distance`")
        log_r = log_r - params.ood_penalty * np.asarray(ood_distance, np.float64)
    return log_r


def terminal_log_rewards(
    params: GridMarketParams, oracle: OracleLike, x: np.ndarray
) -> dict[str, np.ndarray]:
    """One batched oracle call for terminal features ``x [N, 6]``.

    Returns ``log_reward``, ``predicted_return`` and, in the penalty modes,
    ``ood_distance`` (each ``[N]`` float64).
    """
    x64 = np.asarray(x, dtype=np.float64)
    out = {"predicted_return": oracle.predict(x64)}
    ood = oracle.ood_distance(x64) if params.penalized else None
    out["log_reward"] = log_rewards(params, out["predicted_return"], ood)
    if ood is not None:
        out["ood_distance"] = ood
    return out
