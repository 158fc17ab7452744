"""contagion_v0 speed on one core: this tree side by side with an anchor tree.

    OMP_NUM_THREADS=1 python benchmarks/contagion_steps.py \
        [--anchor-python /path/to/before/.venv/bin/python] [--seconds 3] [--repeats 3]
        [--max-action 1.0] [--sizes 30 100 1000] [--picard] [--vector-worlds 8]

The default case: the ``systemic`` scenario, every live bank acting each step with
seeded random actions uniform in ``[0, --max-action]`` (1.0: a fresh, untrained
policy) through the ParallelEnv API (a dict in, five dicts out); resets (new
networks) and 20 warm-up steps (a compiled step's one-time loading) are outside
the timed region. The compile itself is timed by ``core.compile_kernels`` (see
BENCHMARKS.md). Each cell is the median of ``--repeats``
runs of ``--seconds`` of timed steps, each run in a fresh interpreter; with
``--anchor-python`` (the interpreter of another checkout, e.g. the commit before a
change) the two trees alternate run by run and the table prints their ratio.

``--vector-worlds W`` adds the array path (``ContagionVectorEnv``, W worlds).
``--picard`` adds the earlier anchor of the exact clearing: the same env with the
clearing replaced by a plain dense Picard iteration ``p <- Φ(p)`` from ``p = p̄``
until ``max|Δp| <= 1e-12 · max p̄`` (at most 10,000 rounds) on the dense
``(n+1) x (n+1)`` liability matrix built each step, and the clearing of a 1,000-bank
default cascade through ``clearing_vector`` and the edge-list core ``clear_edges``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
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
WARMUP_STEPS = 20


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


def make_env(n: int, scenario: str = "systemic"):
    """The ParallelEnv; trees from before ``max_cycles`` take ``max_steps``."""
    try:
        return contagion_v0.parallel_env(num_banks=n, scenario=scenario, max_cycles=100)
    except TypeError:
        return contagion_v0.parallel_env(num_banks=n, scenario=scenario, max_steps=100)


def env_steps_per_second(
    n: int, seconds: float, max_steps: int, max_action: float = 1.0, clock=None
) -> tuple[float, int]:
    """Steps/s of ``env.step`` alone (action dicts and resets are not timed), by
    ``clock`` (wall time by default; ``time.process_time`` counts CPU time).
    ``WARMUP_STEPS`` untimed steps first: a tree with a compiled step loads (or
    compiles) it on first use, a one-time cost measured apart."""
    clock = time.perf_counter if clock is None else clock
    env = make_env(n)
    index = {agent: i for i, agent in enumerate(env.possible_agents)}
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    for _ in range(WARMUP_STEPS):
        if not env.agents:
            env.reset()
        actions = max_action * rng.random((n, 4), dtype=np.float32)
        env.step({agent: actions[index[agent]] for agent in env.agents})
    env.reset(seed=0)
    done, elapsed = 0, 0.0
    while elapsed < seconds and done < max_steps:
        if not env.agents:
            env.reset()
        actions = max_action * rng.random((n, 4), dtype=np.float32)
        action_dict = {agent: actions[index[agent]] for agent in env.agents}
        start = clock()
        env.step(action_dict)
        elapsed += clock() - start
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


def run_cell(
    python: str, n: int, seconds: float, max_action: float
) -> tuple[float, float]:
    """(steps per wall second, steps per CPU second) of one run in a fresh
    ``python`` (this file, ``--cell`` mode)."""
    command = [python, __file__, "--cell", str(n), str(seconds), str(max_action)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["wall"], result["cpu"]


def comparison_table(args: argparse.Namespace) -> None:
    """Per cell: median steps per wall second and per CPU second (the process's
    own CPU time, which other jobs on a shared machine inflate less)."""
    targets = {100: ">= 2,000", 1000: ">= 200"}
    anchor = args.anchor_python
    print(
        f"env steps/s, systemic, actions U[0, {args.max_action}], resets excluded, "
        f"median of {args.repeats} (wall clock / CPU time of the process)"
    )
    print("| banks | this tree | anchor tree | ratio (wall / CPU) | target |")
    print("|---:|---:|---:|---:|---|")
    for n in args.sizes:
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(run_cell(sys.executable, n, args.seconds, args.max_action))
            if anchor:
                theirs.append(run_cell(anchor, n, args.seconds, args.max_action))
        fast = np.median(np.array(ours), axis=0)
        cells = [f"{fast[0]:,.0f} / {fast[1]:,.0f}", "-", "-"]
        if theirs:
            base = np.median(np.array(theirs), axis=0)
            cells[1] = f"{base[0]:,.0f} / {base[1]:,.0f}"
            cells[2] = f"{fast[0] / base[0]:.2f}x / {fast[1] / base[1]:.2f}x"
        print(f"| {n:,} | {' | '.join(cells)} | {targets.get(n, '-')} |", flush=True)


def vector_steps_per_second(n: int, worlds: int, seconds: float) -> tuple[float, float]:
    """(world-steps/s, bank-steps/s) of ``ContagionVectorEnv`` with U[0, 1] actions
    as one ``[W, N, 4]`` array; auto-resets of finished worlds are included."""
    from gridmarket.envs.contagion.vector import ContagionVectorEnv

    vec = ContagionVectorEnv(worlds, seed=0, num_banks=n, scenario="systemic")
    rng = np.random.default_rng(0)
    _, info = vec.reset()
    for _ in range(WARMUP_STEPS):  # a compiled step's one-time loading
        _, _, _, _, info = vec.step(rng.random((worlds, n, 4), dtype=np.float32))
    alive = info["alive"]
    steps, agent_steps, elapsed = 0, 0, 0.0
    while elapsed < seconds:
        actions = rng.random((worlds, n, 4), dtype=np.float32)
        start = time.process_time()
        _, _, _, _, info = vec.step(actions)
        elapsed += time.process_time() - start
        agent_steps += int(alive.sum())
        alive = info["alive"]
        steps += worlds
    return steps / elapsed, agent_steps / elapsed


def vector_table(seconds: float, worlds: int) -> None:
    print(
        f"\nContagionVectorEnv, {worlds} worlds, systemic, U[0, 1] actions, "
        "CPU time (auto-resets included)"
    )
    print("| banks | world-steps/s | live bank-steps/s |")
    print("|---:|---:|---:|")
    for n in (30, 100):
        world_rate, bank_rate = vector_steps_per_second(n, worlds, seconds)
        print(f"| {n:,} | {world_rate:,.0f} | {bank_rate:,.0f} |", flush=True)


def picard_table(seconds: float) -> None:
    print(
        "\n| banks | env steps/s (exact clearing) | env steps/s (dense Picard "
        "reference) | ratio |"
    )
    print("|---:|---:|---:|---:|")
    for n in SIZES:
        fast, _ = env_steps_per_second(n, seconds, 100_000, 0.2)
        with dense_reference_clearing():
            reference, done = env_steps_per_second(
                n, seconds, 3 if n >= 10_000 else 100_000, 0.2
            )
        print(
            f"| {n:,} | {fast:,.0f} | {reference:,.1f} ({done} timed) | "
            f"{fast / reference:.1f}x |",
            flush=True,
        )
    clearing_table()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--cell":
        n, seconds, max_action = (
            int(sys.argv[2]),
            float(sys.argv[3]),
            float(sys.argv[4]),
        )
        wall, _ = env_steps_per_second(n, seconds, 1_000_000, max_action)
        cpu, _ = env_steps_per_second(
            n, seconds, 1_000_000, max_action, time.process_time
        )
        print(json.dumps({"wall": wall, "cpu": cpu}))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed s per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell")
    parser.add_argument("--max-action", type=float, default=1.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 1000])
    parser.add_argument("--anchor-python", help="interpreter of the anchor checkout")
    parser.add_argument("--picard", action="store_true", help="add the Picard tables")
    parser.add_argument(
        "--vector-worlds", type=int, default=0, help="add the vector env table"
    )
    args = parser.parse_args()
    comparison_table(args)
    if args.vector_worlds:
        vector_table(args.seconds, args.vector_worlds)
    if args.picard:
        picard_table(args.seconds)


if __name__ == "__main__":
    main()
