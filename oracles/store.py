"""Safe storage of oracle artifacts: skops files with an explicit type allow-list.

Nothing here unpickles. An artifact is a skops zip (``schema.json`` plus ``.npy``
arrays, loaded with ``allow_pickle=False``) and a JSON model card beside it. Loading
refuses, with :class:`OracleLoadError`:

1. a file whose SHA-256 differs from the one recorded in its card (tampered or
   replaced; checked before any parsing),
2. a file that is not a readable skops zip (corrupt or truncated),
3. a file that names any type outside :data:`TRUSTED_TYPES`. Every node of the skops
   schema is checked, including types that skops itself would trust by default, and
   skops' own untrusted-type report must lie inside the list too. Only then is the
   file loaded, with ``trusted=`` set to that same explicit list.

A missing file raises ``FileNotFoundError`` naming the path and how to rebuild it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import skops.io as sio

#: Every type an oracle artifact may contain, as ``module.qualname``. Extending the
#: model families means extending this list, deliberately.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.random.mtrand.RandomState",
    "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._target.TransformedTargetRegressor",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._gb.GradientBoostingRegressor",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._tree.Tree",
    "sklearn.dummy.DummyRegressor",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
)


class OracleLoadError(ValueError):
    """An oracle file or card is corrupt, tampered with, or holds an unknown type."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_artifact(payload: dict[str, Any], path: str | Path) -> str:
    """Write ``payload`` as a skops file; return its SHA-256.

    Refuses (``OracleLoadError``) to write anything that could not be loaded back
    under :data:`TRUSTED_TYPES`.
    """
    data = sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    unknown = sorted(artifact_types(data) - set(TRUSTED_TYPES))
    if unknown:
        raise OracleLoadError(
            f"refusing to save an oracle with types outside TRUSTED_TYPES: {unknown}"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha256_bytes(data)


def load_artifact(path: str | Path, *, expected_sha256: str) -> dict[str, Any]:
    """Load a skops artifact after the SHA-256 and type allow-list checks."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"oracle file {str(path)!r} is missing; rebuild the oracles with "
            f"`gridmarket oracles train` or reinstall gridmarket"
        )
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise OracleLoadError(
            f"oracle file {str(path)!r} has SHA-256 {actual}, but its model card "
            f"records {expected_sha256}: the file was modified or replaced; refusing "
            f"to load it"
        )
    unknown = sorted(artifact_types(data, source=path) - set(TRUSTED_TYPES))
    if unknown:
        raise OracleLoadError(
            f"oracle file {str(path)!r} contains types outside the trusted list: "
            f"{unknown}; refusing to load it (trusted: gridmarket.oracles.store."
            f"TRUSTED_TYPES)"
        )
    try:
        payload = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises many types on malformed content
        raise OracleLoadError(
            f"oracle file {str(path)!r} could not be loaded: {type(exc).__name__}: "
            f"{exc}"
        ) from exc
    if not isinstance(payload, dict):
        raise OracleLoadError(
            f"oracle file {str(path)!r} holds a {type(payload).__name__}, expected a "
            f"dict payload"
        )
    return payload


def artifact_types(data: bytes, source: str | Path = "<bytes>") -> set[str]:
    """Every type named in a skops file, from its schema and skops' own report."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
        reported = sio.get_untrusted_types(data=data)
    except Exception as exc:  # any parse failure means an unreadable file
        raise OracleLoadError(
            f"oracle file {str(source)!r} is not a readable skops file (corrupt or "
            f"truncated): {type(exc).__name__}: {exc}"
        ) from exc
    return set(_schema_types(schema)) | set(reported)


def _schema_types(node: Any) -> Iterator[str]:
    """Walk the skops schema; yield ``module.class`` of every node and reference."""
    if isinstance(node, dict):
        if "__module__" in node and "__class__" in node:
            # Objects, arrays, types and functions alike name themselves here.
            yield f"{node['__module__']}.{node['__class__']}"
        for value in node.values():
            yield from _schema_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_types(value)


def read_card(path: str | Path) -> dict[str, Any]:
    """A JSON model card, or a clear error if it is missing or not valid JSON."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"oracle model card {str(path)!r} is missing; rebuild the oracles with "
            f"`gridmarket oracles train` or reinstall gridmarket"
        )
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OracleLoadError(
            f"oracle model card {str(path)!r} is not valid JSON: {exc}"
        ) from exc
    sha = card.get("artifact", {}).get("sha256") if isinstance(card, dict) else None
    if not isinstance(sha, str) or len(sha) != 64:
        raise OracleLoadError(
            f"oracle model card {str(path)!r} has no artifact.sha256 entry (64 hex "
            f"characters); refusing to load an unverifiable oracle"
        )
    return card
