"""The EBM oracle: a predictive distribution of the forward 12-month return.

:class:`EBMOracle` has the point :class:`~gridmarket.oracles.oracle.Oracle`'s interface
(same state scaling, training box, OOD distance, ``predict`` = the predictive mean), so
GridMarket can use either, and adds the distribution: ``quantiles``, ``cdf``,
``tail_probability``, ``expected_shortfall``, ``crps``, ``log_density``, all exact on
the return grid (:mod:`gridmarket.oracles.ebm.grid`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.preprocessing import MinMaxScaler

from gridmarket.oracles.data import FEATURES, check_scenario
from gridmarket.oracles.ebm import grid as G
from gridmarket.oracles.ebm.data import check_target
from gridmarket.oracles.ebm.model import EBMConfig, EnergyNet, build_net
from gridmarket.oracles.ebm.store import dump_ebm, load_ebm, metadata_json
from gridmarket.oracles.oracle import SCALED_RANGE, Oracle, default_artifact_dir
from gridmarket.oracles.store import OracleLoadError, read_card

_CHUNK = 8192


def artifact_stem(scenario: str, target: str) -> str:
    return f"{scenario}.ebm-{target}"


class _Mean:
    """The ``estimator`` the point-oracle base calls: the predictive mean."""

    def __init__(self, oracle: EBMOracle) -> None:
        self._oracle = oracle

    def predict(self, states: np.ndarray) -> np.ndarray:
        return self._oracle._apply(states, lambda lm: G.mean(self._oracle.grid, lm))


class EBMOracle(Oracle):
    """Conditional EBM ``p(r | x)`` of one scenario and target; read-only."""

    def __init__(
        self,
        *,
        scenario: str,
        target: str,
        net: EnergyNet,
        config: EBMConfig,
        scaler: MinMaxScaler,
        train_states: np.ndarray,
        initial_state: np.ndarray,
        initial_month: str,
        card: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            scenario=scenario,
            estimator=_Mean(self),
            scaler=scaler,
            train_states=train_states,
            initial_state=initial_state,
            initial_month=initial_month,
            card=card,
        )
        self._target = check_target(target)
        self._net = net.eval()
        for parameter in self._net.parameters():
            parameter.requires_grad_(False)
        self._config = config
        self.grid = config.grid

    # --- the distribution --------------------------------------------------------
    def _apply(self, states: Any, fn) -> np.ndarray:
        arr = np.asarray(states, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(FEATURES):
            raise ValueError(f"EBMOracle: states must be [N, 6], got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("EBMOracle: states contain NaN/inf")
        out = []
        with torch.no_grad():
            for start in range(0, max(arr.shape[0], 1), _CHUNK):
                block = torch.as_tensor(arr[start : start + _CHUNK]) / 100.0
                if block.shape[0]:
                    logm = G.log_mass(self._net(block, self.grid.centers()))
                    out.append(fn(logm).numpy())
        return np.concatenate(out) if out else np.empty(0)

    def log_mass(self, states: np.ndarray) -> np.ndarray:
        """``[N, K]`` log bin masses of states ``[N, 6]`` (scaled)."""
        return self._apply(states, lambda lm: lm)

    def quantiles(self, states: np.ndarray, levels: Any) -> np.ndarray:
        """``[N, L]`` predictive quantiles (%) at ``levels`` in (0, 1)."""
        lv = torch.as_tensor(np.asarray(levels, dtype=np.float64).reshape(-1))
        if not ((lv > 0) & (lv < 1)).all():
            raise ValueError(f"quantile levels must lie in (0, 1), got {lv.tolist()}")
        return self._apply(states, lambda lm: G.quantiles(self.grid, lm, lv))

    def cdf(self, states: np.ndarray, returns_pct: Any) -> np.ndarray:
        """``[N]`` ``P(r <= returns_pct)`` (one return per state, or one for all)."""
        logm = torch.as_tensor(self.log_mass(states))
        y = np.broadcast_to(np.asarray(returns_pct, np.float64), logm.shape[:1])
        return G.cdf(self.grid, logm, torch.as_tensor(y.copy())).numpy()

    def tail_probability(self, states: np.ndarray, threshold_pct: float) -> np.ndarray:
        """``[N]`` ``P(r < threshold_pct)``."""
        return self._apply(
            states, lambda lm: G.tail_probability(self.grid, lm, threshold_pct)
        )

    def expected_shortfall(self, states: np.ndarray, alpha: float = 0.05) -> np.ndarray:
        """``[N]`` ``E[r | r <= VaR_alpha]`` in percent (negative in a crash)."""
        return self._apply(
            states, lambda lm: G.expected_shortfall(self.grid, lm, alpha)
        )

    def crps(self, states: np.ndarray, returns_pct: np.ndarray) -> np.ndarray:
        """``[N]`` exact CRPS (%) of the predictive distribution at the outcomes."""
        y = torch.as_tensor(np.asarray(returns_pct, dtype=np.float64).reshape(-1))
        logm = torch.as_tensor(self.log_mass(states))
        return G.crps(self.grid, logm, y).numpy()

    # --- description -------------------------------------------------------------
    @property
    def target(self) -> str:
        return self._target

    @property
    def config(self) -> EBMConfig:
        return self._config

    @property
    def net(self) -> EnergyNet:
        return self._net

    def __repr__(self) -> str:
        return (
            f"EBMOracle(scenario={self.scenario!r}, target={self._target!r}, "
            f"n_bins={self.grid.n_bins}, n_train={self.train_states.shape[0]})"
        )

    # --- storage -----------------------------------------------------------------
    def save(self, directory: str | Path, scaler: MinMaxScaler) -> str:
        """Write ``<scenario>.ebm-<target>.safetensors``; return its SHA-256."""
        tensors = {f"net.{k}": v for k, v in self._net.state_dict().items()}
        tensors["scaler.data_min"] = torch.as_tensor(scaler.data_min_)
        tensors["scaler.data_max"] = torch.as_tensor(scaler.data_max_)
        tensors["train_states"] = torch.tensor(np.array(self.train_states))
        tensors["initial_state"] = torch.tensor(np.array(self.initial_state))
        metadata = {
            "scenario": self.scenario,
            "target": self._target,
            "initial_month": self.initial_month,
            "feature_names": json.dumps(list(FEATURES)),
            "config": json.dumps(self._config.to_dict()),
        }
        path = (
            Path(directory)
            / f"{artifact_stem(self.scenario, self._target)}.safetensors"
        )
        return dump_ebm(tensors, metadata, path)


def scaler_from_range(data_min: np.ndarray, data_max: np.ndarray) -> MinMaxScaler:
    """The min-max scaler of the training rows, rebuilt from its two bounds."""
    return MinMaxScaler(feature_range=SCALED_RANGE).fit(np.stack([data_min, data_max]))


def load_ebm_oracle(
    scenario: str, target: str = "spx", *, directory: str | Path | None = None
) -> EBMOracle:
    """Load a shipped (or ``directory``'s) EBM oracle, verified against its card."""
    check_scenario(scenario)
    check_target(target)
    root = Path(directory) if directory is not None else default_artifact_dir()
    stem = artifact_stem(scenario, target)
    card = read_card(root / f"{stem}.card.json")
    path = root / f"{stem}.safetensors"
    tensors, meta = load_ebm(path, expected_sha256=card["artifact"]["sha256"])
    if meta.get("scenario") != scenario or meta.get("target") != target:
        raise OracleLoadError(
            f"{str(path)!r} is for {meta.get('scenario')!r}/{meta.get('target')!r}, "
            f"expected {scenario!r}/{target!r}"
        )
    if tuple(metadata_json(meta, "feature_names", path)) != FEATURES:
        raise OracleLoadError(f"{str(path)!r}: features differ from {list(FEATURES)}")
    try:
        config = EBMConfig(**metadata_json(meta, "config", path))
        net = build_net(config, len(FEATURES))
        net.load_state_dict(
            {k[4:]: v for k, v in tensors.items() if k.startswith("net.")}, strict=True
        )
        scaler = scaler_from_range(
            tensors["scaler.data_min"].numpy(), tensors["scaler.data_max"].numpy()
        )
        return EBMOracle(
            scenario=scenario,
            target=target,
            net=net,
            config=config,
            scaler=scaler,
            train_states=tensors["train_states"].numpy(),
            initial_state=tensors["initial_state"].numpy(),
            initial_month=meta["initial_month"],
            card=card,
        )
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r} does not hold a valid model: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
