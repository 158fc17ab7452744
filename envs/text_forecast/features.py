"""Features of a forecasting window: TA-Lib indicators and window statistics.

Pure numpy plus TA-Lib (the ``ta-lib`` wheel, which bundles the C library). Nothing
here imports gymnasium.

* :func:`indicator_series` runs the seed pipeline's indicators (SMA, EMA, MOM,
  STOCH_K/D, RSI, MACD, WILLR, CCI, ADX, BBANDS upper/middle/lower) over a whole
  price series. Every TA-Lib function used is causal: the value on day ``t`` depends
  on days ``<= t`` only, so a window ending on day ``t`` reads its indicators from
  row ``t`` and they have warmed up on the days before the window.
  ``tests/envs/text_forecast/test_leakage.py`` proves it by rewriting every later
  price.
* :func:`window_statistics` summarises each window's closes (vectorised over a
  batch of windows): min and max with their timesteps, mean, median with its
  timestep, trend, and lag correlations of the daily changes.
"""

from __future__ import annotations

import numpy as np
import talib

# Indicator periods (trading days). TA-Lib's own defaults, except SMA/EMA/MOM,
# which TA-Lib defaults to 30 and 10; a 10-day average suits a 10-day horizon.
MA_PERIOD = 10
MOM_PERIOD = 10
OSC_PERIOD = 14  # RSI, STOCH fast %K, WILLR, CCI, ADX
BB_PERIOD = 20
BB_NBDEV = 2.0
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
STOCH_SLOW_K, STOCH_SLOW_D = 3, 3
LAGS = (1, 2, 3)

INDICATOR_NAMES: tuple[str, ...] = (
    "sma",
    "ema",
    "mom",
    "stoch_k",
    "stoch_d",
    "rsi",
    "macd",
    "macd_signal",
    "willr",
    "cci",
    "adx",
    "bb_upper",
    "bb_middle",
    "bb_lower",
)
STATISTIC_NAMES: tuple[str, ...] = (
    "min",
    "min_t",
    "max",
    "max_t",
    "mean",
    "median",
    "median_t",
    "trend",
    *(f"lag{lag}_corr" for lag in LAGS),
)
FEATURE_NAMES: tuple[str, ...] = INDICATOR_NAMES + STATISTIC_NAMES


def indicator_series(
    high: np.ndarray, low: np.ndarray, close: np.ndarray
) -> dict[str, np.ndarray]:
    """Each indicator of :data:`INDICATOR_NAMES` on every day of a series.

    ``high``, ``low``, ``close``: float64 arrays of shape (n_days,). Returns arrays
    of shape (n_days,), NaN during each indicator's warm-up (see
    :func:`warmup_days`).
    """
    h, lo, c = (np.ascontiguousarray(a, dtype=np.float64) for a in (high, low, close))
    stoch_k, stoch_d = talib.STOCH(
        h,
        lo,
        c,
        fastk_period=OSC_PERIOD,
        slowk_period=STOCH_SLOW_K,
        slowd_period=STOCH_SLOW_D,
    )
    macd, macd_signal, _ = talib.MACD(
        c, fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL
    )
    bb_upper, bb_middle, bb_lower = talib.BBANDS(
        c, timeperiod=BB_PERIOD, nbdevup=BB_NBDEV, nbdevdn=BB_NBDEV
    )
    return {
        "sma": talib.SMA(c, timeperiod=MA_PERIOD),
        "ema": talib.EMA(c, timeperiod=MA_PERIOD),
        "mom": talib.MOM(c, timeperiod=MOM_PERIOD),
        "stoch_k": stoch_k,
        "stoch_d": stoch_d,
        "rsi": talib.RSI(c, timeperiod=OSC_PERIOD),
        "macd": macd,
        "macd_signal": macd_signal,
        "willr": talib.WILLR(h, lo, c, timeperiod=OSC_PERIOD),
        "cci": talib.CCI(h, lo, c, timeperiod=OSC_PERIOD),
        "adx": talib.ADX(h, lo, c, timeperiod=OSC_PERIOD),
        "bb_upper": bb_upper,
        "bb_middle": bb_middle,
        "bb_lower": bb_lower,
    }


def warmup_days() -> int:
    """Index of the first day on which every indicator is defined (33: MACD's
    26-day slow EMA plus its 9-day signal, minus 2)."""
    n = 200
    close = np.linspace(10.0, 20.0, n) + np.sin(np.arange(n))
    series = indicator_series(close + 1.0, close - 1.0, close)
    return max(int(np.argmax(~np.isnan(v))) for v in series.values())


def window_statistics(closes: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics of each window's closes.

    ``closes``: shape (n_windows, window), oldest day first. Returns arrays of shape
    (n_windows,) named as :data:`STATISTIC_NAMES`:

    * ``min``/``max`` and ``min_t``/``max_t``: extreme closes and their day index in
      the window (0 = oldest; the first occurrence on ties);
    * ``mean``, ``median`` and ``median_t``: the day whose close is nearest the
      median (first on ties);
    * ``trend``: least-squares slope of close on day index, in price per day;
    * ``lag{k}_corr``: Pearson correlation of the daily close changes with
      themselves ``k`` days earlier (0 where either side is constant).
    """
    x = np.asarray(closes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2 + max(LAGS):
        raise ValueError(
            f"closes must have shape (n_windows, window >= {2 + max(LAGS)}), "
            f"got {x.shape}"
        )
    n_days = x.shape[1]
    median = np.median(x, axis=1)
    days = np.arange(n_days, dtype=np.float64)
    centred_days = days - days.mean()
    trend = (x - x.mean(axis=1, keepdims=True)) @ centred_days / (centred_days**2).sum()
    stats = {
        "min": x.min(axis=1),
        "min_t": x.argmin(axis=1).astype(np.float64),
        "max": x.max(axis=1),
        "max_t": x.argmax(axis=1).astype(np.float64),
        "mean": x.mean(axis=1),
        "median": median,
        "median_t": np.abs(x - median[:, None]).argmin(axis=1).astype(np.float64),
        "trend": trend,
    }
    changes = np.diff(x, axis=1)
    for lag in LAGS:
        stats[f"lag{lag}_corr"] = _rowwise_corr(changes[:, lag:], changes[:, :-lag])
    return stats


def _rowwise_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    num = (a * b).sum(axis=1)
    safe = denom > 1e-12 * np.maximum(np.abs(num), 1.0)
    return np.where(safe, num / np.where(safe, denom, 1.0), 0.0)
