"""Draw the interbank network: banks coloured by distress, defaulted banks red.

The layout is computed once per episode (networkx spring layout, only when
rendering is asked for); drawing uses matplotlib's Agg canvas and returns RGB.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from gridmarket.envs.contagion import accounts, metrics
from gridmarket.envs.contagion.state import Network, State

ALIVE_COLOUR = np.array([0.20, 0.60, 0.30])
DISTRESSED_COLOUR = np.array([0.95, 0.60, 0.10])
DEFAULTED_COLOUR = np.array([0.85, 0.10, 0.10])


def layout(net: Network, seed: int = 0) -> np.ndarray:
    """Node positions ``[n, 2]``: a spring layout (circle above 2,000 banks)."""
    n = net.num_banks
    if n > 2000:
        angle = 2 * np.pi * np.arange(n) / n
        radius = np.where(net.core, 0.3, 1.0)
        return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(net.links.tolist())
    positions = nx.spring_layout(graph, seed=seed, iterations=50)
    return np.array([positions[i] for i in range(n)])


def node_colours(net: Network, state: State) -> np.ndarray:
    """RGB ``[n, 3]``: green → orange with distress, red once defaulted."""
    h = metrics.distress(accounts.bank_equity(net, state), net.initial_equity)
    colours = (1 - h)[:, None] * ALIVE_COLOUR + h[:, None] * DISTRESSED_COLOUR
    colours[~state.alive] = DEFAULTED_COLOUR
    return colours


def render_network(
    net: Network, state: State, positions: np.ndarray, size: int = 480
) -> np.ndarray:
    """An RGB image ``[size, size, 3]`` uint8 of the network at ``state``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    figure = Figure(figsize=(size / 100, size / 100), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    segments = positions[net.links]
    axes.add_collection(LineCollection(segments, colors="0.75", linewidths=0.5))
    assets = accounts.total_assets(net, state)
    sizes = 10 + 90 * np.sqrt(
        np.maximum(net.initial_assets, 0) / net.initial_assets.max()
    )
    axes.scatter(
        positions[:, 0],
        positions[:, 1],
        s=sizes,
        c=node_colours(net, state),
        edgecolors=np.where(assets > 0, "black", "none"),
        linewidths=0.3,
        zorder=2,
    )
    axes.set_title(
        f"t={state.t}  defaulted {int((~state.alive).sum())}/{net.num_banks}",
        y=0.95,
        fontsize=9,
    )
    axes.autoscale_view()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def render_text(net: Network, state: State) -> str:
    """A one-line summary for ``render_mode="ansi"``."""
    equity = accounts.bank_equity(net, state)
    return (
        f"t={state.t} alive={int(state.alive.sum())}/{net.num_banks} "
        f"stress={metrics.stress_index(equity, net.initial_equity):.3f} "
        f"prices=({state.prices[0]:.4f}, {state.prices[1]:.4f}) "
        f"congestion={np.round(state.congestion, 2).tolist()}"
    )
