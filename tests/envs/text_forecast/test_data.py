"""Shipped StockNet files, loading, chronological splits with a gap, the cache."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from gridmarket.envs.text_forecast import data


def test_shipped_files_are_verbatim_copies():
    listed = {}
    for line in (data.DATA_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    assert len([n for n in listed if n.startswith("price/")]) == 88
    assert {"LICENSE", "StockTable.tsv"} <= set(listed)
    for name, digest in listed.items():
        actual = hashlib.sha256((data.DATA_DIR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} was edited"
    assert "MIT License" in (data.DATA_DIR / "LICENSE").read_text()
    assert len(data.available_tickers()) == 88


def test_load_prices_drops_null_rows():
    ptr = data.load_prices("PTR")
    assert ptr.dropped == 1
    assert np.datetime64("2016-06-29") not in ptr.dates
    aapl = data.load_prices("AAPL")
    assert aapl.dropped == 0 and aapl.close.size == 1258
    assert aapl.dates[0] == np.datetime64("2012-09-04")
    assert aapl.close[0] == pytest.approx(96.424286)


def test_unknown_ticker_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown: \['ZZZZ'\].*AAPL"):
        data.resolve_tickers(["AAPL", "ZZZZ"])
    assert data.resolve_tickers("all") == data.available_tickers()


@pytest.mark.parametrize("window,horizon", [(50, 10), (8, 3), (120, 20)])
def test_splits_are_chronological_with_a_gap_of_at_least_the_horizon(window, horizon):
    n_days = data.load_prices("AAPL").close.size
    days = {
        s: data.split_forecast_days(n_days, window, horizon, s) for s in data.SPLITS
    }
    for earlier, later in (("train", "val"), ("val", "test")):
        last_target = days[earlier].max() + horizon
        assert days[later].min() - last_target > horizon
    assert days["train"].min() >= max(window - 1, data.warmup_days())
    assert days["test"].max() + horizon == n_days - 1  # the last close is a target
    sizes = [days[s].size for s in data.SPLITS]
    assert sizes[0] > 3 * sizes[1] and abs(sizes[1] - sizes[2]) <= 2


def test_split_gap_below_horizon_is_refused():
    with pytest.raises(ValueError, match=r"gap must be >= horizon \(10\).*gap=5"):
        data.load_window_set("AAPL", "val", spec=data.SplitSpec(gap=5))
    with pytest.raises(ValueError, match=r"train=0.9, val=0.2"):
        data.SplitSpec(train=0.9, val=0.2).validate(10)


def test_window_targets_and_scale_match_the_prices():
    prices = data.load_prices("MSFT")
    ws = data.load_window_set("MSFT", "test", window=20, horizon=5)
    t = int(ws.forecast_day[7])
    np.testing.assert_array_equal(ws.targets[7], prices.close[t + 1 : t + 6])
    assert ws.last_close[7] == prices.close[t]
    history = prices.close[t - 19 : t + 1]
    assert ws.scale[7] == pytest.approx(np.abs(np.diff(history)).mean())
    assert ws.end_date[7] == prices.dates[t]
    assert f"{history[0]:.2f}, " in ws.prompts[7]


def test_multi_ticker_sets_concatenate_in_ticker_order():
    both = data.load_window_set(["MSFT", "AAPL"], "val", prompt_format="compact")
    msft = data.load_window_set("MSFT", "val", prompt_format="compact")
    assert list(dict.fromkeys(both.ticker.tolist())) == ["MSFT", "AAPL"]
    assert both.prompts[: len(msft)] == msft.prompts
    assert len(both) == len(msft) + len(data.load_window_set("AAPL", "val"))


def test_cache_hits_and_is_keyed_by_data_code_and_options(tmp_path):
    built = data.ticker_windows("KO", 30, 10, "compact", cache_dir=tmp_path)
    files = list(tmp_path.glob("KO-*.npz"))
    assert len(files) == 1
    loaded = data.ticker_windows("KO", 30, 10, "compact", cache_dir=tmp_path)
    assert loaded.prompts == built.prompts
    np.testing.assert_array_equal(loaded.targets, built.targets)
    data.ticker_windows("KO", 30, 10, "seed", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("KO-*.npz"))) == 2
    raw = (data.DATA_DIR / "price" / "KO.csv").read_bytes()
    key = data.cache_key(raw, 30, 10, "compact")
    assert files[0].name == f"KO-{key[:32]}.npz"
    assert data.cache_key(raw + b"\n", 30, 10, "compact") != key
    assert data.cache_key(raw, 31, 10, "compact") != key


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    built = data.ticker_windows("KO", 30, 10, "compact", cache_dir=tmp_path)
    (path,) = tmp_path.glob("KO-*.npz")
    path.write_bytes(b"not an npz file")
    again = data.ticker_windows("KO", 30, 10, "compact", cache_dir=tmp_path)
    assert again.prompts == built.prompts


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"window": 4}, r"window must be in \[8, 500\], got 4"),
        ({"horizon": 0}, r"horizon must be in \[1, 60\], got 0"),
        ({"prompt_format": "xml"}, r"prompt_format must be one of .*got 'xml'"),
        ({"split": "validation"}, r"split must be one of .*got 'validation'"),
    ],
)
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_window_set("AAPL", **{"split": "train", **kwargs})


def test_pure_parts_import_neither_gymnasium_nor_the_upper_layers():
    """``gridmarket/__init__`` registers the envs (and so imports gymnasium); the
    pure modules themselves import only numpy, TA-Lib, the standard library and
    each other."""
    import ast
    import sys

    allowed = {"numpy", "talib", "gridmarket"} | set(sys.stdlib_module_names)
    for name in ("data", "features", "prompts", "reward"):
        tree = ast.parse((data.DATA_DIR.parent / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in allowed, f"{name}.py imports {module}"
                if module.startswith("gridmarket"):
                    assert module.startswith("gridmarket.envs.text_forecast"), module
