"""MLflow tracking defaults: an embedded sqlite store next to where you run."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
_INVALID_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-./ ]")


def resolve_tracking_uri(uri: str | None = None) -> str:
    """``uri``, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``.

    A relative sqlite path is made absolute against the current directory, so Ray
    workers that run elsewhere write to the same file.
    """
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        uri = prefix + str(Path(uri[len(prefix) :]).resolve())
    if uri.startswith("file:") or (
        "://" not in uri and not uri.startswith("databricks")
    ):
        raise ValueError(
            f"MLflow tracking URI {uri!r} points at a file store, which MLflow refuses "
            "unless MLFLOW_ALLOW_FILE_STORE=true; use sqlite:///mlflow.db (the default) "
            "or an http(s):// tracking server"
        )
    return uri


def mlflow_ui_hint(uri: str) -> str:
    """The command that opens the MLflow UI on this store, bound to 127.0.0.1."""
    return f"mlflow ui --backend-store-uri {uri} --host 127.0.0.1 --port 5000"


def _flatten(result: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat


def _mlflow_key(key: str) -> str:
    return _INVALID_KEY_CHARS.sub("_", key)[:250]


def result_metrics(result: dict[str, Any]) -> dict[str, float]:
    """Numeric leaves of a Tune result as flat ``a/b/c`` keys, without ``config/``
    (the config is logged once, as params). NaN and inf stay: hiding them would
    hide a broken run."""
    metrics = {}
    for key, value in _flatten(result).items():
        if key.startswith("config/") or isinstance(value, bool):
            continue
        if isinstance(value, int | float | np.integer | np.floating):
            metrics[_mlflow_key(key)] = float(value)
    return metrics


def config_params(config: dict[str, Any]) -> dict[str, str]:
    """Flattened config values as MLflow params (strings of at most 6000 chars)."""
    return {_mlflow_key(k): str(v)[:6000] for k, v in _flatten(config).items()}


def log_batched(
    client: Any,
    run_id: str,
    *,
    metrics: list[Any] = (),  # mlflow.entities.Metric
    params: dict[str, str] | None = None,
) -> None:
    """Log ``metrics`` and ``params`` in as few calls as MLflow's batch limits
    allow (1,000 metrics, 100 params per call): on the sqlite store each call is
    one transaction, so one call per value would cost seconds."""
    from mlflow.entities import Param

    param_list = [Param(k, v) for k, v in (params or {}).items()]
    for start in range(0, len(param_list), 100):
        client.log_batch(run_id, params=param_list[start : start + 100])
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=list(metrics[start : start + 1000]))
