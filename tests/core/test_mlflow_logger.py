"""The Tune MLflow callback against a real sqlite MLflow store: one run per trial,
one batch per result, nothing lost in a crash, the same run after a resume."""

from __future__ import annotations

import math
import pickle

import mlflow
import pytest

from gridmarket.mlflow_logger import TRIAL_ID_TAG, BatchedMLflowLoggerCallback


class Trial:
    """The parts of a Tune trial the callback reads (id, config, name)."""

    def __init__(self, trial_id: str, config: dict) -> None:
        self.trial_id, self.config = trial_id, config

    def __str__(self) -> str:
        return f"TB_HyperGrid-v0_{self.trial_id}"


class CountingClient:
    """A real MlflowClient that counts its ``log_batch`` calls."""

    def __init__(self, uri: str) -> None:
        self.client = mlflow.MlflowClient(tracking_uri=uri)
        self.batches = 0

    def log_batch(self, *args, **kwargs):
        self.batches += 1
        return self.client.log_batch(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def uri(tmp_path):
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def callback(uri: str) -> BatchedMLflowLoggerCallback:
    return BatchedMLflowLoggerCallback(
        tracking_uri=uri, experiment_name="gridmarket-test", tags={"example": "t"}
    )


def result(iteration: int, metrics: int = 3) -> dict:
    values = {f"m{i}": float(iteration * i) for i in range(metrics)}
    return {"training_iteration": iteration, "learners": values, "config": {"x": 1}}


def runs(uri: str):
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("gridmarket-test")
    return client, client.search_runs([experiment.experiment_id])


def test_one_batch_per_result_within_mlflow_limits(uri):
    logger = callback(uri)
    counting = CountingClient(uri)
    logger._client = counting  # the real client, counted
    trial = Trial("abc_00000", {"lr": 0.001, "model": {"hiddens": [8, 8]}})
    logger.log_trial_start(trial)
    counting.batches = 0
    logger.log_trial_result(1, trial, result(1, metrics=10))
    assert counting.batches == 1
    logger.log_trial_result(2, trial, result(2, metrics=2500))  # > 1,000 per call
    assert counting.batches == 1 + 3
    logger.log_trial_end(trial)
    client, found = runs(uri)
    (run,) = found
    assert run.info.status == "FINISHED"
    assert run.data.tags[TRIAL_ID_TAG] == "abc_00000"
    assert run.data.tags["example"] == "t"
    assert run.data.params["model/hiddens"] == "[8, 8]"
    assert run.data.metrics["learners/m2499"] == 2 * 2499
    assert "config/x" not in run.data.metrics  # the config is logged as params
    history = client.get_metric_history(run.info.run_id, "learners/m9")
    assert [(m.step, m.value) for m in history] == [(1, 9.0), (2, 18.0)]


def test_a_crash_keeps_every_reported_result_and_nan(uri):
    logger = callback(uri)
    trial = Trial("abc_00000", {})
    logger.log_trial_start(trial)
    logger.log_trial_result(1, trial, result(1))
    logger.log_trial_result(2, trial, {"training_iteration": 2, "loss": math.nan})
    del logger  # the process dies here: no log_trial_end
    client, (run,) = runs(uri)  # a fresh client reads what is on disk
    assert run.info.status == "RUNNING"
    assert run.data.metrics["learners/m2"] == 2.0
    assert math.isnan(run.data.metrics["loss"])  # NaN shows, never hidden


def test_a_restored_callback_continues_the_same_run(uri):
    logger = callback(uri)
    trial = Trial("abc_00000", {"lr": 0.1})
    logger.log_trial_start(trial)
    logger.log_trial_result(1, trial, result(1))
    state = logger.get_state()
    # Tune pickles the callback (tuner.pkl) and restores its state on resume.
    restored = pickle.loads(pickle.dumps(callback(uri)))
    restored.set_state(state)
    restored.log_trial_start(Trial("abc_00000", {"lr": 0.1}))
    restored.log_trial_result(2, trial, result(2))
    restored.log_trial_start(Trial("def_00001", {"lr": 0.2}))  # a new trial
    restored.log_trial_end(trial)
    client, found = runs(uri)
    by_trial = {run.data.tags[TRIAL_ID_TAG]: run for run in found}
    assert set(by_trial) == {"abc_00000", "def_00001"}
    first = by_trial["abc_00000"]
    assert first.info.status == "FINISHED"
    steps = [
        m.step for m in client.get_metric_history(first.info.run_id, "learners/m1")
    ]
    assert steps == [1, 2]
