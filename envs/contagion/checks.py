"""Argument checks shared by the contagion core: clear errors that show the values."""

from __future__ import annotations

from typing import Any

import numpy as np

from gridmarket.envs.common import check_float, check_int

__all__ = ["check_float", "check_int", "check_nonnegative", "check_vector"]


def check_vector(name: str, value: Any, n: int | None = None) -> np.ndarray:
    """A finite float64 vector (of length ``n`` when given), or a clear error."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`{name}` must be a vector of floats, got {value!r}"
        ) from error
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"`{name}` must have length {n}, got {array.shape[0]}")
    bad = ~np.isfinite(array)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`{name}` must be finite, got {array[index]} at index {index}"
        )
    return array


def check_nonnegative(name: str, array: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first negative entry of ``array``."""
    negative = array < 0
    if negative.any():
        index = int(np.flatnonzero(negative.ravel())[0])
        raise ValueError(
            f"`{name}` must be >= 0 everywhere, got {array.ravel()[index]} at flat "
            f"index {index}"
        )


# Each checked field: ("int", minimum) or ("float", low, high, low_open, high_open).
FieldSpec = dict[str, tuple[Any, ...]]


def validate_fields(owner: object, spec: FieldSpec) -> None:
    """Check each field of a params dataclass against its rule (names the class)."""
    prefix = type(owner).__name__
    for name, rule in spec.items():
        value = getattr(owner, name)
        if rule[0] == "int":
            check_int(f"{prefix}.{name}", value, rule[1])
        else:
            _, low, high, low_open, high_open = rule
            check_float(
                f"{prefix}.{name}",
                value,
                low,
                high,
                low_open=low_open,
                high_open=high_open,
            )


def open01() -> tuple[Any, ...]:
    return ("float", 0.0, 1.0, True, True)


def unit() -> tuple[Any, ...]:
    return ("float", 0.0, 1.0, False, False)


def positive() -> tuple[Any, ...]:
    return ("float", 0.0, np.inf, True, False)


def nonnegative() -> tuple[Any, ...]:
    return ("float", 0.0, np.inf, False, False)
