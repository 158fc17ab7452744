"""Exact Eisenberg–Noe / Rogers–Veraart clearing by the fictitious default algorithm.

``L[i, j]`` is the nominal amount bank ``i`` owes bank ``j``; ``p̄ = L·1`` are the
total nominal liabilities and ``Π = diag(p̄)⁻¹ L`` the relative liability matrix
(rows of banks with no liabilities are zero). ``e`` are external assets (``>= 0``).

A clearing vector satisfies, for every bank ``i``,

    p_i = p̄_i                              if p̄_i <= e_i + (Πᵀp)_i   (solvent)
    p_i = α e_i + β (Πᵀp)_i                otherwise                   (default)

(Rogers & Veraart 2013). With ``α = β = 1`` this is Eisenberg & Noe (2001):
``p = min(p̄, max(0, e + Πᵀp))``; since ``e >= 0`` the ``max(0, ·)`` never binds.

The fictitious default algorithm starts from ``p = p̄``, marks the banks that default
even when everybody pays in full, solves the *linear* system for the payments of the
defaulted set ``D`` exactly,

    (I − β Π_DDᵀ) p_D = α e_D + β Π_SDᵀ p̄_S,

and repeats with the banks that the lower payments push into default. The default set
only grows, so it stops after at most ``n`` rounds with the greatest clearing vector.
No fixed-point iteration is truncated: each round is one exact linear solve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from gridmarket.envs.contagion.arrays import compiled, fill, positive_ratio
from gridmarket.envs.contagion.checks import (
    check_float,
    check_nonnegative,
    check_vector,
)

# A bank defaults when its resources fall short of its liabilities by more than this
# relative amount; it keeps round-off in the sums from flagging solvent banks.
DEFAULT_TOLERANCE = 1e-12
# Defaulted sets up to this size are solved densely (LAPACK); larger ones by sparse LU.
DENSE_SOLVE_LIMIT = 200


@dataclass(frozen=True)
class ClearingResult:
    """The greatest clearing vector and how the default cascade unfolded.

    Attributes:
        payments: ``p``, total payment of each node (currency units).
        defaulted: ``p_i < p̄_i`` (bool).
        nominal: ``p̄``, total nominal liabilities (currency units).
        default_round: round of the fictitious default algorithm in which each node
            defaulted (1 = fundamental default, k = k-th contagion wave), -1 if none.
        rounds: number of rounds with new defaults (the contagion depth).
    """

    payments: np.ndarray
    defaulted: np.ndarray
    nominal: np.ndarray
    default_round: np.ndarray
    rounds: int


def clear_edges(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    amounts: np.ndarray,
    external: np.ndarray,
    alpha: float = 1.0,
    beta: float = 1.0,
    forced: np.ndarray | None = None,
) -> ClearingResult:
    """Greatest clearing vector of the liability list ``debtor -> creditor: amount``.

    The unchecked fast path behind :func:`clearing_vector`: inputs must already be
    valid (no self-loops, finite, ``>= 0``). Edges may repeat; they add up.

    ``forced`` (bool, optional) marks nodes in resolution whatever their solvency:
    they pay ``min(p̄_i, α e_i + β (Πᵀp)_i)``, i.e. they default whenever their
    liquidation value falls short of their liabilities.
    """
    # Round 1 (everybody pays in full) needs no relative liabilities: the inflow is
    # the nominal amounts themselves. Most steps end here, with no default.
    nominal, short = first_round(
        n, debtors, creditors, amounts, external, alpha, beta, forced
    )
    if not np.count_nonzero(short):
        return no_default_result(nominal, short)
    relative = share_of_nominal(debtors, amounts, nominal)
    defaulted = np.zeros(n, dtype=bool)
    default_round = fill(n, -1, np.int64)
    rounds = 0
    while mark_defaults(short, defaulted, default_round, rounds + 1):
        rounds += 1
        payments = _solve_defaulted(
            n, debtors, creditors, relative, nominal, external, defaulted, alpha, beta
        )
        short = shortfalls(
            (debtors, creditors, relative),
            payments,
            nominal,
            external,
            alpha,
            beta,
            forced,
        )
    return ClearingResult(payments, defaulted, nominal, default_round, rounds)


@compiled
def share_of_nominal(
    debtors: np.ndarray, amounts: np.ndarray, nominal: np.ndarray
) -> np.ndarray:
    """Π on the edges: each amount over its debtor's nominal total (0 for none)."""
    return positive_ratio(amounts, nominal[debtors], 0.0)


@compiled
def mark_defaults(
    short: np.ndarray,
    defaulted: np.ndarray,
    default_round: np.ndarray,
    round_number: int,
) -> bool:
    """Adds the ``short`` nodes not yet ``defaulted`` to it (in place), recording
    ``round_number`` for them; whether there were any."""
    any_new = False
    for node in range(short.shape[0]):
        if short[node] and not defaulted[node]:
            defaulted[node] = True
            default_round[node] = round_number
            any_new = True
    return any_new


@compiled
def shortfalls(edges, payments, nominal, external, alpha, beta, forced):
    """The nodes short of their nominal liabilities when each pays ``payments``
    (``edges`` = (debtors, creditors, Π on the edges))."""
    debtors, creditors, relative = edges
    inflow = np.bincount(creditors, relative * payments[debtors], nominal.shape[0])
    return short_nodes(nominal, external, inflow, alpha, beta, forced)


def no_default_result(nominal: np.ndarray, defaulted: np.ndarray) -> ClearingResult:
    """The result when every node pays its ``nominal`` in full (``defaulted``:
    the all-False mask, kept as the result's)."""
    no_default = fill(nominal.shape[0], -1, np.int64)
    return ClearingResult(nominal.copy(), defaulted, nominal, no_default, 0)


@compiled
def first_round(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    amounts: np.ndarray,
    external: np.ndarray,
    alpha: float,
    beta: float,
    forced: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(nominal [n], short [n] bool)``: the nominal liabilities, and the nodes
    short when everybody pays in full (their inflow is the nominal amounts)."""
    nominal = np.bincount(debtors, amounts, n)
    inflow = np.bincount(creditors, amounts, n)
    return nominal, short_nodes(nominal, external, inflow, alpha, beta, forced)


@compiled
def short_of(nominal: np.ndarray, resources: np.ndarray) -> np.ndarray:
    """Nodes whose ``resources`` fall short of their ``nominal`` liabilities by
    more than the relative ``DEFAULT_TOLERANCE`` (bool)."""
    return nominal - resources > DEFAULT_TOLERANCE * np.maximum(nominal, resources)


@compiled
def short_nodes(
    nominal: np.ndarray,
    external: np.ndarray,
    inflow: np.ndarray,
    alpha: float,
    beta: float,
    forced: np.ndarray | None,
) -> np.ndarray:
    """Nodes whose resources fall short of their nominal liabilities; ``forced``
    nodes count their resources at liquidation value (``α e + β inflow``)."""
    resources = external + inflow
    if forced is not None:
        resources = np.where(forced, alpha * external + beta * inflow, resources)
    return short_of(nominal, resources)


def _solve_defaulted(
    n: int,
    debtors: np.ndarray,
    creditors: np.ndarray,
    relative: np.ndarray,
    nominal: np.ndarray,
    external: np.ndarray,
    defaulted: np.ndarray,
    alpha: float,
    beta: float,
) -> np.ndarray:
    """Payments when exactly ``defaulted`` default: one exact linear solve."""
    edges, shares = (debtors, creditors, relative), (alpha, beta)
    k = np.count_nonzero(defaulted)
    if k <= DENSE_SOLVE_LIMIT:
        payments, solution = dense_payments(edges, nominal, external, defaulted, shares)
    else:
        members, rhs, (rows, cols, weights) = defaulted_system(
            edges, nominal, external, defaulted, shares
        )
        matrix = sp.csc_matrix((weights, (rows, cols)), shape=(k, k)) + sp.identity(
            k, format="csc"
        )
        solution = np.atleast_1d(spsolve(matrix, rhs))
        payments = nominal.copy()
        payments[members] = np.clip(solution, 0.0, nominal[members])
    if not np.logical_and.reduce(np.isfinite(solution)):
        raise RuntimeError(
            f"clearing: the linear system of {k} defaulted banks is singular; this "
            "needs a closed group of defaulted banks owing only each other with "
            "beta=1, which cannot occur with external assets e >= 0"
        )
    return payments


@compiled
def dense_payments(edges, nominal, external, defaulted, shares):
    """``(payments, solution)``: ``defaulted_system`` solved densely (LAPACK),
    the defaulted nodes paying their solution clipped to ``[0, nominal]``."""
    members, rhs, (rows, cols, weights) = defaulted_system(
        edges, nominal, external, defaulted, shares
    )
    k = members.size
    flat = np.bincount(rows * k + cols, weights, k * k)  # sums repeated edges
    flat[:: k + 1] += 1.0
    solution = np.linalg.solve(flat.reshape(k, k), rhs)
    payments = nominal.copy()
    payments[members] = np.minimum(np.maximum(solution, 0.0), nominal[members])
    return payments, solution


@compiled
def defaulted_system(edges, nominal, external, defaulted, shares):
    """``(I − β Π_DDᵀ) p_D = α e_D + β Π_SDᵀ p̄_S`` for the ``defaulted`` set D.

    ``edges`` = (debtors, creditors, Π on the edges), ``shares`` = (α, β).
    Returns ``(members of D, right-hand side, (rows, cols, weights) of
    −β Π_DDᵀ)``.
    """
    debtors, creditors, relative = edges
    alpha, beta = shares
    index = np.full(nominal.shape[0], -1)
    members = np.flatnonzero(defaulted)
    k = members.size
    index[members] = np.arange(k)
    debtor_defaulted, creditor_defaulted = defaulted[debtors], defaulted[creditors]
    from_solvent = ~debtor_defaulted & creditor_defaulted
    received = relative[from_solvent] * nominal[debtors[from_solvent]]
    rhs = alpha * external[members] + beta * np.bincount(
        index[creditors[from_solvent]], received, k
    )
    inside = debtor_defaulted & creditor_defaulted
    rows = index[creditors[inside]]  # equation of the creditor j ...
    cols = index[debtors[inside]]  # ... receives from debtor i
    weights = -beta * relative[inside]
    return members, rhs, (rows, cols, weights)


def clearing_vector(
    L: Any, e: Any, alpha: float = 1.0, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The greatest Eisenberg–Noe / Rogers–Veraart clearing vector, exactly.

    Args:
        L: ``[n, n]`` nominal liabilities, ``L[i, j]`` = what bank ``i`` owes bank
            ``j`` (currency units, ``>= 0``, zero diagonal); a numpy array or any
            ``scipy.sparse`` matrix/array.
        e: ``[n]`` external assets of each bank (currency units, ``>= 0``).
        alpha: share of external assets a defaulting bank realizes, in ``[0, 1]``.
        beta: share of interbank receipts a defaulting bank realizes, in ``[0, 1]``.
            ``alpha = beta = 1`` is Eisenberg–Noe.

    Returns:
        ``(payments, defaulted)``: ``p`` (float64 ``[n]``, currency units) and the
        bool ``[n]`` mask of banks paying less than their nominal liabilities.
    """
    n, debtors, creditors, amounts = liability_edges(L)
    external = check_vector("e", e, n)
    check_nonnegative("e", external)
    alpha = check_float("alpha", alpha, 0.0, 1.0)
    beta = check_float("beta", beta, 0.0, 1.0)
    result = clear_edges(n, debtors, creditors, amounts, external, alpha, beta)
    return result.payments, result.defaulted


def liability_edges(L: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``(n, debtors, creditors, amounts)`` of a checked liability matrix."""
    if sp.issparse(L):
        shape = L.shape
        coo = sp.coo_matrix(L)
        debtors, creditors = coo.row.astype(np.int64), coo.col.astype(np.int64)
        amounts = np.asarray(coo.data, dtype=np.float64)
    else:
        try:
            dense = np.asarray(L, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"`L` must be a numeric [n, n] array or scipy.sparse matrix, got "
                f"{type(L).__name__}"
            ) from error
        shape = dense.shape
        if dense.ndim == 2 and shape[0] == shape[1]:
            debtors, creditors = np.nonzero(dense)
            amounts = dense[debtors, creditors]
        else:
            debtors = creditors = amounts = np.empty(0)
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
        raise ValueError(f"`L` must be a square [n, n] matrix with n >= 1, got {shape}")
    bad = ~np.isfinite(amounts)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`L` must be finite, got {amounts[i]} at L[{debtors[i]}, {creditors[i]}]"
        )
    negative = amounts < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"`L` must be >= 0, got {amounts[i]} at L[{debtors[i]}, {creditors[i]}]"
        )
    loops = (debtors == creditors) & (amounts != 0)
    if loops.any():
        i = int(np.flatnonzero(loops)[0])
        raise ValueError(
            f"`L` must have a zero diagonal (a bank cannot owe itself), got "
            f"L[{debtors[i]}, {debtors[i]}] = {amounts[i]}"
        )
    return int(shape[0]), debtors, creditors, amounts
