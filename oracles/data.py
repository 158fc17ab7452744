"""The monthly feature table of the GRID stress-scenario oracles, built as the paper did.

Sources: the five CSV files in ``oracles/data/macro_monthly/`` (copied verbatim; see
the README there for provenance). The table is built exactly as the GRID paper built
its oracle data:

- Features, in this order: ``Volume_spx`` and ``Volume_ndx`` (monthly index volume /
  1e6), ``Close_ndx``, ``Close_vix`` (month-end closes), ``IRLTCT01USM156N`` (10-year
  US government bond yield, %), ``BAMLH0A3HYCEY`` (CCC & lower high-yield effective
  yield, %, the first non-blank daily value of each month).
- Inner join by month: 1996-12 to 2022-12, 313 months.
- Target: the forward 12-month S&P 500 return in percent,
  ``100 * (Close_spx[t+12] / Close_spx[t] - 1)``; NaN for the last 12 months. (The
  paper's code used ``pct_change(-12)``, i.e. ``Close[t]/Close[t+12] - 1``, which has the
  opposite sign convention; we use the forward return that its text describes.)

Per-scenario windows (:func:`scenario_split`), for a cutoff month ``C``:

- Labelled rows: months ``t`` whose 12-month target window closes by the cutoff month,
  ``t + 12 <= C`` (and within the data, which ends 2022-12).
- Hold-out: the last 12 labelled rows. Training rows: every labelled row before them.
- Initial month of the scenario: the last training month. An episode's 12 steps then
  run over the held-out year, and the terminal month is the last held-out month, whose
  real forward return is the crisis year (dot-com 2001, GFC 2008, inflation 2022).

pandas is used here and in training only; the oracles predict from numpy arrays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES: tuple[str, ...] = (
    "Volume_spx",
    "Close_ndx",
    "Volume_ndx",
    "Close_vix",
    "IRLTCT01USM156N",
    "BAMLH0A3HYCEY",
)
FEATURE_UNITS: dict[str, str] = {
    "Volume_spx": "S&P 500 monthly volume, millions",
    "Close_ndx": "Nasdaq-100 month-end close, index points",
    "Volume_ndx": "Nasdaq-100 monthly volume, millions",
    "Close_vix": "VIX month-end close, index points",
    "IRLTCT01USM156N": "US 10-year government bond yield, %",
    "BAMLH0A3HYCEY": "ICE BofA CCC & lower US high-yield effective yield, % (first of month)",
}
TARGET = "forward_return_12m"
TARGET_DESCRIPTION = (
    "forward 12-month S&P 500 return in percent: 100*(Close[t+12]/Close[t]-1)"
)
HORIZON_MONTHS = 12
HOLDOUT_MONTHS = 12
TABLE_START = "1996-12"
TABLE_END = "2022-12"
FILES: tuple[str, ...] = (
    "SPX_monthly.csv",
    "NDX_monthly.csv",
    "VIX_monthly.csv",
    "IRLTCT01USM156N.csv",
    "BAMLH0A3HYCEY_daily.csv",
)


@dataclass(frozen=True)
class ScenarioSpec:
    """A named stress scenario: its data cutoff month and what it is about."""

    name: str
    cutoff: str
    description: str


SCENARIO_SPECS: dict[str, ScenarioSpec] = {
    "dotcom-2001": ScenarioSpec(
        "dotcom-2001", "2002-01", "dot-com bust; oracle 1 of the GRID paper"
    ),
    "gfc-2007": ScenarioSpec(
        "gfc-2007", "2009-01", "global financial crisis; oracle 2 of the GRID paper"
    ),
    "inflation-2022": ScenarioSpec(
        "inflation-2022",
        "2023-01",
        "2022 inflation sell-off; oracle 3 of the GRID paper",
    ),
}
SCENARIOS: tuple[str, ...] = tuple(SCENARIO_SPECS)


def check_scenario(scenario: object) -> str:
    """Return ``scenario`` if it names a scenario, else raise listing the valid ones."""
    if not isinstance(scenario, str):
        raise TypeError(
            f"`scenario` must be a str, one of {list(SCENARIOS)}, got {scenario!r} "
            f"of type {type(scenario).__name__}"
        )
    if scenario not in SCENARIO_SPECS:
        raise ValueError(
            f"unknown scenario {scenario!r}; valid scenarios are {list(SCENARIOS)}"
        )
    return scenario


def default_data_dir() -> Path:
    """The packaged ``macro_monthly`` folder."""
    return Path(str(resources.files("gridmarket.oracles"))) / "data" / "macro_monthly"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"data file {str(path)!r} is missing; the package ships it under "
            f"gridmarket/oracles/data/macro_monthly/ (reinstall gridmarket)"
        )
    return path


def read_yahoo_monthly(path: str | Path) -> pd.DataFrame:
    """A Yahoo Finance monthly export: ``Close`` and ``Volume`` indexed by month start."""
    path = _require(Path(path))
    header = pd.read_csv(path, nrows=2, header=None)
    if header.iloc[0, 0] != "Price" or header.iloc[1, 0] != "Ticker":
        raise ValueError(
            f"{path.name}: expected the Yahoo export layout with header rows "
            f"'Price,...' and 'Ticker,...', got {header.iloc[:, 0].tolist()}"
        )
    frame = pd.read_csv(path, skiprows=[1, 2]).rename(columns={"Price": "Date"})
    frame["Date"] = pd.to_datetime(frame["Date"], format="%Y-%m-%d")
    frame = frame.set_index("Date")[["Close", "Volume"]].astype(np.float64)
    return _month_index(frame, path)


def read_fred(path: str | Path, column: str) -> pd.Series:
    """A FRED series: the first non-blank value of each month, indexed by month start."""
    path = _require(Path(path))
    frame = pd.read_csv(path)
    if list(frame.columns) != ["observation_date", column]:
        raise ValueError(
            f"{path.name}: expected columns ['observation_date', {column!r}], got "
            f"{list(frame.columns)}"
        )
    frame["observation_date"] = pd.to_datetime(
        frame["observation_date"], format="%Y-%m-%d"
    )
    frame[column] = pd.to_numeric(frame[column], errors="raise")
    frame = frame.dropna(subset=[column])
    month = frame["observation_date"].dt.to_period("M").dt.to_timestamp()
    series = frame.groupby(month)[column].first().astype(np.float64)
    series.index.name = "Date"
    return series


def _month_index(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if not (frame.index == frame.index.to_period("M").to_timestamp()).all():
        raise ValueError(f"{path.name}: dates must be the first of each month")
    if frame.index.has_duplicates:
        raise ValueError(f"{path.name}: duplicate months")
    return frame


def build_feature_table(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The joined monthly table: ``FEATURES``, ``Close_spx`` and ``TARGET``.

    Index: month starts ``1996-12-01 .. 2022-12-01`` (named ``month``). ``TARGET`` is
    NaN for the last 12 months, whose forward window runs past the data.
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    spx = read_yahoo_monthly(root / "SPX_monthly.csv")
    ndx = read_yahoo_monthly(root / "NDX_monthly.csv")
    vix = read_yahoo_monthly(root / "VIX_monthly.csv")
    columns = {
        "Close_spx": spx["Close"],
        "Volume_spx": spx["Volume"] / 1e6,
        "Close_ndx": ndx["Close"],
        "Volume_ndx": ndx["Volume"] / 1e6,
        "Close_vix": vix["Close"],
        "IRLTCT01USM156N": read_fred(root / "IRLTCT01USM156N.csv", "IRLTCT01USM156N"),
        "BAMLH0A3HYCEY": read_fred(root / "BAMLH0A3HYCEY_daily.csv", "BAMLH0A3HYCEY"),
    }
    table = pd.concat(columns, axis=1, join="inner").sort_index()
    table = table.loc[TABLE_START:TABLE_END]
    if table.isna().any().any():
        raise ValueError("feature table has missing values after the inner join")
    close = table["Close_spx"]
    table[TARGET] = 100.0 * (close.shift(-HORIZON_MONTHS) / close - 1.0)
    table.index.name = "month"
    return table[[*FEATURES, "Close_spx", TARGET]]


@dataclass(frozen=True)
class ScenarioSplit:
    """The rows of one scenario oracle: training, hold-out and the initial month."""

    scenario: str
    cutoff: str
    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def initial_month(self) -> str:
        """The last training month: the scenario's starting state (``YYYY-MM``)."""
        return month_str(self.train.index[-1])

    @property
    def X_train(self) -> np.ndarray:
        return self.train[list(FEATURES)].to_numpy(np.float64)

    @property
    def y_train(self) -> np.ndarray:
        return self.train[TARGET].to_numpy(np.float64)

    @property
    def X_holdout(self) -> np.ndarray:
        return self.holdout[list(FEATURES)].to_numpy(np.float64)

    @property
    def y_holdout(self) -> np.ndarray:
        return self.holdout[TARGET].to_numpy(np.float64)


def month_str(month: pd.Timestamp) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def scenario_split(scenario: str, table: pd.DataFrame | None = None) -> ScenarioSplit:
    """Training rows, the 12 hold-out rows and the initial month of one scenario."""
    spec = SCENARIO_SPECS[check_scenario(scenario)]
    table = build_feature_table() if table is None else table
    cutoff = pd.Timestamp(f"{spec.cutoff}-01")
    last_labelled = cutoff - pd.DateOffset(months=HORIZON_MONTHS)
    labelled = table.loc[:last_labelled].dropna(subset=[TARGET])
    if len(labelled) <= HOLDOUT_MONTHS + 12:
        raise ValueError(
            f"scenario {scenario!r} has only {len(labelled)} labelled months before "
            f"its cutoff {spec.cutoff}"
        )
    return ScenarioSplit(
        scenario=scenario,
        cutoff=spec.cutoff,
        train=labelled.iloc[:-HOLDOUT_MONTHS],
        holdout=labelled.iloc[-HOLDOUT_MONTHS:],
    )


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
