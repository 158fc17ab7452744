"""Run the pipeline, resuming: finished stages (``stage_dir/DONE.json``) are skipped,
an interrupted GRPO stage continues from its last complete checkpoint, and every
stage logs to a child run of one MLflow parent run (kept across reruns)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.grpo_pipeline import stages
from gridmarket.grpo_pipeline.compare import (
    comparison_table,
    evaluate_models,
    format_markdown,
)
from gridmarket.grpo_pipeline.config import PipelineConfig
from gridmarket.tracking import resolve_tracking_uri

STAGES = ("grpo_1", "rejection_sampling", "sft", "grpo_2", "comparison")
DONE = "DONE.json"
STATE = "pipeline.json"


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def stage_done(out_dir: Path, stage: str) -> bool:
    return (out_dir / stage / DONE).exists()


def _model_of(out_dir: Path, stage: str) -> str:
    return str(out_dir / stage / stages.MODEL_DIR)


def run_stage(
    cfg: PipelineConfig, stage: str, stage_dir: Path, report: Callable
) -> dict[str, float]:
    out = Path(cfg.out_dir)
    if stage == "grpo_1":
        return stages.grpo_stage(cfg, cfg.model, stage_dir, report)
    if stage == "rejection_sampling":
        return stages.rejection_stage(cfg, _model_of(out, "grpo_1"), stage_dir, report)
    if stage == "sft":
        samples = out / "rejection_sampling" / stages.SAMPLES
        return stages.sft_stage(
            cfg, _model_of(out, "grpo_1"), samples, stage_dir, report
        )
    if stage == "grpo_2":
        return stages.grpo_stage(cfg, _model_of(out, "sft"), stage_dir, report)
    if stage == "comparison":
        return comparison_stage(cfg, stage_dir, report)
    raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")


def comparison_stage(
    cfg: PipelineConfig, stage_dir: Path, report: Callable
) -> dict[str, float]:
    import mlflow

    out = Path(cfg.out_dir)
    env = stages.stage_env(cfg, "test")
    windows = stages.spaced_windows(env.unwrapped.num_windows, cfg.eval_max_windows)
    models = {"base": stages.load_module(cfg, cfg.model)}
    for stage in ("grpo_1", "sft", "grpo_2"):
        models[stage] = stages.load_module(cfg, _model_of(out, stage))
    scores = evaluate_models(
        models,
        _baselines(cfg, env),
        env,
        windows,
        max_new_tokens=cfg.max_new_tokens,
        max_prompt_length=cfg.max_prompt_length,
    )
    rows = comparison_table(scores, seed=cfg.seed)
    table = format_markdown(rows)
    (stage_dir / "comparison.md").write_text(table + "\n")
    _write_json(stage_dir / "comparison.json", {"rows": rows})
    mlflow.log_text(table, "comparison.md")
    mlflow.log_dict({"rows": rows}, "comparison.json")
    _log_comparison_plot(rows, stage_dir)
    metrics = {
        f"{row['agent']}/{k}": float(v)
        for row in rows
        for k, v in row.items()
        if k not in ("agent",) and not k.endswith(("_lo", "_hi"))
    }
    report(metrics, 0)
    return metrics


def _baselines(cfg: PipelineConfig, env: Any) -> dict[str, Any]:
    if not cfg.baselines:
        return {}
    from gridmarket.grpo_pipeline.baselines import naive_forecasters

    return naive_forecasters(cfg.baselines, int(env.unwrapped.horizon))


def _log_comparison_plot(rows: list[dict[str, Any]], stage_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow

    fig, ax = plt.subplots(figsize=(6, 3))
    names = [r["agent"] for r in rows]
    means = np.array([r["reward"] for r in rows])
    err = np.array(
        [
            [m - r["reward_lo"], r["reward_hi"] - m]
            for m, r in zip(means, rows, strict=True)
        ]
    ).T
    ax.bar(names, means, yerr=err, capsize=3)
    ax.set_ylabel("test reward (95% CI)")
    fig.tight_layout()
    path = stage_dir / "comparison_reward.png"
    fig.savefig(path)
    plt.close(fig)
    mlflow.log_artifact(str(path))


def run_pipeline(
    cfg: PipelineConfig, stages_to_run: tuple[str, ...] = STAGES
) -> dict[str, Any]:
    """Run (or resume) the pipeline; returns ``{stage: final metrics}``."""
    import mlflow

    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = _read_json(out / STATE)
    mlflow.set_tracking_uri(resolve_tracking_uri(cfg.tracking_uri))
    mlflow.set_experiment(cfg.experiment)
    results: dict[str, Any] = {}
    with mlflow.start_run(
        run_id=state.get("parent_run_id"), run_name="grpo_pipeline"
    ) as parent:
        if "parent_run_id" not in state:
            mlflow.log_params({k: str(v)[:250] for k, v in cfg.loggable().items()})
        state["parent_run_id"] = parent.info.run_id
        _write_json(out / STATE, state)
        for stage in stages_to_run:
            stage_dir = out / stage
            if stage_done(out, stage):
                results[stage] = _read_json(stage_dir / DONE)["metrics"]
                print(f"[pipeline] {stage}: done earlier, skipped")
                continue
            stage_dir.mkdir(exist_ok=True)
            child_ids = state.setdefault("child_run_ids", {})
            with mlflow.start_run(
                run_id=child_ids.get(stage), run_name=stage, nested=True
            ) as child:
                child_ids[stage] = child.info.run_id
                _write_json(out / STATE, state)
                print(f"[pipeline] {stage}: running")

                def report(metrics: dict[str, float], step: int) -> None:
                    mlflow.log_metrics(metrics, step=step)

                metrics = run_stage(cfg, stage, stage_dir, report)
            _write_json(stage_dir / DONE, {"metrics": metrics})
            results[stage] = metrics
    return results


def stage_trainable(config: dict[str, Any]) -> None:
    """One stage as a Tune function trainable: ``config`` holds ``stage`` and the
    :class:`PipelineConfig` fields, so a sweep over ``lr``, ``beta`` or
    ``group_size`` is ``tune.grid_search`` over those keys. Each trial writes under
    its own ``out_dir`` (default: the trial directory)."""
    import ray.tune

    fields = dict(config)
    stage = fields.pop("stage")
    fields.setdefault("out_dir", os.getcwd())
    cfg = PipelineConfig(**fields)
    stage_dir = Path(cfg.out_dir) / stage
    stage_dir.mkdir(parents=True, exist_ok=True)

    def report(metrics: dict[str, float], step: int) -> None:
        ray.tune.report({**metrics, "stage_step": step})

    run_stage(cfg, stage, stage_dir, report)
