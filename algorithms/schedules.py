"""Piecewise-linear schedules over a counter (trajectories or steps sampled)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ScheduleSpec = float | int | Sequence[Sequence[float]]


def validate_schedule(
    name: str, spec: ScheduleSpec, *, low: float, high: float, low_open: bool = False
) -> None:
    """Raise ``ValueError``/``TypeError`` unless ``spec`` is a valid schedule.

    A schedule is a constant, or ``[[t0, v0], [t1, v1], ...]`` with ``t`` strictly
    increasing from ``t0 = 0``; values are interpolated linearly and held after the
    last point. Every value must lie in ``[low, high]`` (``(low, high]`` if
    ``low_open``).
    """
    if isinstance(spec, bool | str | bytes):
        raise TypeError(f"`{name}` must be a number or [[t, value], ...], got {spec!r}")
    if isinstance(spec, int | float | np.number):
        values = [float(spec)]
    else:
        try:
            points = np.asarray(spec, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"`{name}` must be a number or [[t, value], ...], got {spec!r}"
            ) from err
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(
                f"`{name}` schedule must be a non-empty list of [t, value] pairs, "
                f"got {spec!r}"
            )
        if points[0, 0] != 0 or np.any(np.diff(points[:, 0]) <= 0):
            raise ValueError(
                f"`{name}` schedule times must start at 0 and strictly increase, got "
                f"{points[:, 0].tolist()}"
            )
        values = points[:, 1].tolist()
    for value in values:
        below = value <= low if low_open else value < low
        if not np.isfinite(value) or below or value > high:
            bracket = "(" if low_open else "["
            raise ValueError(
                f"`{name}` values must lie in {bracket}{low}, {high}], got {value}"
            )


def schedule_value(spec: ScheduleSpec, t: float) -> float:
    """Value of the schedule at counter ``t``."""
    if isinstance(spec, int | float | np.number):
        return float(spec)
    points = np.asarray(spec, dtype=float)
    return float(np.interp(t, points[:, 0], points[:, 1]))
