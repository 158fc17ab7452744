"""Systemic-risk metrics: pure functions on arrays, with formulas and units.

Money arguments are in currency units; every returned index is dimensionless.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from gridmarket.envs.contagion.arrays import compiled, positive_ratio
from gridmarket.envs.contagion.checks import check_nonnegative, check_vector


def distress(
    equity: np.ndarray,
    initial_equity: np.ndarray,
    alive: np.ndarray | None = None,
    inverse_initial: np.ndarray | None = None,
) -> np.ndarray:
    """``h_i = clip(1 − E_i / E0_i, 0, 1)``, the share of initial equity lost; 1 if dead.

    ``inverse_initial`` (``1 / E0``, 0 where ``E0 <= 0``) may be passed precomputed.
    """
    if inverse_initial is None:
        inverse_initial = np.divide(
            1.0,
            initial_equity,
            out=np.zeros_like(initial_equity, dtype=np.float64),
            where=initial_equity > 0,
        )
    h = equity_distress(equity, inverse_initial)
    return h if alive is None else np.where(alive, h, 1.0)


@compiled
def equity_distress(equity: np.ndarray, inverse_initial: np.ndarray) -> np.ndarray:
    """``clip(1 − E · inverse_initial, 0, 1)`` (``inverse_initial = 1 / E0``)."""
    return np.minimum(np.maximum(1.0 - equity * inverse_initial, 0.0), 1.0)


def stress_index(
    equity: np.ndarray, initial_equity: np.ndarray, total: float | None = None
) -> float:
    """``1 − Σ max(E_i, 0) / Σ E0_i`` clipped to [0, 1]: share of system equity lost.

    ``total``, when given, is ``float(initial_equity.sum())`` precomputed.
    """
    total = float(initial_equity.sum()) if total is None else total
    return system_stress(equity, total)


@compiled
def system_stress(equity: np.ndarray, total: float) -> float:
    """:func:`stress_index` given ``total = Σ E0``."""
    if total <= 0:
        return 0.0
    lost = 1.0 - np.maximum(equity, 0.0).sum() / total
    return min(max(lost, 0.0), 1.0)


def systemic_loss(initial_equity: np.ndarray, equity: np.ndarray) -> float:
    """``Σ min(max(E0_i − E_i, 0), E0_i)``: equity lost across banks (currency).

    Each bank's loss is capped at its initial equity (shareholders lose at most what
    they had; what exceeds it falls on creditors, which the clearing accounts for).
    """
    return float(
        np.minimum(np.maximum(initial_equity - equity, 0.0), initial_equity).sum()
    )


@compiled
def liquidity_ratio(
    cash: np.ndarray, liquid_value: np.ndarray, liabilities: np.ndarray, runoff: float
) -> np.ndarray:
    """Per bank ``min(1, (cash + liquid securities) / (runoff · liabilities))``.

    A liquidity-coverage ratio in [0, 1]; 1 for a bank without liabilities.
    """
    ratio = positive_ratio(cash + liquid_value, runoff * liabilities, 1.0)
    return np.minimum(np.maximum(ratio, 0.0), 1.0)  # np.clip, without its wrapper


def liquidity_index(
    cash: np.ndarray, liquid_value: np.ndarray, liabilities: np.ndarray
) -> float:
    """``Σ (cash + liquid securities) / Σ liabilities`` of the system (0 if none owe)."""
    total = float(liabilities.sum())
    return float((cash.sum() + liquid_value.sum()) / total) if total > 0 else 0.0


def contagion_depth(default_round: np.ndarray) -> int:
    """Waves of a default cascade: the largest clearing round in which a bank
    defaulted (1 = only fundamental defaults, 0 = no default)."""
    return int(max(default_round.max(initial=-1), 0))


def netting_efficiency(L: Any) -> float:
    """``1 − Σ_i max(net_i, 0) / Σ_ij L_ij`` with ``net_i = Σ_j L_ij − Σ_j L_ji``.

    The share of gross obligations that multilateral netting removes (0 if none).
    """
    matrix = sp.csr_matrix(L) if sp.issparse(L) else np.asarray(L, dtype=np.float64)
    gross = float(matrix.sum())
    if gross <= 0:
        return 0.0
    owed = np.asarray(matrix.sum(axis=1)).ravel()
    due = np.asarray(matrix.sum(axis=0)).ravel()
    return 1.0 - float(np.maximum(owed - due, 0.0).sum()) / gross


def impact_matrix(A: Any, E: np.ndarray) -> np.ndarray | sp.csr_matrix:
    """``Λ_ij = A_ij / E_i``: the share of i's equity lost when j is worthless."""
    inverse = np.divide(1.0, E, out=np.zeros_like(E), where=E > 0)
    if sp.issparse(A):
        return sp.csr_matrix(sp.diags(inverse) @ A)
    return inverse[:, None] * np.asarray(A, dtype=np.float64)


def debtrank(
    A: Any,
    E: Any,
    h0: Any,
    v: Any = None,
    differential: bool = False,
    max_iter: int = 10_000,
    tol: float = 1e-14,
) -> tuple[np.ndarray, float]:
    """DebtRank: final distress ``h`` and the systemic impact ``R`` of ``h0``.

    ``A[i, j]`` is bank i's claim on bank j (currency, >= 0), ``E`` equity (> 0 for
    banks that can be distressed), ``h0`` initial distress in [0, 1], ``v`` economic
    weights (default ``E / ΣE``). ``R = Σ_i v_i (h_i − h0_i)``.

    ``differential=False`` (Battiston et al. 2012): ``W_ij = min(1, A_ij / E_i)``;
    distressed banks pass on distress once, ``h_i ← min(1, h_i + Σ_{j distressed}
    W_ij h_j)``, then become inactive; it ends after at most n+1 rounds.

    ``differential=True`` (Bardoscia et al. 2015): ``h(t+1) = min(1, h(t) +
    Λ (h(t) − h(t−1)))`` with ``Λ_ij = A_ij / E_i`` and ``h(−1) = 0``; while no
    bank saturates and ρ(Λ) < 1 its limit is ``(I − Λ)⁻¹ h0``.
    """
    energy = check_vector("E", E)
    n = energy.shape[0]
    start = check_vector("h0", h0, n)
    if np.any((start < 0) | (start > 1)):
        raise ValueError(
            f"`h0` must be in [0, 1], got min {start.min()} max {start.max()}"
        )
    weights = energy / energy.sum() if v is None else check_vector("v", v, n)
    exposures = (
        sp.csr_matrix(A, dtype=np.float64)
        if sp.issparse(A)
        else np.asarray(A, dtype=np.float64)
    )
    if exposures.shape != (n, n):
        raise ValueError(f"`A` must be [{n}, {n}] to match `E`, got {exposures.shape}")
    entries = exposures.data if sp.issparse(exposures) else exposures
    if not np.all(np.isfinite(entries)):
        raise ValueError("`A` must be finite")
    check_nonnegative("A", entries)
    impact = impact_matrix(exposures, energy)
    if differential:
        h = _differential(impact, start, max_iter, tol)
    else:
        h = _original(impact, start, n)
    return h, float(weights @ (h - start))


def _differential(impact: Any, h0: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
    previous, h = np.zeros_like(h0), h0.copy()
    for _ in range(max_iter):
        step = impact @ (h - previous)
        previous, h = h, np.minimum(1.0, h + step)
        if np.abs(h - previous).max(initial=0.0) <= tol * max(1.0, np.abs(h).max()):
            break
    return h


def _original(impact: Any, h0: np.ndarray, n: int) -> np.ndarray:
    weights = impact.minimum(1.0) if sp.issparse(impact) else np.minimum(impact, 1.0)
    h = h0.copy()
    distressed = h > 0
    inactive = np.zeros(n, dtype=bool)
    for _ in range(n + 1):
        if not distressed.any():
            break
        spread = weights @ np.where(distressed, h, 0.0)
        h = np.minimum(1.0, h + spread)
        inactive |= distressed
        distressed = (h > 0) & ~inactive
    return h
