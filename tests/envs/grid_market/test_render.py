"""Fan charts in real units."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.grid_market.render import fan_chart, figure_to_rgb, save_png
from gridmarket.oracles import load_oracle


def test_fan_chart_draws_median_and_bands_per_variable(tmp_path):
    oracle = load_oracle("gfc-2007")
    rng = np.random.default_rng(0)
    scaled = np.cumsum(rng.uniform(-10, 10, (50, 13, 6)), axis=1) + oracle.initial_state
    paths = oracle.to_real_units(scaled)
    fig = fan_chart(paths, oracle.feature_names, title="gfc-2007")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == list(oracle.feature_names)
    vix = axes[3]
    median = vix.lines[0].get_ydata()
    np.testing.assert_allclose(median, np.median(paths[:, :, 3], axis=0))
    assert len(vix.collections) == 2  # the 90% and 50% bands
    # Real units: the VIX panel is in index points, not the [-100, 100] scaling.
    assert 5 < median[0] < 20
    image = figure_to_rgb(fig)
    assert image.dtype == np.uint8 and image.shape[2] == 3
    out = save_png(fig, tmp_path / "charts" / "fan.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fan_chart_with_a_realized_path_and_one_path():
    paths = np.zeros((1, 4, 2))
    fig = fan_chart(paths, ["a", "b"], realized=np.ones((3, 2)))
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match=r"`realized` must have shape \[k, 2\]"):
        fan_chart(paths, ["a", "b"], realized=np.ones(3))


@pytest.mark.parametrize(
    ("paths", "names", "match"),
    [
        (np.zeros((4, 6)), ["x"] * 6, r"\[N, horizon\+1, n_vars\]"),
        (np.zeros((0, 3, 6)), ["x"] * 6, "N >= 1"),
        (np.zeros((2, 3, 6)), ["x"] * 5, "5 feature names for 6 variables"),
        (np.full((2, 3, 1), np.nan), ["x"], "finite"),
    ],
)
def test_bad_paths(paths, names, match):
    with pytest.raises(ValueError, match=match):
        fan_chart(paths, names)
