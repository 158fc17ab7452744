"""contagion_v0 speed on one core, side by side with a dense Picard reference.

    OMP_NUM_THREADS=1 python benchmarks/contagion_steps.py [--seconds 3] [--repeats 3]

Each cell is the median of ``--repeats`` runs of ``--seconds`` of timed steps
(the 10,000-bank dense reference: one run of at most 3 steps). Setup: the
``systemic`` scenario, every bank acting each step with seeded random actions in
[0, 0.2] through the ParallelEnv API (a dict in, five dicts out). Resets
(new networks) are outside the timed region. The reference runs the same env with
the exact clearing replaced by a plain dense Picard iteration
``p <- Φ(p)`` from ``p = p̄`` until ``max|Δp| <= 1e-12 · max p̄`` (at most 10,000
rounds), on the dense ``(n+1) x (n+1)`` liability matrix built each step.

Clearing at 1,000 banks: a systemic world after a 12% illiquid price fall (a
default cascade), deposits as a sink node, timed through the public
``clearing_vector`` (scipy.sparse input) and the edge-list core ``clear_edges``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from gridmarket.envs import contagion_v0  # noqa: E402
from gridmarket.envs.contagion import accounts, resolution  # noqa: E402
from gridmarket.envs.contagion.clearing import (  # noqa: E402
    ClearingResult,
    clear_edges,
    clearing_vector,
)

SIZES = (30, 100, 1000, 10_000)


def picard_dense(
    n, debtors, creditors, amounts, external, alpha=1.0, beta=1.0, forced=None
):
    """The reference: dense Π, fixed-point iteration of the clearing map from p̄."""
    liabilities = np.zeros((n, n))
    np.add.at(liabilities, (debtors, creditors), amounts)
    nominal = liabilities.sum(axis=1)
    pi = np.divide(
        liabilities,
        nominal[:, None],
        out=np.zeros_like(liabilities),
        where=nominal[:, None] > 0,
    )
    forced = np.zeros(n, dtype=bool) if forced is None else forced
    payments = nominal.copy()
    tol = 1e-12 * max(nominal.max(initial=0.0), 1.0)
    rounds = 0
    for rounds in range(1, 10_001):  # noqa: B007
        inflow = pi.T @ payments
        full = np.where(forced, alpha * external + beta * inflow, external + inflow)
        new = np.where(
            full >= nominal,
            nominal,
            np.minimum(nominal, alpha * external + beta * inflow),
        )
        change = np.abs(new - payments).max(initial=0.0)
        payments = new
        if change <= tol:
            break
    defaulted = payments < nominal * (1 - 1e-12)
    return ClearingResult(
        payments, defaulted, nominal, np.where(defaulted, 1, -1), rounds
    )


@contextmanager
def dense_reference_clearing():
    original = resolution.clear_edges
    resolution.clear_edges = picard_dense
    try:
        yield
    finally:
        resolution.clear_edges = original


def env_steps_per_second(n: int, seconds: float, max_steps: int) -> tuple[float, int]:
    env = contagion_v0.parallel_env(num_banks=n, scenario="systemic", max_steps=100)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    done, elapsed = 0, 0.0
    while elapsed < seconds and done < max_steps:
        if not env.agents:
            env.reset()
        actions = 0.2 * rng.random((n, 4), dtype=np.float32)
        start = time.perf_counter()
        env.step(dict(zip(env.agents, actions, strict=True)))
        elapsed += time.perf_counter() - start
        done += 1
    return done / elapsed, done


def median_rate(
    n: int, seconds: float, max_steps: int, repeats: int
) -> tuple[float, int]:
    """Median steps/s over ``repeats`` runs, and the steps timed in the median run."""
    runs = sorted(env_steps_per_second(n, seconds, max_steps) for _ in range(repeats))
    return runs[len(runs) // 2]


def clearing_problem(n: int = 1000):
    env = contagion_v0.parallel_env(num_banks=n, scenario="systemic")
    env.reset(seed=0)
    net, world = env.net, env.world.copy()
    world.prices = world.prices * np.array([1.0, 0.88])
    debtors = np.concatenate([net.debtors, np.arange(n)])
    creditors = np.concatenate([net.creditors, np.full(n, n)])
    amounts = np.concatenate([world.interbank, world.external_liabilities])
    external = np.append(accounts.external_assets(world), 0.0)
    return n + 1, debtors, creditors, amounts, external


def best_of(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def clearing_table() -> None:
    size, debtors, creditors, amounts, external = clearing_problem()
    matrix = sp.csr_matrix((amounts, (debtors, creditors)), shape=(size, size))
    alpha, beta = 0.9, 0.95
    fast = clear_edges(size, debtors, creditors, amounts, external, alpha, beta)
    reference = picard_dense(size, debtors, creditors, amounts, external, alpha, beta)
    t_public = best_of(lambda: clearing_vector(matrix, external, alpha, beta), 10)
    t_edges = best_of(
        lambda: clear_edges(size, debtors, creditors, amounts, external, alpha, beta),
        10,
    )
    t_dense = best_of(
        lambda: picard_dense(size, debtors, creditors, amounts, external, alpha, beta),
        3,
    )
    gap = np.abs(fast.payments - reference.payments).max()
    print(
        f"\nClearing, 1,000 banks + depositor sink, {int(fast.defaulted.sum())} defaults in {fast.rounds} waves (alpha={alpha}, beta={beta})"
    )
    print("| method | time (ms) | vs dense Picard |")
    print("|---|---:|---:|")
    print(
        f"| exact FDA, `clearing_vector` (scipy.sparse in) | {t_public * 1e3:.2f} | {t_dense / t_public:.1f}x faster |"
    )
    print(
        f"| exact FDA, `clear_edges` (edge lists, env path) | {t_edges * 1e3:.2f} | {t_dense / t_edges:.1f}x faster |"
    )
    print(
        f"| dense Picard reference ({reference.rounds} rounds) | {t_dense * 1e3:.2f} | 1.0x |"
    )
    print(f"max |p_exact - p_picard| = {gap:.2e} (of max p̄ {fast.nominal.max():.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="timed seconds per cell"
    )
    args = parser.parse_args()
    print(
        "| banks | env steps/s (exact clearing) | env steps/s (dense Picard reference) | ratio | target |"
    )
    print("|---:|---:|---:|---:|---|")
    targets = {100: ">= 1,000", 1000: ">= 100"}
    for n in SIZES:
        fast, _ = env_steps_per_second(n, args.seconds, 100_000)
        with dense_reference_clearing():
            reference, done = env_steps_per_second(
                n, args.seconds, 3 if n >= 10_000 else 100_000
            )
        print(
            f"| {n:,} | {fast:,.0f} | {reference:,.1f} ({done} timed) | {fast / reference:.1f}x | "
            f"{targets.get(n, '-')} |",
            flush=True,
        )
    clearing_table()


if __name__ == "__main__":
    main()
