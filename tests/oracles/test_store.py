"""Safe loading: SHA-256 against the card, explicit type allow-list, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import FunctionTransformer

from gridmarket.oracles import (
    SCENARIOS,
    TRUSTED_TYPES,
    OracleLoadError,
    load_oracle,
    store,
)
from gridmarket.oracles.oracle import default_artifact_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def artifacts(tmp_path: Path) -> Path:
    """A private copy of the shipped oracles."""
    for path in default_artifact_dir().iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _rewrite_card_sha(directory: Path, scenario: str) -> None:
    card_path = directory / f"{scenario}.card.json"
    card = json.loads(card_path.read_text())
    card["artifact"]["sha256"] = store.sha256_bytes(
        (directory / f"{scenario}.skops").read_bytes()
    )
    card_path.write_text(json.dumps(card))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_shipped_oracles_load_with_only_trusted_types(scenario):
    path = default_artifact_dir() / f"{scenario}.skops"
    card = json.loads((default_artifact_dir() / f"{scenario}.card.json").read_text())
    data = path.read_bytes()
    assert store.sha256_bytes(data) == card["artifact"]["sha256"]
    assert store.artifact_types(data) <= set(TRUSTED_TYPES)
    oracle = load_oracle(scenario)
    assert oracle.scenario == scenario
    assert oracle.card["artifact"]["trusted_types"] == list(TRUSTED_TYPES)


def test_tampered_file_is_refused_before_parsing(artifacts, monkeypatch):
    path = artifacts / "gfc-2007.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    def never(*args, **kwargs):
        raise AssertionError("a tampered file must not reach skops")

    monkeypatch.setattr(store.sio, "loads", never)
    with pytest.raises(OracleLoadError, match="SHA-256.*modified or replaced"):
        load_oracle("gfc-2007", directory=artifacts)


@pytest.mark.parametrize(
    ("intruder", "type_name"),
    [
        # skops itself trusts scikit-learn estimators by default; our list does not.
        (LinearRegression(), "sklearn.linear_model._base.LinearRegression"),
        (FunctionTransformer(np.log1p), "numpy.log1p"),
    ],
)
def test_file_with_unknown_type_is_refused(artifacts, monkeypatch, intruder, type_name):
    oracle = load_oracle("gfc-2007", directory=artifacts)
    payload = {
        "format": "gridmarket-oracle",
        "format_version": 1,
        "scenario": "gfc-2007",
        "feature_names": list(oracle.feature_names),
        "estimator": oracle.estimator,
        "scaler": None,
        "train_states": oracle.train_states,
        "initial_state": oracle.initial_state,
        "initial_month": oracle.initial_month,
        "extra": intruder,
    }
    (artifacts / "gfc-2007.skops").write_bytes(sio.dumps(payload))
    _rewrite_card_sha(artifacts, "gfc-2007")  # the SHA check passes; the types do not
    monkeypatch.setattr(store.sio, "loads", lambda *a, **k: pytest.fail("loaded"))
    with pytest.raises(OracleLoadError, match=f"outside the trusted list.*{type_name}"):
        load_oracle("gfc-2007", directory=artifacts)


def test_corrupt_file_is_refused(artifacts):
    path = artifacts / "dotcom-2001.skops"
    path.write_bytes(path.read_bytes()[:200])
    _rewrite_card_sha(artifacts, "dotcom-2001")
    with pytest.raises(OracleLoadError, match="not a readable skops file"):
        load_oracle("dotcom-2001", directory=artifacts)


def test_missing_files_and_bad_cards(artifacts):
    (artifacts / "inflation-2022.skops").unlink()
    with pytest.raises(FileNotFoundError, match="inflation-2022.skops.*missing"):
        load_oracle("inflation-2022", directory=artifacts)
    (artifacts / "gfc-2007.card.json").unlink()
    with pytest.raises(FileNotFoundError, match="model card.*missing"):
        load_oracle("gfc-2007", directory=artifacts)
    (artifacts / "dotcom-2001.card.json").write_text("{not json")
    with pytest.raises(OracleLoadError, match="not valid JSON"):
        load_oracle("dotcom-2001", directory=artifacts)
    (artifacts / "dotcom-2001.card.json").write_text(json.dumps({"artifact": {}}))
    with pytest.raises(OracleLoadError, match="no artifact.sha256"):
        load_oracle("dotcom-2001", directory=artifacts)


def test_unknown_scenario_lists_valid_ones():
    with pytest.raises(
        ValueError, match=r"\['dotcom-2001', 'gfc-2007', 'inflation-2022'\]"
    ):
        load_oracle("gfc-2008")


def test_payload_for_another_scenario_is_refused(artifacts):
    shutil.copy(artifacts / "gfc-2007.skops", artifacts / "dotcom-2001.skops")
    _rewrite_card_sha(artifacts, "dotcom-2001")
    with pytest.raises(OracleLoadError, match="for scenario 'gfc-2007'"):
        load_oracle("dotcom-2001", directory=artifacts)


def test_dump_refuses_untrusted_types(tmp_path):
    with pytest.raises(OracleLoadError, match="outside TRUSTED_TYPES"):
        store.dump_artifact({"model": LinearRegression()}, tmp_path / "x.skops")
    assert not (tmp_path / "x.skops").exists()


def test_no_pickle_or_joblib_files_in_the_repository():
    skip = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
    found = [
        p
        for p in REPO.rglob("*")
        if p.suffix in {".pkl", ".pickle", ".joblib"} and not skip & set(p.parts)
    ]
    assert found == []
