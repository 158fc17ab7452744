"""The arrays of a contagion_v0 world: a static ``Network`` and a dynamic ``State``.

Index conventions: banks ``0..n-1``; securities ``0`` (liquid) and ``1`` (illiquid);
liability edges ``0..E-1`` with ``debtors[e]`` owing ``creditors[e]`` the amount
``State.interbank[e]``. The edge list holds both directions of every network link,
sorted by debtor, so it doubles as the neighbour list (``neighbour_ptr`` is its CSR
row pointer). Money is in currency units, securities in units.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Network:
    """What reset draws and no step changes.

    Attributes:
        num_banks: n.
        debtors, creditors: ``[E]`` int64 endpoints of the liability edges.
        neighbour_ptr: ``[n+1]`` CSR row pointer of the edges (sorted by debtor).
        links: ``[M, 2]`` undirected network links (for rendering).
        core: ``[n]`` bool, core banks.
        exchange_of: ``[n]`` exchange each bank trades on.
        ccp_of: ``[n]`` CCP each bank is a member of (its exchange's CCP).
        exchange_ccp: ``[X]`` CCP each exchange clears through.
        exchange_capacity: ``[X]`` value each exchange executes per step (currency).
        depth: ``[2]`` market depth of each security (units).
        impact: ``[2]`` price-impact coefficient ``b`` of each security.
        fundamental_price: ``[2]`` price that prices revert to (currency per unit).
        initial_equity, initial_assets: ``[n]`` at reset (currency), for scaling.
    """

    num_banks: int
    debtors: np.ndarray
    creditors: np.ndarray
    neighbour_ptr: np.ndarray
    links: np.ndarray
    core: np.ndarray
    exchange_of: np.ndarray
    ccp_of: np.ndarray
    exchange_ccp: np.ndarray
    exchange_capacity: np.ndarray
    depth: np.ndarray
    impact: np.ndarray
    fundamental_price: np.ndarray
    initial_equity: np.ndarray
    initial_assets: np.ndarray

    @property
    def num_exchanges(self) -> int:
        return int(self.exchange_capacity.shape[0])

    @property
    def num_ccps(self) -> int:
        return int(self.exchange_ccp.max()) + 1

    # Derived arrays, computed once per network (the step reads them every time).
    @functools.cached_property
    def degree(self) -> np.ndarray:
        return np.diff(self.neighbour_ptr)

    @functools.cached_property
    def has_isolated(self) -> bool:
        """Whether some bank has no network neighbour."""
        return bool((self.degree == 0).any())

    @functools.cached_property
    def inverse_degree(self) -> np.ndarray:
        """``1 / degree`` (0 for isolated banks)."""
        degree = self.degree.astype(np.float64)
        return np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)

    @functools.cached_property
    def neighbour_starts(self) -> np.ndarray:
        """Row starts for ``reduceat`` over the edges (clamped for empty rows)."""
        last = max(int(self.debtors.shape[0]) - 1, 0)
        return np.minimum(self.neighbour_ptr[:-1], last)

    @functools.cached_property
    def inverse_initial_equity(self) -> np.ndarray:
        """``1 / initial_equity`` (0 where it is not positive)."""
        equity = self.initial_equity
        return np.divide(1.0, equity, out=np.zeros_like(equity), where=equity > 0)

    @functools.cached_property
    def total_equity(self) -> float:
        """``Σ initial_equity`` (currency), the stress index's denominator."""
        return float(self.initial_equity.sum())

    @functools.cached_property
    def sink_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(debtors, creditors)`` of the clearing network: the interbank edges,
        then one edge from each bank to the depositor sink node ``n``."""
        n = self.num_banks
        return (
            np.concatenate([self.debtors, np.arange(n)]),
            np.concatenate([self.creditors, np.full(n, n)]),
        )


@dataclass
class State:
    """Every account in the world at the start of a step.

    Banks (``[n]`` unless stated):
        cash; units ``[n, 2]`` securities owned (queued sell orders included);
        pending ``[n, 2]`` units queued for sale on the bank's exchange;
        external_liabilities (deposits and debts to outsiders); initial_margin and
        default_fund posted at the bank's CCP; position, futures on the illiquid
        security (units, + long); receivable ``[d, n]`` sale proceeds due from the
        CCP in ``k+1`` steps; alive; default_step (-1 while alive); book_equity,
        equity carried forward by the P&L of every event (double entry, checked
        against assets − liabilities); forced_liquid / forced_capital: value the
        bank must sell next step (liquidity and capital deleveraging).
    Edges: interbank ``[E]``, nominal debt of ``debtors[e]`` to ``creditors[e]``.
    Market: prices ``[2]``; marked_price, the futures price of the last margin
        call; variance, EWMA variance of illiquid log-returns; last_return.
    Infrastructure: exchange_cash ``[X]``; congestion ``[X]`` of the last step;
        ccp_cash ``[C]``; ccp_sitg ``[C]`` skin in the game left; outside_position
        ``[C]`` futures of the outside member; escrow_units ``[d, 2]`` units sold and
        awaiting delivery to outside buyers.
    Outside world (the sink/source of every external flow): outside_cash,
        outside_units ``[2]``. Its claims on banks are ``external_liabilities``.
    """

    t: int
    cash: np.ndarray
    units: np.ndarray
    pending: np.ndarray
    external_liabilities: np.ndarray
    interbank: np.ndarray
    initial_margin: np.ndarray
    default_fund: np.ndarray
    position: np.ndarray
    receivable: np.ndarray
    alive: np.ndarray
    default_step: np.ndarray
    book_equity: np.ndarray
    forced_liquid: np.ndarray
    forced_capital: np.ndarray
    prices: np.ndarray
    marked_price: float
    variance: float
    last_return: float
    exchange_cash: np.ndarray
    congestion: np.ndarray
    ccp_cash: np.ndarray
    ccp_sitg: np.ndarray
    outside_position: np.ndarray
    escrow_units: np.ndarray
    outside_cash: float
    outside_units: np.ndarray

    def copy(self) -> State:
        """A deep copy (every array copied)."""
        clone = object.__new__(State)
        clone.__dict__.update(
            {
                name: value.copy() if isinstance(value, np.ndarray) else value
                for name, value in self.__dict__.items()
            }
        )
        return clone

    def fork(self) -> State:
        """A shallow copy: ``core.step`` replaces arrays rather than writing into
        them, so the copy shares every array and ``self`` stays as it was."""
        clone = object.__new__(State)
        clone.__dict__.update(self.__dict__)
        return clone


def state_equal(a: State, b: State) -> bool:
    """True when every field of two states is exactly equal."""
    for item in fields(a):
        left, right = getattr(a, item.name), getattr(b, item.name)
        if isinstance(left, np.ndarray):
            if left.shape != right.shape or not np.array_equal(left, right):
                return False
        elif left != right:
            return False
    return True
