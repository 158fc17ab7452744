"""TA-Lib indicators against hand computations; window statistics by hand."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.text_forecast import features as feat


@pytest.fixture(scope="module")
def series():
    close = np.array(
        [10, 11, 10.5, 12, 13, 12.5, 12, 14, 15, 14.5, 16, 15.5, 17, 16, 18,
         17.5, 19, 18, 20, 21, 20.5, 22, 21, 23, 24, 23.5, 25, 24, 26, 27,
         26.5, 28, 27, 29, 30, 29.5, 31, 30, 32, 33],
        dtype=np.float64,
    )  # fmt: skip
    high, low = close + 0.5, close - 0.75
    return high, low, close, feat.indicator_series(high, low, close)


def test_sma_ema_mom_by_hand(series):
    _, _, c, ind = series
    assert ind["sma"][9] == pytest.approx(c[:10].mean())
    assert np.isnan(ind["sma"][8])
    # TA-Lib seeds the EMA with the SMA of the first period, then k = 2 / 11.
    assert ind["ema"][9] == pytest.approx(c[:10].mean())
    assert ind["ema"][10] == pytest.approx(
        c[:10].mean() + 2 / 11 * (c[10] - c[:10].mean())
    )
    assert ind["mom"][25] == pytest.approx(c[25] - c[15])


def test_rsi_first_value_is_wilder_gain_share(series):
    _, _, c, ind = series
    changes = np.diff(c[:15])
    gains, losses = changes[changes > 0].sum(), -changes[changes < 0].sum()
    assert np.isnan(ind["rsi"][13])
    assert ind["rsi"][14] == pytest.approx(100 * gains / (gains + losses))


def test_willr_bbands_stoch_by_hand(series):
    h, lo, c, ind = series
    t = 30
    hh, ll = h[t - 13 : t + 1].max(), lo[t - 13 : t + 1].min()
    assert ind["willr"][t] == pytest.approx(-100 * (hh - c[t]) / (hh - ll))
    last20 = c[t - 19 : t + 1]
    assert ind["bb_middle"][t] == pytest.approx(last20.mean())
    assert ind["bb_upper"][t] == pytest.approx(last20.mean() + 2 * last20.std())
    assert ind["bb_lower"][t] == pytest.approx(last20.mean() - 2 * last20.std())

    def fast_k(day):
        hh = h[day - 13 : day + 1].max()
        ll = lo[day - 13 : day + 1].min()
        return 100 * (c[day] - ll) / (hh - ll)

    slow_k = [
        np.mean([fast_k(d) for d in range(day - 2, day + 1)])
        for day in range(t - 2, t + 1)
    ]
    assert ind["stoch_k"][t] == pytest.approx(slow_k[-1])
    assert ind["stoch_d"][t] == pytest.approx(np.mean(slow_k))


def test_warmup_is_macd_lookback():
    assert feat.warmup_days() == 33  # 26-day slow EMA + 9-day signal - 2


def test_window_statistics_by_hand():
    closes = np.array([[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]])
    s = feat.window_statistics(closes)
    assert (s["min"][0], s["min_t"][0], s["max"][0], s["max_t"][0]) == (1, 1, 9, 5)
    assert s["mean"][0] == pytest.approx(31 / 8)
    assert s["median"][0] == pytest.approx(3.5)
    assert s["median_t"][0] == 0  # |3 - 3.5| = |4 - 3.5|; the first wins
    days = np.arange(8.0)
    assert s["trend"][0] == pytest.approx(np.polyfit(days, closes[0], 1)[0])
    d = np.diff(closes[0])
    assert s["lag1_corr"][0] == pytest.approx(np.corrcoef(d[1:], d[:-1])[0, 1])
    assert s["lag3_corr"][0] == pytest.approx(np.corrcoef(d[3:], d[:-3])[0, 1])


def test_window_statistics_constant_changes_have_zero_correlation():
    s = feat.window_statistics(np.arange(10.0)[None])
    assert s["lag1_corr"][0] == 0.0
    assert s["trend"][0] == pytest.approx(1.0)


def test_window_statistics_rejects_short_windows():
    with pytest.raises(ValueError, match=r"window >= 5"):
        feat.window_statistics(np.ones((2, 4)))
