"""Search baselines for continuous DAG envs (GridMarket-v0), as Tune Trainables:
random search and Metropolis-Hastings over paths. Both spend exactly one oracle
call per scored path, like the learned samplers.

The Trainables (Ray Tune) import on first use, so ``paths`` stays numpy-only.
"""

from gridmarket.envs.common import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    "PathBatch:paths PathMCMC:mcmc PathScorer:paths RandomSearch:random_search",
)
