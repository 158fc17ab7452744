"""Learning a synthetic conditional Gaussian; storage that refuses tampered files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import norm

from gridmarket.oracles.ebm import EBMConfig, load_ebm_oracle
from gridmarket.oracles.ebm import grid as G
from gridmarket.oracles.ebm.model import fit, predictive_log_mass
from gridmarket.oracles.ebm.train import train_oracle
from gridmarket.oracles.store import OracleLoadError

SD = 8.0  # the synthetic noise, % return


def _truth(x: np.ndarray) -> np.ndarray:
    return 5.0 + 20.0 * x[:, 0] / 100.0


@pytest.mark.slow
def test_learns_a_conditional_gaussian():
    """300 rows of r = 5 + 0.2 x + N(0, 8^2): learned quantiles within 0.25 sd.

    Measured: mean |error| 0.05-0.19 sd at the 5/50/95% levels. The mean CRPS on fresh
    draws must be within 5% of the true distribution's (closed form).
    """
    rng = np.random.default_rng(0)
    x = rng.uniform(-100, 100, (300, 1))
    y = _truth(x) + SD * rng.standard_normal(300)
    config = EBMConfig(
        depth=1, width=16, lr=3e-2, weight_decay=0.0, n_bins=200, epochs=200, n_basis=12
    )
    net = fit(config, x, y)
    x_test = np.linspace(-90, 90, 50)[:, None]
    with torch.no_grad():
        logm = predictive_log_mass(net, config.grid, x_test)
        q = G.quantiles(config.grid, logm, torch.tensor([0.05, 0.5, 0.95])).numpy()
        truth_q = _truth(x_test)[:, None] + SD * norm.ppf([0.05, 0.5, 0.95])[None]
        err = np.abs(q - truth_q).mean(axis=0) / SD
        assert (err < 0.25).all(), err
        y_test = _truth(x_test) + SD * rng.standard_normal(50)
        learned = float(G.crps(config.grid, logm, torch.as_tensor(y_test)).mean())
    z = (y_test - _truth(x_test)) / SD
    closed = SD * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert learned <= 1.05 * closed.mean(), (learned, closed.mean())


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="`depth` must be an int >= 1, got 0"):
        EBMConfig(depth=0)
    with pytest.raises(ValueError, match="`lr` must be finite"):
        EBMConfig(lr=float("nan"))
    config = EBMConfig(epochs=1, n_bins=20)
    with pytest.raises(ValueError, match="NaN"):
        fit(config, np.array([[0.0], [np.nan]]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="outside the grid"):
        fit(config, np.zeros((2, 1)), np.array([1.0, 500.0]))


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ebm")
    config = EBMConfig(depth=1, width=8, n_bins=60, epochs=5, n_basis=6)
    train_oracle("dotcom-2001", "ndx", config, out_dir=out)
    return out


def test_round_trip_keeps_predictions(saved: Path):
    oracle = load_ebm_oracle("dotcom-2001", "ndx", directory=saved)
    again = load_ebm_oracle("dotcom-2001", "ndx", directory=saved)
    states = oracle.train_states[:5]
    np.testing.assert_array_equal(
        oracle.quantiles(states, [0.1, 0.9]), again.quantiles(states, [0.1, 0.9])
    )
    assert oracle.card["artifact"]["sha256"] == again.card["artifact"]["sha256"]
    assert oracle.initial_month == "2000-01"


def test_tampered_safetensors_is_refused(saved: Path):
    path = saved / "dotcom-2001.ebm-ndx.safetensors"
    original = path.read_bytes()
    data = bytearray(original)
    data[-3] ^= 0x01  # one bit of one weight
    path.write_bytes(bytes(data))
    try:
        with pytest.raises(OracleLoadError, match="SHA-256 .* modified or replaced"):
            load_ebm_oracle("dotcom-2001", "ndx", directory=saved)
        # A forger who also rewrites the card's hash gets a file that is not
        # safetensors refused by the parser, not loaded.
        path.write_bytes(b"\xff" * 64)
        card_path = saved / "dotcom-2001.ebm-ndx.card.json"
        card = json.loads(card_path.read_text())
        card_text = card_path.read_text()
        card["artifact"]["sha256"] = hashlib.sha256(b"\xff" * 64).hexdigest()
        card_path.write_text(json.dumps(card))
        with pytest.raises(OracleLoadError, match="safetensors header"):
            load_ebm_oracle("dotcom-2001", "ndx", directory=saved)
        card_path.write_text(card_text)
    finally:
        path.write_bytes(original)
    load_ebm_oracle("dotcom-2001", "ndx", directory=saved)
