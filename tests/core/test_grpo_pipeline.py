"""The staged GRPO pipeline end to end on the stand-in env and a tiny GPT-2:
killed mid-stage (SIGKILL) and rerun, it resumes and repeats no finished stage."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ENV = "tests.algorithms.grpo.stand_in_env:StandInForecast-v0"
REPO = Path(__file__).resolve().parents[2]


def pipeline_command(model, out, uri):
    return [
        sys.executable,
        "-m",
        "gridmarket",
        "pipeline",
        "grpo",
        "--model",
        model,
        "--env",
        ENV,
        "--out",
        str(out),
        "--tracking-uri",
        uri,
        "--iterations",
        "3",
        "--group-size",
        "4",
        "--prompts",
        "4",
        "--max-new-tokens",
        "8",
        "--max-prompt-length",
        "64",
        "--lr",
        "1e-3",
        "--rs-samples",
        "4",
        "--rs-windows",
        "4",
        "--rs-min-reward",  # the stand-in env reports no `format`; keep every window
        "0",
        "--sft-epochs",
        "2",
        "--sft-lr",
        "1e-3",
        "--eval-windows",
        "4",
        "--baselines",
        "",
    ]


def test_pipeline_resumes_after_a_kill_and_logs_every_stage(tiny_lm, tmp_path):
    import mlflow

    out, uri = tmp_path / "run", f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_AUTH_MODE": "disabled"}
    command = pipeline_command(tiny_lm, out, uri)
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not (out / "grpo_1" / "checkpoint").is_dir():
            assert proc.poll() is None, (
                "the pipeline exited before its first checkpoint"
            )
            assert time.monotonic() < deadline, "no checkpoint within 300 s"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "grpo_1" / "DONE.json").exists()

    rerun = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    grpo_1 = json.loads((out / "grpo_1" / "DONE.json").read_text())["metrics"]
    assert grpo_1["resumed_at_iteration"] >= 1  # continued from the checkpoint
    for stage in ("rejection_sampling", "sft", "grpo_2", "comparison"):
        assert (out / stage / "DONE.json").exists(), stage
    sft = json.loads((out / "sft" / "DONE.json").read_text())["metrics"]
    assert sft["sft_loss_last"] < sft["sft_loss_first"]
    rows = json.loads((out / "comparison" / "comparison.json").read_text())["rows"]
    assert [r["agent"] for r in rows] == ["base", "grpo_1", "sft", "grpo_2"]
    assert all(r["reward_lo"] <= r["reward"] <= r["reward_hi"] for r in rows)

    again = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done earlier, skipped") == 5

    mlflow.set_tracking_uri(uri)
    state = json.loads((out / "pipeline.json").read_text())
    children = mlflow.search_runs(
        experiment_names=["grpo_pipeline"],
        filter_string=f"tags.mlflow.parentRunId = '{state['parent_run_id']}'",
    )
    assert sorted(children["tags.mlflow.runName"]) == sorted(
        ["grpo_1", "rejection_sampling", "sft", "grpo_2", "comparison"]
    )
