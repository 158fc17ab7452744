"""StockNet prices -> forecasting windows: loading, leak-proof splits, disk cache.

Pure numpy (plus TA-Lib through ``features``); nothing here imports gymnasium.

A *window* is identified by its forecast day ``t`` (the last day of history): its
prompt shows closes ``t - window + 1 .. t`` and the indicators on day ``t``; its
targets are the closes of days ``t + 1 .. t + horizon``.

Splits are chronological per ticker. The days from the first usable forecast day on
are cut into three blocks (train, val, test; 70/15/15 by default) with ``gap`` days
(default: the horizon) dropped between consecutive blocks. A window belongs to a
block when its forecast day and all its target days lie inside the block. So every
train target precedes every val target by more than ``gap`` days, and likewise
val/test: no label of one split is seen, even as input, before the next split
starts (``tests/envs/text_forecast/test_data.py`` checks it).

Processed windows are cached on disk as ``.npz`` (no pickle) under
``$GRIDMARKET_CACHE_DIR`` or ``~/.cache/gridmarket/text_forecast``, keyed by the
SHA-256 of the ticker's CSV bytes, of this package's feature and prompt code plus
the TA-Lib version, and of the options (window, horizon, prompt format).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import talib

from gridmarket.envs.text_forecast import features as feat
from gridmarket.envs.text_forecast import prompts

DATA_DIR = Path(__file__).with_name("stocknet")
SPLITS: tuple[str, ...] = ("train", "val", "test")
_CODE_FILES = ("data.py", "features.py", "prompts.py")
_CACHE_FORMAT = 1


@dataclass(frozen=True)
class PriceSeries:
    """Daily prices of one ticker, oldest first; ``dropped`` rows had a missing
    field."""

    ticker: str
    dates: np.ndarray  # datetime64[D], (n_days,)
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    dropped: int = 0


@dataclass(frozen=True)
class SplitSpec:
    """Fractions of each ticker's usable days for train and val (test gets the
    rest), and the days dropped between blocks (None: the horizon)."""

    train: float = 0.7
    val: float = 0.15
    gap: int | None = None

    def validate(self, horizon: int) -> int:
        """The gap in days; raises when the fractions or the gap are invalid."""
        if not (0 < self.train < 1 and 0 < self.val < 1 and self.train + self.val < 1):
            raise ValueError(
                f"split fractions need 0 < train, 0 < val, train + val < 1; got "
                f"train={self.train}, val={self.val}"
            )
        gap = horizon if self.gap is None else self.gap
        if gap < horizon:
            raise ValueError(
                f"split gap must be >= horizon ({horizon}) to keep targets of one "
                f"split out of the next; got gap={gap}"
            )
        return int(gap)


def available_tickers(data_dir: Path = DATA_DIR) -> tuple[str, ...]:
    """Tickers with a price file, sorted."""
    return tuple(sorted(p.stem for p in (data_dir / "price").glob("*.csv")))


def resolve_tickers(ticker: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"AAPL"``, ``["AAPL", "MSFT"]`` or ``"all"`` -> a tuple of known tickers."""
    known = available_tickers()
    if isinstance(ticker, str):
        wanted = known if ticker.lower() == "all" else (ticker,)
    else:
        wanted = tuple(ticker)
    unknown = [t for t in wanted if t not in known]
    if unknown or not wanted:
        raise ValueError(
            f"ticker must be 'all', one of the {len(known)} StockNet tickers or a "
            f"non-empty list of them; unknown: {unknown or ticker!r}. "
            f"Known: {', '.join(known)}"
        )
    return tuple(dict.fromkeys(wanted))


def load_prices(ticker: str, data_dir: Path = DATA_DIR) -> PriceSeries:
    """Read ``price/<ticker>.csv``; rows with an empty or ``null`` field are
    dropped (three files have one such day, see stocknet/README.md)."""
    path = data_dir / "price" / f"{ticker}.csv"
    if not path.is_file():
        resolve_tickers(ticker)  # raises with the list of known tickers
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    if header != ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]:
        raise ValueError(f"{path}: unexpected header {header}")
    good = [r for r in body if all(x not in ("", "null") for x in r)]
    values = np.array([[float(x) for x in r[1:]] for r in good], dtype=np.float64)
    return PriceSeries(
        ticker=ticker,
        dates=np.array([r[0] for r in good], dtype="datetime64[D]"),
        open=values[:, 0],
        high=values[:, 1],
        low=values[:, 2],
        close=values[:, 3],
        volume=values[:, 5],
        dropped=len(body) - len(good),
    )


@functools.cache
def warmup_days() -> int:
    return feat.warmup_days()


def first_forecast_day(window: int) -> int:
    """The earliest forecast day: a full history and every indicator defined."""
    return max(window - 1, warmup_days())


def split_blocks(
    n_days: int, window: int, horizon: int, spec: SplitSpec = SplitSpec()
) -> dict[str, tuple[int, int]]:
    """Day ranges ``[start, stop)`` of the train, val and test blocks."""
    gap = spec.validate(horizon)
    first = first_forecast_day(window)
    usable = n_days - first
    n_train = int(round(spec.train * usable))
    n_val = int(round(spec.val * usable))
    train = (first, first + n_train)
    val = (train[1] + gap, first + n_train + n_val)
    test = (val[1] + gap, n_days)
    return {"train": train, "val": val, "test": test}


def split_forecast_days(
    n_days: int, window: int, horizon: int, split: str, spec: SplitSpec = SplitSpec()
) -> np.ndarray:
    """Forecast days of the windows in ``split``: each with all its targets in the
    block."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    start, stop = split_blocks(n_days, window, horizon, spec)[split]
    return np.arange(start, max(start, stop - horizon), dtype=np.int64)


@dataclass(frozen=True)
class TickerWindows:
    """Every window of one ticker (forecast days ``first_forecast_day`` to
    ``n_days - horizon - 1``)."""

    ticker: str
    n_days: int
    forecast_day: np.ndarray  # (n,) int64, index into the price series
    end_date: np.ndarray  # (n,) datetime64[D]
    prompts: list[str]
    targets: np.ndarray  # (n, horizon) float64
    last_close: np.ndarray  # (n,)
    scale: np.ndarray  # (n,) mean |daily change| of the window's closes
    features: np.ndarray  # (n, len(FEATURE_NAMES))


def build_ticker_windows(
    prices: PriceSeries, window: int, horizon: int, prompt_format: str
) -> TickerWindows:
    """Compute features and prompts of every window of one ticker (no cache)."""
    close = prices.close
    n_days = close.size
    days = np.arange(first_forecast_day(window), n_days - horizon, dtype=np.int64)
    indicators = feat.indicator_series(prices.high, prices.low, close)
    histories = np.lib.stride_tricks.sliding_window_view(close, window)[
        days - window + 1
    ]
    stats = feat.window_statistics(histories)
    table = {name: series[days] for name, series in indicators.items()} | stats
    matrix = np.stack([table[name] for name in feat.FEATURE_NAMES], axis=1)
    if matrix.size and not np.isfinite(matrix).all():
        raise ValueError(f"{prices.ticker}: non-finite feature after warm-up")
    formatted = [f"{c:.2f}" for c in close]
    limit = prompts.max_prompt_chars(window, prompt_format)
    texts = []
    for row, t in enumerate(days.tolist()):
        text = prompts.render_prompt(
            prompt_format,
            ticker=prices.ticker,
            last_date=str(prices.dates[t]),
            closes=formatted[t - window + 1 : t + 1],
            features=dict(zip(feat.FEATURE_NAMES, matrix[row].tolist(), strict=True)),
            horizon=horizon,
        )
        if len(text) > limit:
            raise ValueError(
                f"{prices.ticker} day {t}: prompt of {len(text)} chars exceeds the "
                f"stated maximum {limit}"
            )
        texts.append(text)
    targets = np.lib.stride_tricks.sliding_window_view(close[1:], horizon)[days]
    scale = np.abs(np.diff(histories, axis=1)).mean(axis=1)
    return TickerWindows(
        ticker=prices.ticker,
        n_days=n_days,
        forecast_day=days,
        end_date=prices.dates[days],
        prompts=texts,
        targets=np.ascontiguousarray(targets),
        last_close=close[days].copy(),
        scale=np.maximum(scale, 1e-6 * close[days]),
        features=matrix,
    )


def default_cache_dir() -> Path:
    env = os.environ.get("GRIDMARKET_CACHE_DIR")
    root = Path(env) if env else Path.home() / ".cache" / "gridmarket"
    return root / "text_forecast"


@functools.cache
def code_version() -> str:
    """SHA-256 of the feature/prompt code and the TA-Lib version."""
    digest = hashlib.sha256(f"{_CACHE_FORMAT}:{talib.__version__}".encode())
    for name in _CODE_FILES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


def cache_key(data_bytes: bytes, window: int, horizon: int, prompt_format: str) -> str:
    options = json.dumps(
        {"window": window, "horizon": horizon, "prompt_format": prompt_format},
        sort_keys=True,
    )
    digest = hashlib.sha256(hashlib.sha256(data_bytes).digest())
    digest.update(code_version().encode())
    digest.update(options.encode())
    return digest.hexdigest()


def _save(path: Path, w: TickerWindows) -> None:
    encoded = [p.encode("ascii") for p in w.prompts]
    offsets = np.cumsum([0] + [len(b) for b in encoded], dtype=np.int64)
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(
        tmp,
        n_days=np.int64(w.n_days),
        forecast_day=w.forecast_day,
        end_date=w.end_date,
        prompt_blob=blob,
        prompt_offsets=offsets,
        targets=w.targets,
        last_close=w.last_close,
        scale=w.scale,
        features=w.features,
    )
    os.replace(tmp, path)


def _load(path: Path, ticker: str) -> TickerWindows:
    with np.load(path, allow_pickle=False) as z:
        blob = z["prompt_blob"].tobytes().decode("ascii")
        offsets = z["prompt_offsets"].tolist()
        return TickerWindows(
            ticker=ticker,
            n_days=int(z["n_days"]),
            forecast_day=z["forecast_day"],
            end_date=z["end_date"],
            prompts=[blob[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)],
            targets=z["targets"],
            last_close=z["last_close"],
            scale=z["scale"],
            features=z["features"],
        )


def ticker_windows(
    ticker: str,
    window: int,
    horizon: int,
    prompt_format: str,
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
) -> TickerWindows:
    """Every window of ``ticker``, from the disk cache when its key matches."""
    path = DATA_DIR / "price" / f"{ticker}.csv"
    resolve_tickers(ticker)
    if not use_cache:
        return build_ticker_windows(load_prices(ticker), window, horizon, prompt_format)
    key = cache_key(path.read_bytes(), window, horizon, prompt_format)
    cache_path = Path(cache_dir or default_cache_dir()) / f"{ticker}-{key[:32]}.npz"
    if cache_path.is_file():
        try:
            return _load(cache_path, ticker)
        except (OSError, ValueError, KeyError):
            pass  # a corrupt or foreign file: rebuild and overwrite it
    built = build_ticker_windows(load_prices(ticker), window, horizon, prompt_format)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    _save(cache_path, built)
    return built


@dataclass(frozen=True)
class WindowSet:
    """The windows of one split over one or more tickers, in ticker then date
    order; ``window_id`` indexes every array. Everything GRPO needs to score
    completions in batch (``targets``, ``last_close``, ``scale``) is here."""

    split: str
    window: int
    horizon: int
    prompt_format: str
    ticker: np.ndarray  # (n,) str
    forecast_day: np.ndarray  # (n,) int64
    end_date: np.ndarray  # (n,) datetime64[D]
    prompts: list[str]
    targets: np.ndarray  # (n, horizon)
    last_close: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)
    features: np.ndarray  # (n, len(FEATURE_NAMES))

    def __len__(self) -> int:
        return len(self.prompts)


def check_window_options(window: int, horizon: int, prompt_format: str) -> None:
    for name, value, low, high in (
        ("window", window, 8, 500),
        ("horizon", horizon, 1, 60),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    prompts.check_format(prompt_format)


def load_window_set(
    ticker: str | list[str] | tuple[str, ...] = "AAPL",
    split: str = "train",
    *,
    window: int = 50,
    horizon: int = 10,
    prompt_format: str = "seed",
    spec: SplitSpec = SplitSpec(),
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
) -> WindowSet:
    """The windows of ``split`` for ``ticker`` (one, a list, or ``"all"``)."""
    check_window_options(window, horizon, prompt_format)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    spec.validate(horizon)
    parts = []
    for name in resolve_tickers(ticker):
        w = ticker_windows(name, window, horizon, prompt_format, cache_dir, use_cache)
        days = split_forecast_days(w.n_days, window, horizon, split, spec)
        rows = days - first_forecast_day(window)
        parts.append((name, w, rows))
    total = sum(rows.size for _, _, rows in parts)
    if total == 0:
        raise ValueError(
            f"split {split!r} of {ticker!r} has no windows with window={window}, "
            f"horizon={horizon}; use a shorter window or more tickers"
        )
    prompts_out = [w.prompts[i] for _, w, rows in parts for i in rows.tolist()]
    return WindowSet(
        split=split,
        window=window,
        horizon=horizon,
        prompt_format=prompt_format,
        ticker=np.concatenate([np.full(rows.size, n) for n, _, rows in parts]),
        forecast_day=np.concatenate([w.forecast_day[r] for _, w, r in parts]),
        end_date=np.concatenate([w.end_date[r] for _, w, r in parts]),
        prompts=prompts_out,
        targets=np.concatenate([w.targets[r] for _, w, r in parts]),
        last_close=np.concatenate([w.last_close[r] for _, w, r in parts]),
        scale=np.concatenate([w.scale[r] for _, w, r in parts]),
        features=np.concatenate([w.features[r] for _, w, r in parts]),
    )
