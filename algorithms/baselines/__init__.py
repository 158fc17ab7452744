"""Search baselines for continuous DAG envs (GridMarket-v0), as Tune Trainables:
random search and Metropolis-Hastings over paths. Both spend exactly one oracle
call per scored path, like the learned samplers."""

from gridmarket.algorithms.baselines.mcmc import PathMCMC
from gridmarket.algorithms.baselines.paths import PathBatch, PathScorer
from gridmarket.algorithms.baselines.random_search import RandomSearch

__all__ = ["PathBatch", "PathMCMC", "PathScorer", "RandomSearch"]
