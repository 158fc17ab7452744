"""Energy-based oracles: predictive distributions of forward 12-month returns.

``p(r | x) = softmax_k(-E_theta(x, c_k))`` on a return grid, trained by maximum
likelihood; density, CDF, quantiles, CRPS, tail probability and expected shortfall
are exact on the grid. Stored as safetensors plus a JSON card (SHA-256 checked)::

    from gridmarket.oracles.ebm import load_ebm_oracle
    oracle = load_ebm_oracle("gfc-2007", "spx")
    oracle.tail_probability(oracle.initial_state[None], -20.0)
"""

from gridmarket.oracles.ebm.model import EBMConfig
from gridmarket.oracles.ebm.oracle import EBMOracle, load_ebm_oracle

__all__ = ["EBMConfig", "EBMOracle", "load_ebm_oracle"]
