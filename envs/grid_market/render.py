"""Fan charts of GridMarket paths, in real units.

Figures are built on matplotlib's Agg canvas directly (``matplotlib.figure.Figure``
plus ``FigureCanvasAgg``), so nothing here touches pyplot or the global backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

BANDS: tuple[tuple[float, float, float], ...] = ((5.0, 95.0, 0.18), (25.0, 75.0, 0.38))


def fan_chart(
    paths_real_units: np.ndarray,
    feature_names: Sequence[str],
    title: str = "GridMarket paths",
    *,
    realized: np.ndarray | None = None,
    color: str = "tab:red",
) -> Figure:
    """One panel per variable: median path and 50% / 90% bands over the paths.

    Args:
        paths_real_units: ``[N, horizon+1, n_vars]`` paths in real units (map scaled
            states with ``oracle.to_real_units``); N may be 1.
        feature_names: ``n_vars`` panel titles.
        title: figure title.
        realized: optional ``[k, n_vars]`` real path drawn in black for reference.
        color: colour of the median and bands.
    """
    paths = np.asarray(paths_real_units, dtype=np.float64)
    if paths.ndim != 3 or paths.shape[0] < 1 or paths.shape[1] < 1:
        raise ValueError(
            f"`paths_real_units` must have shape [N, horizon+1, n_vars] with N >= 1, "
            f"got {paths.shape}"
        )
    if len(feature_names) != paths.shape[2]:
        raise ValueError(
            f"{len(feature_names)} feature names for {paths.shape[2]} variables"
        )
    if not np.isfinite(paths).all():
        raise ValueError("`paths_real_units` must be finite (no NaN or inf)")
    if realized is not None:
        realized = np.asarray(realized, dtype=np.float64)
        if realized.ndim != 2 or realized.shape[1] != paths.shape[2]:
            raise ValueError(
                f"`realized` must have shape [k, {paths.shape[2]}], got {realized.shape}"
            )
    n_vars = paths.shape[2]
    ncols = min(3, n_vars)
    nrows = -(-n_vars // ncols)
    fig = Figure(figsize=(4.2 * ncols, 2.9 * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= n_vars:
            ax.set_visible(False)
            continue
        reference = None if realized is None else realized[:, i]
        _draw_panel(ax, paths[:, :, i], feature_names[i], color, reference)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{title} (N={paths.shape[0]})")
    return fig


def _draw_panel(ax, values: np.ndarray, name: str, color: str, realized) -> None:
    """Bands, median and the optional realized path of one variable ``[N, T]``."""
    steps = np.arange(values.shape[1])
    for low, high, alpha in BANDS:
        lo, hi = np.percentile(values, [low, high], axis=0)
        ax.fill_between(
            steps,
            lo,
            hi,
            color=color,
            alpha=alpha,
            lw=0,
            label=f"{high - low:.0f}% band",
        )
    ax.plot(steps, np.median(values, axis=0), color=color, lw=1.8, label="median")
    if realized is not None:
        ax.plot(np.arange(len(realized)), realized, "k--", lw=1.2, label="realized")
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("step (months)")
    ax.grid(alpha=0.3)


def figure_to_rgb(fig: Figure) -> np.ndarray:
    """The rendered figure as a ``uint8`` ``[H, W, 3]`` array."""
    canvas = (
        fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    )
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_png(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG file (parent folders are created); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi, format="png")
    return path
