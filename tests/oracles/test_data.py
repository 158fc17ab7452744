"""The feature table: verbatim data, the paper's construction, scenario windows."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pandas as pd
import pytest

from gridmarket.oracles import data as gm_data

# The scaled initial states listed in shared/data/README.md (the paper's configs).
README_STATES = {
    "2007-01": [-39.05, -46.16, 18.65, -100.0, -0.79, -94.09],
    "2001-01": [77.03, -5.95, 100.0, -62.24, -29.55, 100.0],
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return gm_data.build_feature_table()


def _raw_rows(name: str) -> dict[str, list[str]]:
    with open(gm_data.default_data_dir() / name, newline="") as handle:
        return {row[0]: row[1:] for row in csv.reader(handle)}


def test_shipped_csvs_are_verbatim_copies():
    root = gm_data.default_data_dir()
    listed = {}
    for line in (root / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    assert sorted(listed) == sorted(gm_data.FILES)
    for name, digest in listed.items():
        assert gm_data.file_sha256(root / name) == digest, f"{name} was edited"
    assert (root / "README.md").read_text().count("verbatim") >= 1


def test_table_shape_range_and_columns(table):
    assert table.shape == (313, 8)
    assert list(table.columns) == [*gm_data.FEATURES, "Close_spx", gm_data.TARGET]
    assert gm_data.month_str(table.index[0]) == "1996-12"
    assert gm_data.month_str(table.index[-1]) == "2022-12"
    months = pd.period_range("1996-12", "2022-12", freq="M").to_timestamp()
    assert (table.index == months).all()
    assert not table[list(gm_data.FEATURES)].isna().any().any()
    # Only the last 12 months lack a forward 12-month return.
    assert table[gm_data.TARGET].isna().sum() == 12
    assert table[gm_data.TARGET].iloc[-12:].isna().all()


def test_values_follow_the_papers_recipe(table):
    spx, ndx = _raw_rows("SPX_monthly.csv"), _raw_rows("NDX_monthly.csv")
    row = table.loc["2007-01-01"]
    close_now, close_later = float(spx["2007-01-01"][0]), float(spx["2008-01-01"][0])
    assert row[gm_data.TARGET] == pytest.approx(100 * (close_later / close_now - 1))
    assert row["Volume_spx"] == pytest.approx(float(spx["2007-01-01"][4]) / 1e6)
    assert row["Volume_ndx"] == pytest.approx(float(ndx["2007-01-01"][4]) / 1e6)
    assert row["Close_ndx"] == pytest.approx(float(ndx["2007-01-01"][0]))
    # 1997-01-01 is a blank holiday cell: the month takes its first non-blank value.
    hy = _raw_rows("BAMLH0A3HYCEY_daily.csv")
    assert hy["1997-01-01"] == [""]
    assert table.loc["1997-01-01", "BAMLH0A3HYCEY"] == float(hy["1997-01-02"][0])
    assert table.loc["1996-12-01", "BAMLH0A3HYCEY"] == float(hy["1996-12-31"][0])


@pytest.mark.parametrize(
    ("scenario", "n_train", "train_end", "holdout", "initial"),
    [
        ("dotcom-2001", 38, "2000-01", ("2000-02", "2001-01"), "2000-01"),
        ("gfc-2007", 122, "2007-01", ("2007-02", "2008-01"), "2007-01"),
        ("inflation-2022", 289, "2020-12", ("2021-01", "2021-12"), "2020-12"),
    ],
)
def test_scenario_windows(table, scenario, n_train, train_end, holdout, initial):
    split = gm_data.scenario_split(scenario, table)
    assert len(split.train) == n_train
    assert gm_data.month_str(split.train.index[0]) == "1996-12"
    assert gm_data.month_str(split.train.index[-1]) == train_end
    assert len(split.holdout) == gm_data.HOLDOUT_MONTHS
    hold = (split.holdout.index[0], split.holdout.index[-1])
    assert tuple(gm_data.month_str(m) for m in hold) == holdout
    assert split.initial_month == initial
    # Hold-out follows training directly; every target window closes by the cutoff.
    assert split.holdout.index[0] == split.train.index[-1] + pd.DateOffset(months=1)
    cutoff = pd.Timestamp(f"{split.cutoff}-01")
    assert split.holdout.index[-1] + pd.DateOffset(months=12) <= cutoff
    assert np.isfinite(split.y_train).all() and np.isfinite(split.y_holdout).all()
    assert split.X_train.shape == (n_train, 6)


@pytest.mark.parametrize(
    ("month", "cutoff"), [("2007-01", "2009-01"), ("2001-01", "2002-01")]
)
def test_readme_states_come_from_the_papers_scaler(table, month, cutoff):
    """The README values are min-max over 1997-12..cutoff at these months, exactly.

    This pins down the paper's recipe (and that our table matches its data); our
    oracles scale over their own training rows instead, so their states differ.
    """
    rows = table.loc["1997-12-01" : f"{cutoff}-01", list(gm_data.FEATURES)]
    low, high = rows.min(), rows.max()
    scaled = (table.loc[f"{month}-01", list(gm_data.FEATURES)] - low) / (high - low)
    np.testing.assert_allclose(200 * scaled - 100, README_STATES[month], atol=0.01)


def test_unknown_scenario_lists_valid_ones():
    with pytest.raises(ValueError, match="dotcom-2001.*gfc-2007.*inflation-2022"):
        gm_data.scenario_split("covid-2020")
    with pytest.raises(TypeError, match="must be a str"):
        gm_data.check_scenario(2007)


def test_bad_or_missing_files_give_clear_errors(tmp_path):
    for name in gm_data.FILES:
        shutil.copy(gm_data.default_data_dir() / name, tmp_path / name)
    lines = (tmp_path / "VIX_monthly.csv").read_text().splitlines()
    (tmp_path / "VIX_monthly.csv").write_text("\n".join(lines[2:]) + "\n")
    with pytest.raises(ValueError, match="VIX_monthly.csv.*Yahoo export layout"):
        gm_data.build_feature_table(tmp_path)
    (tmp_path / "VIX_monthly.csv").unlink()
    with pytest.raises(FileNotFoundError, match="VIX_monthly.csv"):
        gm_data.build_feature_table(tmp_path)
    (tmp_path / "IRLTCT01USM156N.csv").write_text("date,value\n2000-01-01,5\n")
    with pytest.raises(ValueError, match="expected columns"):
        gm_data.read_fred(tmp_path / "IRLTCT01USM156N.csv", "IRLTCT01USM156N")
