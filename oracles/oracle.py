"""The scenario oracle: a trained regressor of the forward 12-month S&P 500 return.

States are the six features in the oracle's scaling: each feature min-max scaled to
[-100, 100] over the oracle's training rows (so the training box is [-100, 100]^6).
Everything here is numpy; ``predict`` calls the underlying scikit-learn estimator
directly on a float64 array, with no pandas on the way.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import MinMaxScaler

from gridmarket.oracles.data import FEATURES, check_scenario
from gridmarket.oracles.store import OracleLoadError, load_artifact, read_card

FORMAT = "gridmarket-oracle"
FORMAT_VERSION = 1
SCALED_RANGE = (-100.0, 100.0)
_CHUNK = 4096


def default_artifact_dir() -> Path:
    """The packaged ``artifacts`` folder with the shipped oracles."""
    return Path(str(resources.files("gridmarket.oracles"))) / "artifacts"


def load_oracle(scenario: str, *, directory: str | Path | None = None) -> Oracle:
    """Load the oracle of ``scenario`` from its skops file, verified against its card.

    Unknown scenario: ``ValueError`` listing the valid ones. Missing file:
    ``FileNotFoundError``. Corrupt, tampered (SHA-256 mismatch) or unknown-type file:
    :class:`~gridmarket.oracles.store.OracleLoadError` (a ``ValueError``).
    ``directory`` defaults to the oracles shipped in the package.
    """
    check_scenario(scenario)
    root = Path(directory) if directory is not None else default_artifact_dir()
    card = read_card(root / f"{scenario}.card.json")
    payload = load_artifact(
        root / f"{scenario}.skops", expected_sha256=card["artifact"]["sha256"]
    )
    return Oracle.from_payload(payload, card=card, scenario=scenario)


def _states_array(states: Any, method: str, *, batch_2d: bool) -> np.ndarray:
    """``states`` as float64 ``[N, 6]`` (or ``[..., 6]``), or a clear error."""
    arr = states if isinstance(states, np.ndarray) else np.asarray(states)
    if arr.dtype.kind not in "fiu":
        raise TypeError(
            f"Oracle.{method}: states must be a real numeric array, got dtype "
            f"{arr.dtype}"
        )
    wanted = "[N, 6]" if batch_2d else "[..., 6]"
    if (batch_2d and arr.ndim != 2) or arr.ndim < 1 or arr.shape[-1] != len(FEATURES):
        raise ValueError(
            f"Oracle.{method}: states must have shape {wanted} (features "
            f"{list(FEATURES)}), got shape {arr.shape}"
        )
    arr = np.asarray(arr, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"Oracle.{method}: states must be finite, got {arr[bad]} at index {bad} "
            f"(feature {FEATURES[bad[-1]]}); NaN and inf are not allowed"
        )
    return arr


def _nearest_distances(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each row of ``points`` to its nearest ``reference`` row."""
    ref_sq = np.einsum("ij,ij->i", reference, reference)
    out = np.empty(points.shape[0], dtype=np.float64)
    for start in range(0, points.shape[0], _CHUNK):
        block = points[start : start + _CHUNK]
        sq = np.einsum("ij,ij->i", block, block)[:, None] + ref_sq[None, :]
        sq -= 2.0 * (block @ reference.T)
        out[start : start + _CHUNK] = np.sqrt(np.maximum(sq.min(axis=1), 0.0))
    return out


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64, copy=True)
    array.flags.writeable = False
    return array


class Oracle:
    """A scenario oracle: predicted forward 12-month S&P 500 return (%) of a state.

    Use :func:`load_oracle`. Read-only after construction, so one instance can be
    shared by many envs.

    OOD measure (:meth:`ood_distance`), in units of ``h``, the median distance from a
    training row to its nearest other training row (the typical data spacing)::

        ood(x) = d_box(x) / h + max(0, d_nn(x) / h - 1)

    ``d_box`` is the Euclidean distance from ``x`` to the training box, ``d_nn`` the
    distance to the nearest training row. It is 0 on and near the training rows, grows
    by 1 per typical spacing away from them, and by 2 per spacing outside the box.
    """

    def __init__(
        self,
        *,
        scenario: str,
        estimator: Any,
        scaler: MinMaxScaler,
        train_states: np.ndarray,
        initial_state: np.ndarray,
        initial_month: str,
        card: dict[str, Any] | None = None,
    ) -> None:
        self._scenario = check_scenario(scenario)
        self._estimator = estimator
        self._scale = _frozen(scaler.scale_)
        self._offset = _frozen(scaler.min_)
        self._train = _frozen(_states_array(train_states, "__init__", batch_2d=True))
        if self._train.shape[0] < 2:
            raise ValueError("an oracle needs at least 2 training rows")
        self._initial = _frozen(
            _states_array(initial_state, "__init__", batch_2d=False).reshape(-1)
        )
        self._initial_month = str(initial_month)
        self._range = _frozen(
            np.stack([self._train.min(axis=0), self._train.max(axis=0)], axis=1)
        )
        spacing = _nearest_spacing(self._train)
        if not spacing > 0:
            raise ValueError("training rows must not all coincide")
        self._spacing = spacing
        self._card = copy.deepcopy(card) if card is not None else {}

    @classmethod
    def from_payload(
        cls, payload: dict[str, Any], *, card: dict[str, Any], scenario: str
    ) -> Oracle:
        """Build from a loaded skops payload, checking its structure."""
        _check_payload(payload, card, scenario)
        return cls(
            scenario=scenario,
            estimator=payload["estimator"],
            scaler=payload["scaler"],
            train_states=payload["train_states"],
            initial_state=payload["initial_state"],
            initial_month=payload["initial_month"],
            card=card,
        )

    # --- predictions -------------------------------------------------------------
    def predict(self, states: np.ndarray) -> np.ndarray:
        """Predicted forward 12-month SPX return (%) of states ``[N, 6]`` -> ``[N]``."""
        arr = _states_array(states, "predict", batch_2d=True)
        if arr.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        out = np.asarray(self._estimator.predict(arr), dtype=np.float64).reshape(-1)
        if not np.isfinite(out).all():
            row = int(np.flatnonzero(~np.isfinite(out))[0])
            raise ValueError(
                f"Oracle.predict: the estimator returned {out[row]} for state "
                f"{arr[row].tolist()}; states this far out are not supported"
            )
        return out

    def ood_distance(self, states: np.ndarray) -> np.ndarray:
        """Out-of-distribution distance of states ``[N, 6]`` -> ``[N]`` (see class doc)."""
        arr = _states_array(states, "ood_distance", batch_2d=True)
        low, high = self._range[:, 0], self._range[:, 1]
        d_box = np.linalg.norm(arr - np.clip(arr, low, high), axis=1)
        d_nn = _nearest_distances(arr, self._train)
        h = self._spacing
        return d_box / h + np.maximum(d_nn / h - 1.0, 0.0)

    # --- units -------------------------------------------------------------------
    def to_real_units(self, states: np.ndarray) -> np.ndarray:
        """Scaled states ``[..., 6]`` -> real units (see ``card['features']``)."""
        arr = _states_array(states, "to_real_units", batch_2d=False)
        return (arr - self._offset) / self._scale

    def from_real_units(self, values: np.ndarray) -> np.ndarray:
        """Real-unit values ``[..., 6]`` -> the oracle's scaling."""
        arr = _states_array(values, "from_real_units", batch_2d=False)
        return arr * self._scale + self._offset

    # --- description -------------------------------------------------------------
    @property
    def scenario(self) -> str:
        return self._scenario

    @property
    def feature_names(self) -> tuple[str, ...]:
        return FEATURES

    @property
    def feature_range(self) -> np.ndarray:
        """``[6, 2]``: per-feature (low, high) of the training rows, scaled units."""
        return self._range

    @property
    def initial_state(self) -> np.ndarray:
        """``[6]``: the scenario's starting month in the oracle's scaling."""
        return self._initial

    @property
    def initial_month(self) -> str:
        return self._initial_month

    @property
    def train_states(self) -> np.ndarray:
        """``[n, 6]``: the training rows in the oracle's scaling (read-only)."""
        return self._train

    @property
    def nn_spacing(self) -> float:
        """``h``: median nearest-neighbour distance among training rows (scaled)."""
        return self._spacing

    @property
    def estimator(self) -> Any:
        """The underlying scikit-learn estimator (input: scaled states)."""
        return self._estimator

    @property
    def card(self) -> dict[str, Any]:
        """A copy of the JSON model card."""
        return copy.deepcopy(self._card)

    def __repr__(self) -> str:
        family = self._card.get("model", {}).get("family", "?")
        return (
            f"Oracle(scenario={self._scenario!r}, family={family!r}, "
            f"n_train={self._train.shape[0]}, initial_month={self._initial_month!r})"
        )


def _nearest_spacing(train: np.ndarray) -> float:
    diff = train[:, None, :] - train[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=-1))
    np.fill_diagonal(dist, np.inf)
    return float(np.median(dist.min(axis=1)))


def _check_payload(
    payload: dict[str, Any], card: dict[str, Any], scenario: str
) -> None:
    def fail(reason: str) -> OracleLoadError:
        return OracleLoadError(f"oracle payload for {scenario!r} is invalid: {reason}")

    required = ("format", "format_version", "scenario", "feature_names", "estimator")
    required += ("scaler", "train_states", "initial_state", "initial_month")
    missing = [key for key in required if key not in payload]
    if missing:
        raise fail(f"missing keys {missing}")
    if payload["format"] != FORMAT or payload["format_version"] != FORMAT_VERSION:
        raise fail(
            f"format {payload['format']!r} v{payload['format_version']!r}, expected "
            f"{FORMAT!r} v{FORMAT_VERSION}"
        )
    if payload["scenario"] != scenario or card.get("scenario") != scenario:
        raise fail(
            f"file is for scenario {payload['scenario']!r} and its card for "
            f"{card.get('scenario')!r}"
        )
    if tuple(payload["feature_names"]) != FEATURES:
        raise fail(f"features {payload['feature_names']!r}, expected {list(FEATURES)}")
    scaler = payload["scaler"]
    if not isinstance(scaler, MinMaxScaler) or tuple(scaler.feature_range) != (
        SCALED_RANGE
    ):
        raise fail("the scaler must be a fitted MinMaxScaler to (-100, 100)")
    if not hasattr(payload["estimator"], "predict"):
        raise fail("the estimator has no predict method")
