import math
from pathlib import Path

import pytest

from gridmarket.tracking import (
    config_params,
    mlflow_ui_hint,
    resolve_tracking_uri,
    result_metrics,
)


def test_default_uri_is_an_absolute_sqlite_file(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri() == f"sqlite:///{Path(tmp_path).resolve()}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert resolve_tracking_uri() == "http://127.0.0.1:5000"
    assert resolve_tracking_uri("sqlite:////abs/x.db") == "sqlite:////abs/x.db"


@pytest.mark.parametrize("uri", ["mlruns", "./mlruns", "file:///tmp/mlruns"])
def test_file_store_is_refused_with_the_way_out(uri):
    with pytest.raises(ValueError, match="file store.*use sqlite:///mlflow.db"):
        resolve_tracking_uri(uri)


def test_ui_hint_binds_loopback():
    assert "--host 127.0.0.1" in mlflow_ui_hint("sqlite:///x.db")


def test_result_metrics_flatten_and_keep_nan():
    result = {
        "tb_loss": 0.5,
        "learners": {"default_policy": {"log_z": 2}},
        "config": {"lr": 1e-3},
        "done": False,
        "trial_id": "abc",
        "weird<key>": float("nan"),
    }
    metrics = result_metrics(result)
    assert metrics.keys() == {"tb_loss", "learners/default_policy/log_z", "weird_key_"}
    assert math.isnan(metrics["weird_key_"])


def test_config_params_are_flat_strings():
    params = config_params(
        {"env_config": {"ndim": 4}, "lr": [[0, 1e-3]], "blob": "x" * 7000}
    )
    assert params["env_config/ndim"] == "4"
    assert params["lr"] == "[[0, 0.001]]"
    assert len(params["blob"]) == 6000
