"""The conditional energy-based model ``E_theta(x, r)`` and its maximum-likelihood fit.

Energy::

    E(x, r) = z^2 / 2 + f_theta(x / 100, z),    z = (r - m) / s

``x`` is the state in the oracles' scaling ([-100, 100] per feature over the training
rows), ``m, s`` the mean and standard deviation of the training returns, and
``f_theta(x, z) = sum_j a_j(x) phi_j(z)`` a basis expansion in ``z`` with
coefficients from an MLP of ``x`` whose last layer starts at zero (see
:class:`EnergyNet`). So an untrained model *is* the
Gaussian climatology (restricted to the grid), and weight decay shrinks towards it:
with ~100 training months that prior is worth having.

The predictive distribution is ``p_k(x) = softmax_k(-E(x, c_k))`` over the bins of a
:class:`~gridmarket.oracles.ebm.grid.ReturnGrid` (see there: every quantity is exact on
the grid). Training maximises ``sum_i log p(y_i | x_i)`` of that distribution, full
batch, with AdamW; the normalisation is an exact sum over bins, no sampling.

Every random draw comes from a ``torch.Generator`` seeded by the config.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from gridmarket.oracles.ebm import grid as G

#: Returns in percent; a 12-month index return cannot fall below -100%.
DEFAULT_RETURN_RANGE = (-100.0, 200.0)


@dataclass(frozen=True)
class EBMConfig:
    """Hyperparameters of one EBM (units in the names).

    Attributes:
        depth: hidden layers of f_theta (>= 1).
        width: units per hidden layer (>= 1).
        lr: AdamW learning rate (> 0).
        weight_decay: AdamW decoupled weight decay (>= 0).
        n_bins: bins of the return grid (>= 2).
        n_basis: Gaussian bumps of the energy's return dependence (>= 2).
        epochs: full-batch gradient steps (>= 1).
        return_low_pct, return_high_pct: the grid's range, percent.
        seed: seeds the weight initialisation.
    """

    depth: int = 2
    width: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-2
    n_bins: int = 300
    n_basis: int = 16
    epochs: int = 400
    return_low_pct: float = DEFAULT_RETURN_RANGE[0]
    return_high_pct: float = DEFAULT_RETURN_RANGE[1]
    seed: int = 0

    def __post_init__(self) -> None:
        for name, minimum in (
            ("depth", 1),
            ("width", 1),
            ("epochs", 1),
            ("n_basis", 2),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < minimum:
                raise ValueError(
                    f"EBMConfig `{name}` must be an int >= {minimum}, got {value!r}"
                )
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"EBMConfig `lr` must be finite and > 0, got {self.lr}")
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(
                f"EBMConfig `weight_decay` must be finite and >= 0, got {self.weight_decay}"
            )
        _ = self.grid  # validates the range and n_bins

    @property
    def grid(self) -> G.ReturnGrid:
        return G.ReturnGrid(self.return_low_pct, self.return_high_pct, int(self.n_bins))

    def to_dict(self) -> dict:
        return asdict(self)


class EnergyNet(nn.Module):
    """``E(x, r) = z^2 / 2 + sum_j a_j(x) phi_j(z)`` on a batch of states and a grid.

    ``a(x)`` is an MLP of the state (``depth`` hidden layers of ``width`` SiLU units,
    ``n_basis`` outputs, zero-initialised last layer); ``phi_j`` are Gaussian bumps in
    ``z`` with centres evenly spaced over ``[-4, 4]`` and a width of one spacing. The
    basis keeps the energy smooth in ``r`` and makes a forward pass one small MLP on
    ``N`` states plus an ``[N, J] @ [J, K]`` product, instead of an MLP on ``N * K``
    pairs. Buffers ``y_mean``/``y_std`` (the standardisation of r) travel with the
    weights.
    """

    def __init__(self, n_features: int, depth: int, width: int, n_basis: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size = n_features
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.SiLU()]
            size = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(size, n_basis)
        self.register_buffer("y_mean", torch.zeros((), dtype=torch.float64))
        self.register_buffer("y_std", torch.ones((), dtype=torch.float64))
        self.register_buffer(
            "basis_centres", torch.linspace(-4.0, 4.0, n_basis, dtype=torch.float64)
        )

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Seeded init: uniform(+-1/sqrt(fan_in)) hidden layers, a zero head."""
        with torch.no_grad():
            for layer in self.body:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / np.sqrt(layer.in_features)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)
            self.head.weight.zero_()
            self.head.bias.zero_()

    def basis(self, z: torch.Tensor) -> torch.Tensor:
        """``[K, J]`` Gaussian bumps of standardised returns ``z [K]``."""
        centres = self.basis_centres
        spacing = (centres[1] - centres[0]) if centres.numel() > 1 else 1.0
        return torch.exp(-0.5 * ((z[:, None] - centres[None, :]) / spacing) ** 2)

    def forward(self, x_unit: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """``[N, K]`` energies of states ``x_unit [N, D]`` at returns ``r [K]`` (%)."""
        z = (r - self.y_mean) / self.y_std  # [K]
        coefficients = self.head(self.body(x_unit))  # [N, J]
        return 0.5 * z[None, :] ** 2 + coefficients @ self.basis(z).T


def build_net(config: EBMConfig, n_features: int) -> EnergyNet:
    net = EnergyNet(
        n_features, int(config.depth), int(config.width), int(config.n_basis)
    ).double()
    generator = torch.Generator().manual_seed(int(config.seed))
    net.reset_parameters(generator)
    return net


def predictive_log_mass(
    net: EnergyNet, grid: G.ReturnGrid, x_scaled: np.ndarray | torch.Tensor
) -> torch.Tensor:
    """``[N, K]`` log bin masses for states in the oracles' scaling."""
    x = torch.as_tensor(np.asarray(x_scaled, dtype=np.float64)) / 100.0
    return G.log_mass(net(x, grid.centers()))


class Trainer:
    """Full-batch maximum likelihood on ``(x_scaled [N, D], y [N])``, in steps.

    ``advance(n)`` runs ``n`` more epochs (one AdamW step each) and returns the last
    training NLL, so a tuner can score the model between chunks.
    """

    def __init__(self, config: EBMConfig, x_scaled: np.ndarray, y: np.ndarray) -> None:
        x_scaled = np.asarray(x_scaled, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x_scaled.ndim != 2 or y.shape != (x_scaled.shape[0],) or len(y) < 2:
            raise ValueError(
                f"EBM training needs x [N, D] and y [N] with N >= 2, got "
                f"{x_scaled.shape} and {y.shape}"
            )
        if not (np.isfinite(x_scaled).all() and np.isfinite(y).all()):
            raise ValueError("EBM training: x and y must be finite (NaN/inf found)")
        self.config, self.grid = config, config.grid
        if y.min() < self.grid.low or y.max() > self.grid.high:
            raise ValueError(
                f"EBM training: returns span [{y.min():.2f}, {y.max():.2f}]%, outside "
                f"the grid [{self.grid.low}, {self.grid.high}]%"
            )
        self.net = build_net(config, x_scaled.shape[1])
        self.net.y_mean.fill_(float(y.mean()))
        self.net.y_std.fill_(float(y.std()) if y.std() > 0 else 1.0)
        self.optimizer = torch.optim.AdamW(
            self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self._x = torch.tensor(x_scaled) / 100.0
        self._y = torch.tensor(y)
        self._centres = self.grid.centers()
        self.epoch = 0

    def advance(self, n_epochs: int) -> float:
        self.net.train()
        loss = torch.tensor(float("nan"))
        for _ in range(int(n_epochs)):
            self.optimizer.zero_grad()
            logm = G.log_mass(self.net(self._x, self._centres))
            loss = -G.log_density(self.grid, logm, self._y).mean()
            loss.backward()
            self.optimizer.step()
            self.epoch += 1
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"EBM training diverged at epoch {self.epoch} (loss "
                    f"{loss.item()}); lower `lr` (now {self.config.lr})"
                )
        self.net.eval()
        return float(loss.item())


def fit(config: EBMConfig, x_scaled: np.ndarray, y: np.ndarray) -> EnergyNet:
    """Train for ``config.epochs`` epochs; return the net (eval mode)."""
    trainer = Trainer(config, x_scaled, y)
    trainer.advance(config.epochs)
    return trainer.net
