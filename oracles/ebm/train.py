"""Fit, score and save EBM oracles on the point oracles' walk-forward folds.

- :func:`cross_validate`: one EBM per walk-forward fold, trained in lockstep in chunks
  of epochs, scored on each fold's test rows after every chunk (what Tune reports);
- :func:`train_oracle`: refit a configuration on all training rows of a scenario, score
  it once on the 12 held-out months, write the safetensors file and its card.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gridmarket.oracles.cards import _data_section
from gridmarket.oracles.ebm import grid as G
from gridmarket.oracles.ebm.data import TARGET_DESCRIPTIONS, ScenarioRows, scenario_rows
from gridmarket.oracles.ebm.metrics import (
    LEVELS,
    METRICS,
    interval_over_folds,
    quantile_metrics,
)
from gridmarket.oracles.ebm.model import EBMConfig, EnergyNet, Trainer
from gridmarket.oracles.ebm.oracle import EBMOracle, artifact_stem
from gridmarket.oracles.ebm.store import FORMAT, FORMAT_VERSION
from gridmarket.oracles.oracle import default_artifact_dir

CARD_VERSION = 1


def score(
    net: EnergyNet, config: EBMConfig, x: np.ndarray, y: np.ndarray
) -> dict[str, Any]:
    """Quantile metrics, exact grid CRPS and NLL of ``net`` on ``(x, y)``."""
    grid = config.grid
    with torch.no_grad():
        logm = G.log_mass(net(torch.as_tensor(x) / 100.0, grid.centers()))
        y_t = torch.tensor(np.array(y, dtype=np.float64))
        q = G.quantiles(grid, logm, torch.as_tensor(LEVELS)).numpy()
        out: dict[str, Any] = quantile_metrics(q, y)
        out["crps_exact"] = float(G.crps(grid, logm, y_t).mean())
        out["nll"] = float(-G.log_density(grid, logm, y_t).mean())
        out["pit"] = G.cdf(grid, logm, y_t).numpy().tolist()
        out["quantiles"] = q[:, [1, 19, 37]].tolist()  # 5%, 50%, 95%
    return out


class FoldTrainers:
    """One :class:`Trainer` per walk-forward fold, advanced together."""

    def __init__(self, config: EBMConfig, rows: ScenarioRows) -> None:
        self.config, self.rows = config, rows
        self.trainers = [
            Trainer(config, rows.x_train[tr], rows.y_train[tr]) for tr, _ in rows.folds
        ]

    def advance(self, n_epochs: int) -> float:
        return float(np.mean([t.advance(n_epochs) for t in self.trainers]))

    def validate(self) -> dict[str, Any]:
        """Per-fold scores, their means and 95% intervals over folds."""
        folds = [
            score(t.net, self.config, self.rows.x_train[te], self.rows.y_train[te])
            for t, (_, te) in zip(self.trainers, self.rows.folds, strict=True)
        ]
        keys = (*METRICS, "crps_exact", "nll")
        return {
            "mean": {k: float(np.mean([f[k] for f in folds])) for k in keys},
            "interval": {k: interval_over_folds([f[k] for f in folds]) for k in keys},
            "folds": folds,
        }


def cross_validate(config: EBMConfig, rows: ScenarioRows) -> dict[str, Any]:
    trainers = FoldTrainers(config, rows)
    trainers.advance(config.epochs)
    return trainers.validate()


def train_oracle(
    scenario: str,
    target: str,
    config: EBMConfig,
    *,
    out_dir: str | Path | None = None,
    table=None,
    selection: dict[str, Any] | None = None,
) -> EBMOracle:
    """Refit on all training rows, score the hold-out, save file + card; return it."""
    started = time.perf_counter()
    rows = scenario_rows(scenario, target, table)
    cv = cross_validate(config, rows)
    trainer = Trainer(config, rows.x_train, rows.y_train)
    trainer.advance(config.epochs)
    oracle = EBMOracle(
        scenario=scenario,
        target=target,
        net=trainer.net,
        config=config,
        scaler=rows.scaler,
        train_states=rows.x_train,
        initial_state=rows.x_train[-1],
        initial_month=rows.split.initial_month,
    )
    out_dir = Path(out_dir) if out_dir is not None else default_artifact_dir()
    sha = oracle.save(out_dir, rows.scaler)
    holdout = score(trainer.net, config, rows.x_holdout, rows.y_holdout)
    card = {
        "card_version": CARD_VERSION,
        "kind": "conditional energy-based model of the forward 12-month return",
        "scenario": scenario,
        "target": TARGET_DESCRIPTIONS[target],
        "target_key": target,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "data": _data_section(rows.split),
        "scaling": "per-feature min-max to [-100, 100], fit on the training rows",
        "model": {
            "energy": "E(x, r) = z^2/2 + sum_j a_j(x) phi_j(z), z = (r - mean)/std",
            "normalisation": "exact sum over the return grid's bins (piecewise uniform)",
            "estimator": "maximum likelihood, full batch AdamW",
            "config": config.to_dict(),
        },
        "selection": selection or {"method": "fixed configuration (not tuned)"},
        "cv_metrics": {"mean": cv["mean"], "interval_95": cv["interval"]},
        "holdout_metrics": {
            k: v for k, v in holdout.items() if k not in ("pit", "quantiles")
        },
        "holdout_predictions": {
            "months": [m.strftime("%Y-%m") for m in rows.split.holdout.index],
            "actual": rows.y_holdout.tolist(),
            "q05_q50_q95": holdout["quantiles"],
        },
        "training_seconds": round(time.perf_counter() - started, 2),
        "versions": {
            "python": platform.python_version(),
            **{p: metadata.version(p) for p in ("torch", "numpy", "safetensors")},
        },
        "artifact": {
            "file": f"{artifact_stem(scenario, target)}.safetensors",
            "format": f"safetensors ({FORMAT} v{FORMAT_VERSION})",
            "sha256": sha,
        },
    }
    (out_dir / f"{artifact_stem(scenario, target)}.card.json").write_text(
        json.dumps(card, indent=2) + "\n", encoding="utf-8"
    )
    oracle._card = card
    return oracle
