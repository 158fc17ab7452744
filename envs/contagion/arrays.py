"""Small array helpers of the step, exact and cheaper than their general forms.

At 100 banks a step is hundreds of numpy calls on short arrays, each paying
numpy's fixed per-call cost; these helpers give the numbers of the plain
expressions in fewer (or cheaper) calls.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numba
import numpy as np

F = TypeVar("F", bound=Callable)

SOURCES_STAMP = "numba-sources.sha256"  # in the package's __pycache__


def clear_stale_cache(package: Path) -> bool:
    """Delete numba's cached machine code in ``package``'s ``__pycache__`` when
    any of the package's ``.py`` sources changed since it was written; returns
    whether it did.

    numba checks only the source file of each cached function, not the files
    of the compiled functions it calls. An edit to one module (or a ``git
    pull`` on an editable install) would leave another module's cached code
    running the old version of what it calls, or crash when two caches
    compiled from different sources meet ("'descr' is NULL"). One digest over
    every source of the package closes that gap: any change recompiles all.
    """
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    cache, expected = package / "__pycache__", digest.hexdigest()
    try:
        if (cache / SOURCES_STAMP).read_text() == expected:
            return False
    except OSError:
        pass  # no stamp yet: whatever cache there is may be stale
    for stale in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
        stale.unlink(missing_ok=True)
    try:
        cache.mkdir(exist_ok=True)
        partial = cache / f"{SOURCES_STAMP}.{os.getpid()}"
        partial.write_text(expected)
        os.replace(partial, cache / SOURCES_STAMP)  # atomic for other processes
    except OSError:
        pass  # a read-only install: numba caches elsewhere, keyed by file
    return True


def compiled(function: F) -> F:
    """``function`` compiled to machine code by numba (nopython, cached on disk).

    The step's stages are compiled so that a stage is one call, not the dozens of
    numpy calls (each with its fixed cost) that its expressions would make.
    The numbers are numpy's for elementwise arithmetic; sums inside a compiled
    function add left to right (numpy sums pairwise), so they can differ in
    the last bits.
    """
    return numba.njit(cache=True, nogil=True)(function)


clear_stale_cache(Path(__file__).resolve().parent)  # before any cache is read


@compiled
def share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, and 0 where ``denominator == 0`` (arrays or
    numbers).

    For non-negative arrays in which ``numerator`` is 0 wherever ``denominator``
    is 0 (a part over its total), this equals ``np.divide(numerator, denominator,
    out=zeros, where=denominator > 0)`` bit for bit: adding 0.0 to a positive
    denominator changes nothing, and ``0 / 1`` is 0. Three plain ufunc calls
    instead of a masked division (about half the time at 100 banks).
    """
    return numerator / (denominator + (denominator == 0.0))


def fill(
    shape: int | tuple[int, ...], value: float, dtype: type = np.float64
) -> np.ndarray:
    """``np.full(shape, value, dtype)`` without its Python wrapper."""
    out = np.empty(shape, dtype)
    out.fill(value)
    return out


@compiled
def positive_ratio(numerator, denominator: np.ndarray, fallback: float) -> np.ndarray:
    """``numerator / denominator`` where ``denominator > 0``, else ``fallback``
    (``np.divide(..., where=denominator > 0)`` with ``out`` filled with
    ``fallback``, which compiled code does not have). ``numerator``: an array of
    ``denominator``'s shape or a number."""
    positive = denominator > 0
    return np.where(
        positive, numerator / np.where(positive, denominator, 1.0), fallback
    )


@compiled
def scatter_add(index: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``np.bincount(index, weights, minlength=n)`` for indices in ``[0, n)``,
    in one pass (the same sums, added in the same order)."""
    out = np.zeros(n)
    for k in range(index.shape[0]):
        out[index[k]] += weights[k]
    return out
