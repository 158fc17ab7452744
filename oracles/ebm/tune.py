"""One Tune trial of an EBM oracle: train on the walk-forward folds, report, record.

:class:`EBMTrial` is a class ``Trainable``: each ``step()`` trains every fold's model
``epochs_per_report`` more epochs and reports the mean validation CRPS (exact, on the
grid) over the folds, so ASHA can stop it early. When the trial ends (finished, or
stopped by ASHA), ``cleanup()`` refits the configuration on all training rows for the
epochs trained, scores the 12 held-out months, and writes the trial's folder:

- ``summary.txt``, ``results.json`` (config, validation and test metrics),
- ``epoch_metrics.csv`` (one row per report),
- ``curves.png`` (training NLL and validation CRPS against epochs),
- ``pit_validation.png``/``pit_test.png`` (PIT histograms),
- ``bands_validation.png``/``bands_test.png`` (5-95% and median against the
  realised return, month by month),
- ``weights.safetensors`` (the refit model, loadable as an oracle with its card).

Each trial logs its params and per-report metrics to its own MLflow run (one batch per
report, so a crash keeps what was reported) and the folder as that run's artifacts.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ray import tune

from gridmarket.oracles.ebm.data import scenario_rows
from gridmarket.oracles.ebm.model import EBMConfig, Trainer
from gridmarket.oracles.ebm.oracle import EBMOracle
from gridmarket.oracles.ebm.train import FoldTrainers, score

#: The hyperparameters a trial's ``config`` may set (the rest of EBMConfig is fixed).
SEARCHED = ("depth", "width", "lr", "weight_decay", "n_bins", "epochs")
METRIC = "val_crps"


def search_space(max_epochs: int) -> dict[str, Any]:
    """Depth, width, learning rate, weight decay, grid resolution and epochs."""
    step = max(1, max_epochs // 8)
    return {
        "depth": tune.choice([1, 2, 3]),
        "width": tune.choice([8, 16, 32, 64]),
        "lr": tune.loguniform(1e-3, 5e-2),
        "weight_decay": tune.loguniform(1e-4, 1.0),
        "n_bins": tune.choice([100, 200, 300, 600]),
        "epochs": tune.qrandint(step, max_epochs, step),
    }


def ebm_config(config: dict[str, Any]) -> EBMConfig:
    return EBMConfig(
        **{k: config[k] for k in SEARCHED}, seed=int(config.get("model_seed", 0))
    )


class EBMTrial(tune.Trainable):
    """Config keys: SEARCHED, plus ``scenario``, ``target``, ``epochs_per_report``,
    ``artifact_root`` (the trial writes its folder there, under its name; default its
    working directory), ``tracking_uri`` and ``experiment_id`` (MLflow; optional).

    On a cluster without a shared file system the folders stay on the nodes that ran
    the trials; the MLflow run holds every file either way."""

    def setup(self, config: dict[str, Any]) -> None:
        torch.set_num_threads(1)
        self.ebm = ebm_config(config)
        self.every = int(config["epochs_per_report"])
        self.rows = scenario_rows(config["scenario"], config["target"])
        self.folds = FoldTrainers(self.ebm, self.rows)
        self.history: list[dict[str, float]] = []
        self.last: dict[str, Any] = {}
        root = config.get("artifact_root")
        self.out = (
            Path(root) / self.trial_name if root else Path(self.logdir) / "artifacts"
        )
        self.out.mkdir(parents=True, exist_ok=True)
        self.mlflow = _MlflowRun.start(config, self.trial_name)

    def step(self) -> dict[str, Any]:
        todo = min(self.every, self.ebm.epochs - self.folds.trainers[0].epoch)
        train_nll = self.folds.advance(todo)
        self.last = self.folds.validate()
        mean = self.last["mean"]
        row = {
            "epoch": self.folds.trainers[0].epoch,
            "train_nll": train_nll,
            METRIC: mean["crps_exact"],
            "val_nll": mean["nll"],
            "val_coverage_90": mean["coverage_90"],
            "val_pit_calibration": mean["pit_calibration"],
        }
        self.history.append(row)
        if self.mlflow:
            self.mlflow.log_metrics(row, step=row["epoch"])
        return {
            **row,
            "done": row["epoch"] >= self.ebm.epochs,
            "mlflow_run_id": self.mlflow.run_id if self.mlflow else "",
            "artifact_dir": str(self.out),
        }

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        return {"history": self.history}

    def load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # The fold models are cheap to retrain: replay the epochs trained so far.
        self.history = checkpoint["history"]
        if self.history:
            self.folds.advance(int(self.history[-1]["epoch"]))

    def cleanup(self) -> None:
        if self.history:
            write_trial_artifacts(
                self.out, self.ebm, self.rows, self.folds, self.history
            )
        if self.mlflow:
            self.mlflow.finish(self.out)


def finalize_trial(
    config: dict[str, Any], history: list[dict], artifact_dir: str
) -> None:
    """Rebuild a trial's folder and close its MLflow run from its reports.

    The driver calls this for any trial whose run is still open after Tune returns
    (Ray may end a trial's actor before its ``cleanup()`` finishes, e.g. one that ASHA
    stopped on a busy machine): the fold models are retrained to the last reported
    epoch (deterministic: seeded), so the folder is the one the trial would have
    written.
    """
    ebm = ebm_config(config)
    rows = scenario_rows(config["scenario"], config["target"])
    folds = FoldTrainers(ebm, rows)
    folds.advance(int(history[-1]["epoch"]))
    out = Path(artifact_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_trial_artifacts(out, ebm, rows, folds, history)


def _refit(config: EBMConfig, rows, epochs: int) -> Trainer:
    trainer = Trainer(config, rows.x_train, rows.y_train)
    trainer.advance(epochs)
    return trainer


def write_trial_artifacts(
    out: Path, config: EBMConfig, rows, folds: FoldTrainers, history: list[dict]
) -> dict[str, Any]:
    """Refit on all training rows, score the hold-out, write the trial's folder."""
    epochs = int(history[-1]["epoch"])
    validation = folds.validate()
    trainer = _refit(config, rows, epochs)
    test = score(trainer.net, config, rows.x_holdout, rows.y_holdout)
    strip = ("pit", "quantiles")
    results = {
        "scenario": rows.split.scenario,
        "target": rows.target,
        "config": {**config.to_dict(), "epochs_trained": epochs},
        "validation": {
            "mean": validation["mean"],
            "interval_95": validation["interval"],
            "folds": [
                {k: v for k, v in f.items() if k not in strip}
                for f in validation["folds"]
            ],
        },
        "test": {k: v for k, v in test.items() if k not in strip},
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    with open(out / "epoch_metrics.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    (out / "summary.txt").write_text(_summary(results))
    oracle = EBMOracle(
        scenario=rows.split.scenario,
        target=rows.target,
        net=trainer.net,
        config=EBMConfig(**{**config.to_dict(), "epochs": epochs}),
        scaler=rows.scaler,
        train_states=rows.x_train,
        initial_state=rows.x_train[-1],
        initial_month=rows.split.initial_month,
    )
    sha = oracle.save(out, rows.scaler)
    src = out / f"{rows.split.scenario}.ebm-{rows.target}.safetensors"
    src.rename(out / "weights.safetensors")
    (out / "weights.sha256").write_text(sha + "\n")
    _plots(out, history, validation, test, rows)
    return results


def _summary(results: dict[str, Any]) -> str:
    v, t = results["validation"]["mean"], results["test"]
    lines = [
        f"EBM trial: {results['scenario']} / {results['target']}",
        f"config: {json.dumps(results['config'])}",
        f"validation (mean over {len(results['validation']['folds'])} walk-forward folds): "
        f"CRPS {v['crps_exact']:.3f}, NLL {v['nll']:.3f}, 90% coverage "
        f"{v['coverage_90']:.2f}, PIT calibration {v['pit_calibration']:.3f}, "
        f"directional accuracy {v['directional_accuracy']:.2f}",
        f"test (12 held-out months): CRPS {t['crps_exact']:.3f}, NLL {t['nll']:.3f}, "
        f"90% coverage {t['coverage_90']:.2f}, PIT calibration "
        f"{t['pit_calibration']:.3f}, directional accuracy {t['directional_accuracy']:.2f}",
    ]
    return "\n".join(lines) + "\n"


def _plots(out: Path, history, validation, test, rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    ax[0].plot(epochs, [h["train_nll"] for h in history], marker="o")
    ax[0].set(title="training NLL (folds' mean)", xlabel="epoch")
    ax[1].plot(epochs, [h[METRIC] for h in history], marker="o", color="C1")
    ax[1].set(title="validation CRPS (%)", xlabel="epoch")
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=80)
    plt.close(fig)
    val_pit = np.concatenate([f["pit"] for f in validation["folds"]])
    val_q = np.concatenate([np.asarray(f["quantiles"]) for f in validation["folds"]])
    val_y = np.concatenate([rows.y_train[te] for _, te in rows.folds])
    for name, pit, q, y in (
        ("validation", val_pit, val_q, val_y),
        (
            "test",
            np.asarray(test["pit"]),
            np.asarray(test["quantiles"]),
            rows.y_holdout,
        ),
    ):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.hist(pit, bins=10, range=(0, 1), density=True)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set(title=f"PIT histogram ({name})", xlabel="F(y)")
        fig.tight_layout()
        fig.savefig(out / f"pit_{name}.png", dpi=80)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(6, 3))
        idx = np.arange(len(y))
        ax.fill_between(idx, q[:, 0], q[:, 2], alpha=0.3, label="5-95%")
        ax.plot(idx, q[:, 1], label="median")
        ax.plot(idx, y, "k.", label="realised")
        ax.set(title=f"predicted quantiles vs realised ({name})", ylabel="return %")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / f"bands_{name}.png", dpi=80)
        plt.close(fig)


class _MlflowRun:
    """The trial's MLflow run, logged through a client (HTTP, sqlite or PostgreSQL)."""

    def __init__(self, client: Any, run_id: str) -> None:
        self.client, self.run_id = client, run_id

    @classmethod
    def start(cls, config: dict[str, Any], name: str) -> _MlflowRun | None:
        uri, experiment = config.get("tracking_uri"), config.get("experiment_id")
        if not uri or experiment is None:
            return None
        import mlflow
        from mlflow.entities import Param

        client = mlflow.MlflowClient(tracking_uri=uri)
        run = client.create_run(
            str(experiment),
            run_name=name,
            tags={"scenario": config["scenario"], "target": config["target"]},
        )
        params = [
            Param(k, str(config[k]))
            for k in (*SEARCHED, "scenario", "target", "epochs_per_report")
        ]
        client.log_batch(run.info.run_id, params=params)
        return cls(client, run.info.run_id)

    def log_metrics(self, row: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        metrics = [Metric(k, float(v), stamp, int(step)) for k, v in row.items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def finish(self, folder: Path) -> None:
        status = "FINISHED"
        try:
            self.client.log_artifacts(self.run_id, str(folder))
        except Exception:  # the run must still be closed, and say so
            status = "FAILED"
            raise
        finally:
            self.client.set_terminated(self.run_id, status=status)
