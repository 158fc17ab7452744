"""gridmarket TB vs torchgfn 2.4.1 TB on HyperGrid, side by side, one CPU thread.

Both sides use the same grid (torchgfn's original reward), batch size, network
(MLP 2x256, ReLU, K-hot input, learned P_B sharing the trunk), Adam learning
rates (1e-3 policies, 0.1 log Z), init log Z = 0, no exploration noise, gradient
clipping at norm 1. Both are scored by the same exact scorer: the terminal
distribution each learned forward policy induces, computed over the whole DAG
(`gridmarket.envs.hypergrid.exact`), against R(x)/Z. No sampling noise.

Two learning-rate regimes, identical on both sides:
- ``constant``: the rates above throughout (torchgfn's tutorial setting);
- ``decay``: both rates decayed linearly to 1/10 over the largest budget.

Throughput is trajectories per second of training (sampling + update), with the
exact evaluations outside the timed region.

Run (takes ~20 minutes with the defaults):
    pip install --no-deps torchgfn==2.4.1 && pip install einops dill tensordict torch_geometric linear-attention-transformer
    python benchmarks/hypergrid_tb_vs_torchgfn.py
    python benchmarks/hypergrid_tb_vs_torchgfn.py --grids 4x8 --regimes constant --seeds 0
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gridmarket.envs.hypergrid import core, exact  # noqa: E402

BATCH = 16
HIDDEN = [256, 256]
LR, LR_LOGZ = 1e-3, 0.1
BUDGETS = [16_384, 32_768, 81_920]  # trajectories; --budgets overrides


def lr_factor(regime: str, trajectories: int) -> float:
    """Multiplier on both learning rates after ``trajectories`` samples."""
    if regime == "constant":
        return 1.0
    return 1.0 - 0.9 * min(1.0, trajectories / BUDGETS[-1])


def run_torchgfn(
    ndim: int, height: int, regime: str, seed: int
) -> tuple[float, dict[int, float]]:
    from gfn.estimators import DiscretePolicyEstimator
    from gfn.gflownet import TBGFlowNet
    from gfn.gym import HyperGrid
    from gfn.preprocessors import KHotPreprocessor
    from gfn.samplers import Sampler
    from gfn.utils.common import set_seed
    from gfn.utils.modules import MLP

    set_seed(seed)
    env = HyperGrid(
        ndim=ndim,
        height=height,
        reward_fn_str="original",
        reward_fn_kwargs={"R0": 0.1, "R1": 0.5, "R2": 2.0},
    )
    pre = KHotPreprocessor(height=height, ndim=ndim)
    pf_module = MLP(
        input_dim=pre.output_dim,
        output_dim=env.n_actions,
        hidden_dim=HIDDEN[0],
        n_hidden_layers=len(HIDDEN),
    )
    pb_module = MLP(
        input_dim=pre.output_dim, output_dim=env.n_actions - 1, trunk=pf_module.trunk
    )
    pf = DiscretePolicyEstimator(
        pf_module, env.n_actions, preprocessor=pre, is_backward=False
    )
    pb = DiscretePolicyEstimator(
        pb_module, env.n_actions, preprocessor=pre, is_backward=True
    )
    gflownet = TBGFlowNet(pf=pf, pb=pb, init_logZ=0.0)
    sampler = Sampler(estimator=pf)
    optimizer = torch.optim.Adam(gflownet.pf_pb_parameters(), lr=LR)
    optimizer.add_param_group({"params": gflownet.logz_parameters(), "lr": LR_LOGZ})
    params = core.HyperGridParams(ndim=ndim, height=height)
    all_states = env.States(torch.as_tensor(core.all_states(params)))

    def score() -> float:
        with torch.no_grad():
            dist = pf.to_probability_distribution(all_states, pf(all_states))
            log_pf = torch.log(dist.probs).double().numpy()
        probs = exact.terminal_distribution(params, log_pf)
        return exact.l1_distance(probs, exact.target_distribution(params)[0])

    def train_one_batch(sampled: int) -> None:
        for group, base in zip(optimizer.param_groups, (LR, LR_LOGZ), strict=True):
            group["lr"] = base * lr_factor(regime, sampled)
        trajectories = sampler.sample_trajectories(
            env, n=BATCH, save_logprobs=True, epsilon=0.0
        )
        optimizer.zero_grad()
        loss = gflownet.loss(env, trajectories, recalculate_all_logprobs=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gflownet.parameters(), 1.0)
        optimizer.step()

    return train_loop(lambda sampled: (train_one_batch(sampled), BATCH)[1], score)


def run_gridmarket(
    ndim: int, height: int, regime: str, seed: int
) -> tuple[float, dict[int, float]]:
    import ray

    from gridmarket.algorithms.tb import TBConfig

    if not ray.is_initialized():
        ray.init(
            address="local",  # never join another Ray cluster running on this machine
            num_cpus=1,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=100 * 1024**2,
        )
    end = BUDGETS[-1]
    schedule = (
        (lambda base: base)
        if regime == "constant"
        else (lambda base: [[0, base], [end, base / 10]])
    )
    config = (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": ndim, "height": height})
        .training(
            batch_size=BATCH,
            updates_per_iteration=16,
            lr=schedule(LR),
            lr_logz=schedule(LR_LOGZ),
            backward_policy="learned",
            exploration_epsilon=0.0,
            exact_metrics_interval=0,
            grad_clip=1.0,
        )
        .rl_module(model_config={"fcnet_hiddens": HIDDEN, "fcnet_activation": "relu"})
        .debugging(seed=seed)
    )
    algo = config.build_algo()

    def train_one_iteration(_: int) -> int:
        algo.train()
        return config.trajectories_per_iteration

    try:
        return train_loop(
            train_one_iteration, lambda: algo.env_runner.exact_metrics()["l1_distance"]
        )
    finally:
        algo.stop()


def train_loop(
    step: Callable[[int], int], score: Callable[[], float]
) -> tuple[float, dict[int, float]]:
    """Train to each budget in turn; time only the training; score at budgets."""
    sampled, seconds, l1 = 0, 0.0, {}
    for budget in BUDGETS:
        start = time.perf_counter()
        while sampled < budget:
            sampled += step(sampled)
        seconds += time.perf_counter() - start
        l1[budget] = score()
    return sampled / seconds, l1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", nargs="+", default=["4x8", "2x16"], help="DxH")
    parser.add_argument(
        "--regimes",
        nargs="+",
        default=["constant", "decay"],
        choices=["constant", "decay"],
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budgets", nargs="+", type=int, default=BUDGETS)
    args = parser.parse_args()
    BUDGETS[:] = sorted(args.budgets)
    torch.set_num_threads(1)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {BATCH}, MLP {HIDDEN}"
    )
    rows = []
    for grid in args.grids:
        ndim, height = (int(v) for v in grid.split("x"))
        for regime in args.regimes:
            results = {"torchgfn": [], "gridmarket": []}
            for seed in args.seeds:
                for name, run in (
                    ("torchgfn", run_torchgfn),
                    ("gridmarket", run_gridmarket),
                ):
                    rate, l1 = run(ndim, height, regime, seed)
                    results[name].append((rate, l1))
                    l1_text = "  ".join(f"{b // 1024}k: {v:.4f}" for b, v in l1.items())
                    print(
                        f"D={ndim} H={height} {regime:8s} seed {seed} {name:10s} {rate:7.0f} traj/s  L1 {l1_text}",
                        flush=True,
                    )
            rows.append((grid, regime, results))
    print("\nSummary (mean over seeds; exact L1 at each trajectory budget)\n")
    print(
        "grid  regime    library     traj/s   ratio  "
        + "  ".join(f"L1@{b // 1024}k" for b in BUDGETS)
    )
    for grid, regime, results in rows:
        base = statistics.mean(r for r, _ in results["torchgfn"])
        for name in ("torchgfn", "gridmarket"):
            rate = statistics.mean(r for r, _ in results[name])
            l1s = [np.mean([l1[b] for _, l1 in results[name]]) for b in BUDGETS]
            print(
                f"{grid:5s} {regime:9s} {name:10s} {rate:7.0f}  {rate / base:5.2f}x  "
                + "  ".join(f"{v:7.4f}" for v in l1s)
            )


if __name__ == "__main__":
    main()
