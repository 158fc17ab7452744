"""Argument checks shared by every env of the suite: each error names the
argument, shows the value and says what is allowed. numpy only. Also the lazy
package exports that keep the pure cores' imports light."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int ``>= minimum``, or a ``TypeError``/``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"`{name}` must be an int >= {minimum}, got {value!r} of type "
            f"{type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return int(value)


def check_float(
    name: str,
    value: Any,
    low: float = -np.inf,
    high: float = np.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float in the stated interval (NaN and inf never
    pass), or a ``TypeError``/``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(
            f"`{name}` must be a float, got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        if np.isinf(high):
            allowed = f"> {low:g}" if low_open else f">= {low:g}"
        else:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            allowed = f"in {left}{low}, {high}{right}"
        raise ValueError(f"`{name}` must be {allowed}, got {value}")
    return value


def check_render_mode(render_mode: Any, allowed: Sequence[str]) -> str | None:
    """``render_mode`` if it is ``None`` or one of ``allowed``, else a ValueError."""
    if render_mode is not None and render_mode not in allowed:
        raise ValueError(
            f"render_mode must be one of {list(allowed)} or None, got {render_mode!r}"
        )
    return render_mode


def check_num_envs(num_envs: Any) -> int:
    """``num_envs`` as an int >= 1, or a ``TypeError``/``ValueError`` naming it."""
    return check_int("num_envs", num_envs, 1)


def lazy_exports(package: str, spec: str) -> tuple[Callable[[str], Any], list[str]]:
    """A module ``__getattr__`` (PEP 562) and ``__all__`` for ``package``.

    ``spec`` lists ``name:submodule`` pairs; ``name`` is imported from
    ``package.submodule`` on first use, so importing one submodule (a pure core)
    does not import the package's adapters.
    """
    exports = dict(pair.split(":") for pair in spec.split())

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return __getattr__, sorted(exports)
