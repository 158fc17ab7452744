"""Frozen parameter dataclasses of contagion_v0, with units and checked ranges.

Money is in abstract currency units (the mean bank has ``mean_assets`` of them);
security quantities are in units whose initial price is ``initial_price``. One step is
one period (think of a week); every rate below is *per step*.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

import numpy as np

from gridmarket.envs.contagion.checks import (
    check_int,
    nonnegative,
    open01,
    positive,
    unit,
    validate_fields,
)

INF = np.inf

# The largest world contagion_v0 builds. At 50,000 banks a reset (networkx's
# Barabási–Albert graph) takes about 20 s and a step about 4 s on one core; beyond
# 100,000 the env is no longer an RL environment but a batch job.
MAX_NUM_BANKS = 100_000
# Peak memory of a reset plus a step, measured with tracemalloc at 5,000 banks
# (edges_per_node 1, 2 and 6): about 700 B per bank and 425 B per network link,
# rounded up here.
BYTES_PER_BANK = 1_000
BYTES_PER_LINK = 500


class WorldTooLargeError(ValueError):
    """A world whose size exceeds ``MAX_NUM_BANKS`` or the machine's memory."""


def estimated_memory_bytes(
    num_banks: int, edges_per_node: int, max_core_size: int
) -> int:
    """Peak bytes of a reset and a step of a world of this size (an estimate)."""
    core = min(max_core_size, num_banks)
    links = min(edges_per_node, num_banks - 1) * num_banks + core * (core - 1) // 2
    return BYTES_PER_BANK * num_banks + BYTES_PER_LINK * links


def physical_memory_bytes() -> int | None:
    """This machine's physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def _gib(size: float) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def check_world_size(num_banks: int, edges_per_node: int, max_core_size: int) -> None:
    """Refuse worlds above ``MAX_NUM_BANKS`` or the machine's memory, up front."""
    estimate = estimated_memory_bytes(num_banks, edges_per_node, max_core_size)
    machine = physical_memory_bytes()
    if num_banks <= MAX_NUM_BANKS and (machine is None or estimate <= machine):
        return
    limit = estimated_memory_bytes(MAX_NUM_BANKS, edges_per_node, max_core_size)
    memory = "unknown" if machine is None else _gib(machine)
    raise WorldTooLargeError(
        f"NetworkParams.num_banks={num_banks:,} is too large: a world of that size "
        f"needs about {_gib(estimate)} (estimate: {BYTES_PER_BANK:,} B per bank + "
        f"{BYTES_PER_LINK:,} B per network link, edges_per_node={edges_per_node}); "
        f"the allowed maximum is num_banks <= MAX_NUM_BANKS = {MAX_NUM_BANKS:,} "
        f"(about {_gib(limit)}) and within this machine's memory ({memory})"
    )


@dataclass(frozen=True)
class NetworkParams:
    """The interbank network, drawn at reset (networkx is used there only).

    Attributes:
        num_banks: number of banks n (2 <= n <= ``MAX_NUM_BANKS`` = 100,000, and
            within the machine's memory: see ``estimated_memory_bytes``).
        edges_per_node: Barabási–Albert attachment m (>= 1; capped at n-1).
        core_fraction: share of banks, by degree, that form the core (0, 1].
        max_core_size: the core has at most this many banks (>= 2); core banks are
            all linked to each other (a clique), the core–periphery structure.
        size_exponent: total assets scale as degree**size_exponent (>= 0).
        mean_assets: mean target total assets of a bank (currency units, > 0).
        num_exchanges: exchanges (>= 1); each bank trades on one of them.
        num_ccps: central counterparties (>= 1, <= num_exchanges); exchange k clears
            through CCP ``k % num_ccps`` and its banks are members of that CCP.
    """

    num_banks: int = 30
    edges_per_node: int = 2
    core_fraction: float = 0.1
    max_core_size: int = 32
    size_exponent: float = 1.0
    mean_assets: float = 100.0
    num_exchanges: int = 2
    num_ccps: int = 2

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "num_banks": ("int", 2),
                "edges_per_node": ("int", 1),
                "core_fraction": ("float", 0.0, 1.0, True, False),
                "max_core_size": ("int", 2),
                "size_exponent": nonnegative(),
                "mean_assets": positive(),
                "num_exchanges": ("int", 1),
                "num_ccps": ("int", 1),
            },
        )
        if self.num_ccps > self.num_exchanges:
            raise ValueError(
                f"NetworkParams.num_ccps must be <= num_exchanges, got num_ccps="
                f"{self.num_ccps} > num_exchanges={self.num_exchanges}"
            )
        check_world_size(self.num_banks, self.edges_per_node, self.max_core_size)


@dataclass(frozen=True)
class BalanceSheetParams:
    """Initial balance sheets, as shares of each bank's total assets.

    Attributes:
        interbank_share: interbank claims (loans to other banks) / total assets.
        cash_weight, liquid_weight, illiquid_weight: how the remaining external
            assets split between cash, the liquid security (government bonds) and
            the illiquid security (loans, MBS); they are normalized to sum to 1.
        equity_ratio: equity / total assets (0, 1).
        min_deposit_share: deposits are at least this share of total assets; banks
            that borrow more interbank are made larger to keep it.
        derivative_notional_share: std of a bank's cleared futures notional / assets.
    """

    interbank_share: float = 0.2
    cash_weight: float = 0.06
    liquid_weight: float = 0.19
    illiquid_weight: float = 0.75
    equity_ratio: float = 0.08
    min_deposit_share: float = 0.2
    derivative_notional_share: float = 0.2

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "interbank_share": ("float", 0.0, 0.9, False, False),
                "cash_weight": nonnegative(),
                "liquid_weight": nonnegative(),
                "illiquid_weight": nonnegative(),
                "equity_ratio": open01(),
                "min_deposit_share": ("float", 0.0, 1.0, False, True),
                "derivative_notional_share": nonnegative(),
            },
        )
        if self.cash_weight + self.liquid_weight + self.illiquid_weight <= 0:
            raise ValueError(
                "BalanceSheetParams: cash_weight + liquid_weight + illiquid_weight must "
                f"be > 0, got {self.cash_weight} + {self.liquid_weight} + "
                f"{self.illiquid_weight}"
            )
        if self.equity_ratio + self.min_deposit_share >= 1:
            raise ValueError(
                "BalanceSheetParams: equity_ratio + min_deposit_share must be < 1, got "
                f"{self.equity_ratio} + {self.min_deposit_share}"
            )


@dataclass(frozen=True)
class MarketParams:
    """Two securities, index 0 liquid and 1 illiquid, sold into finite depth.

    Price impact per step is ``P <- P * max(exp(-b * sold / depth), 1 - max_step_drop)``
    with ``b = -log(1 - impact) / impact_reference_share``: selling
    ``impact_reference_share`` of the depth moves the price down by ``impact``.

    Attributes:
        initial_price: price of both securities at reset (currency per unit, > 0).
        depth_liquid, depth_illiquid: market depth (units) as a multiple of the
            units all banks hold at reset (> 0).
        impact_reference_share: the share of depth that the impacts refer to (0, 1].
        impact_liquid, impact_illiquid: relative price fall when that share is sold.
        max_step_drop: cap on the fall from price impact in one step (0, 1).
        yield_liquid, yield_illiquid: cash income per step per unit of value held.
        volatility: baseline std of illiquid log-returns per step; the floor of the
            EWMA volatility that sets initial margin.
        ewma_decay: decay of that EWMA variance estimate (0, 1).
        mean_reversion: share of the log-gap to the fundamental price closed each
            step, an exogenous recovery (0 = none).
    """

    initial_price: float = 1.0
    depth_liquid: float = 10.0
    depth_illiquid: float = 3.0
    impact_reference_share: float = 0.1
    impact_liquid: float = 0.005
    impact_illiquid: float = 0.05
    max_step_drop: float = 0.3
    yield_liquid: float = 0.0002
    yield_illiquid: float = 0.001
    volatility: float = 0.01
    ewma_decay: float = 0.94
    mean_reversion: float = 0.05

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "initial_price": positive(),
                "depth_liquid": positive(),
                "depth_illiquid": positive(),
                "impact_reference_share": ("float", 0.0, 1.0, True, False),
                "impact_liquid": ("float", 0.0, 1.0, False, True),
                "impact_illiquid": ("float", 0.0, 1.0, False, True),
                "max_step_drop": open01(),
                "yield_liquid": ("float", 0.0, 0.1, False, False),
                "yield_illiquid": ("float", 0.0, 0.1, False, False),
                "volatility": ("float", 0.0, 1.0, True, False),
                "ewma_decay": ("float", 0.0, 1.0, False, True),
                "mean_reversion": unit(),
            },
        )

    def impact_coefficients(self) -> np.ndarray:
        """``b`` of each security, so that the calibration sentence holds exactly."""
        impacts = np.array([self.impact_liquid, self.impact_illiquid])
        return -np.log1p(-impacts) / self.impact_reference_share


@dataclass(frozen=True)
class BankingParams:
    """Interest, regulation and default costs.

    Attributes:
        interbank_rate: interest accrued on interbank loans per step.
        deposit_rate: interest paid on deposits per step.
        reserve_ratio: cash buffer banks keep, as a share of deposits; cash above it
            is "excess cash" that can be lent, and falling below it after margin
            calls triggers liquidity deleveraging.
        max_borrow_share: most a bank can request per step, share of total assets.
        min_capital_ratio: equity / risk-weighted assets below which a bank must
            deleverage (sell the illiquid security).
        target_capital_ratio: the ratio such deleveraging aims for.
        risk_weight_liquid, risk_weight_illiquid, risk_weight_interbank,
            risk_weight_collateral: Basel-style risk weights (cash has 0).
        liquidity_runoff: share of deposits assumed to run in the liquidity measure.
        alpha: share of external assets a defaulting bank realizes (Rogers–Veraart).
        beta: share of interbank receipts a defaulting bank realizes.
    """

    interbank_rate: float = 0.0005
    deposit_rate: float = 0.0002
    reserve_ratio: float = 0.02
    max_borrow_share: float = 0.05
    min_capital_ratio: float = 0.08
    target_capital_ratio: float = 0.1
    risk_weight_liquid: float = 0.0
    risk_weight_illiquid: float = 1.0
    risk_weight_interbank: float = 0.2
    risk_weight_collateral: float = 0.02
    liquidity_runoff: float = 0.1
    alpha: float = 0.9
    beta: float = 0.95

    def __post_init__(self) -> None:
        small_rate = ("float", 0.0, 0.1, False, False)
        validate_fields(
            self,
            {
                "interbank_rate": small_rate,
                "deposit_rate": small_rate,
                "reserve_ratio": unit(),
                "max_borrow_share": unit(),
                "min_capital_ratio": unit(),
                "target_capital_ratio": unit(),
                "risk_weight_liquid": nonnegative(),
                "risk_weight_illiquid": positive(),
                "risk_weight_interbank": nonnegative(),
                "risk_weight_collateral": nonnegative(),
                "liquidity_runoff": ("float", 0.0, 1.0, True, False),
                "alpha": unit(),
                "beta": unit(),
            },
        )
        if self.target_capital_ratio < self.min_capital_ratio:
            raise ValueError(
                "BankingParams.target_capital_ratio must be >= min_capital_ratio, got "
                f"{self.target_capital_ratio} < {self.min_capital_ratio}"
            )


@dataclass(frozen=True)
class ExchangeParams:
    """Exchanges: an order queue with a throughput limit, fees and settlement delay.

    Attributes:
        throughput_share: value an exchange executes per step, as a share of the
            banks' initial securities value divided by the number of exchanges.
        fee_rate: fee per unit of executed value when the exchange is not congested.
        congestion_surcharge: the fee rate is multiplied by
            ``1 + congestion_surcharge * min(congestion, congestion_cap)``, where
            congestion = queued value / throughput.
        congestion_cap: saturation of that surcharge.
        settlement_delay: steps from execution to settlement (>= 0).
    """

    throughput_share: float = 0.05
    fee_rate: float = 0.001
    congestion_surcharge: float = 0.5
    congestion_cap: float = 10.0
    settlement_delay: int = 1

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "throughput_share": ("float", 0.0, INF, True, False),
                "fee_rate": ("float", 0.0, 0.1, False, False),
                "congestion_surcharge": nonnegative(),
                "congestion_cap": nonnegative(),
                "settlement_delay": ("int", 0),
            },
        )


@dataclass(frozen=True)
class CCPParams:
    """Central counterparties clearing futures on the illiquid security.

    Attributes:
        confidence: one-sided confidence of initial margin (0.5, 1).
        margin_period: margin period of risk (steps, >= 1).
        stress_move: relative price move of the Cover-2 stress test (0, 1].
        sitg_share: CCP skin in the game, as a share of the initial default fund.
        assessment_cap: most a survivor can be assessed, in multiples of its
            default-fund contribution.
    """

    confidence: float = 0.99
    margin_period: int = 5
    stress_move: float = 0.15
    sitg_share: float = 0.25
    assessment_cap: float = 1.0

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "confidence": ("float", 0.5, 1.0, True, True),
                "margin_period": ("int", 1),
                "stress_move": ("float", 0.0, 1.0, True, False),
                "sitg_share": nonnegative(),
                "assessment_cap": nonnegative(),
            },
        )


SYSTEMIC_CHARGES = ("level", "increase")


@dataclass(frozen=True)
class RewardParams:
    """``R = profit + μ·liquidity − α_d·default − λ·systemic_risk`` per bank and step.

    profit = change in book equity / initial equity; liquidity in [0, 1]; default = 1
    in the step a bank defaults; systemic_risk is, with ``systemic_charge``:

    * ``"increase"`` (default): the stress index's (share of system equity lost,
      in [0, 1]) increase during the step, negative when equity recovers. Its sum
      over an episode telescopes to the stress that arose while the bank was
      alive, so a bank pays at most λ for the system's losses and its own default
      (α_d) is not outweighed by them.
    * ``"level"``: the stress index after the step, charged every step a bank is
      alive. A bank that defaults stops paying it, so in a lasting crisis
      defaulting early pays: over H remaining steps at stress s a survivor pays
      λ·s·H, a defaulter α_d once. Learners find that (BENCHMARKS.md, issue 8).

    Attributes:
        liquidity_weight: μ (>= 0).
        default_penalty: α_d (>= 0).
        systemic_weight: λ (>= 0).
        systemic_charge: ``"level"`` or ``"increase"`` (see above).
    """

    liquidity_weight: float = 0.05
    default_penalty: float = 1.0
    systemic_weight: float = 0.5
    systemic_charge: str = "increase"

    def __post_init__(self) -> None:
        validate_fields(
            self,
            {
                "liquidity_weight": nonnegative(),
                "default_penalty": nonnegative(),
                "systemic_weight": nonnegative(),
            },
        )
        if self.systemic_charge not in SYSTEMIC_CHARGES:
            raise ValueError(
                f"RewardParams.systemic_charge must be one of {SYSTEMIC_CHARGES}, "
                f"got {self.systemic_charge!r}"
            )


@dataclass(frozen=True)
class ContagionParams:
    """Everything that defines a contagion_v0 world except the scenario.

    Attributes:
        network, balance_sheet, market, banking, exchange, ccp, reward: see above.
        max_steps: episode length; episodes are truncated after it (>= 1).
    """

    network: NetworkParams = field(default_factory=NetworkParams)
    balance_sheet: BalanceSheetParams = field(default_factory=BalanceSheetParams)
    market: MarketParams = field(default_factory=MarketParams)
    banking: BankingParams = field(default_factory=BankingParams)
    exchange: ExchangeParams = field(default_factory=ExchangeParams)
    ccp: CCPParams = field(default_factory=CCPParams)
    reward: RewardParams = field(default_factory=RewardParams)
    max_steps: int = 100

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name == "max_steps":
                continue
            value = getattr(self, item.name)
            expected = item.default_factory  # type: ignore[misc]
            if not isinstance(value, expected):  # type: ignore[arg-type]
                raise TypeError(
                    f"ContagionParams.{item.name} must be a {expected.__name__}, "  # type: ignore[union-attr]
                    f"got {type(value).__name__}"
                )
        check_int("ContagionParams.max_steps", self.max_steps, 1)

    @property
    def num_banks(self) -> int:
        return self.network.num_banks
