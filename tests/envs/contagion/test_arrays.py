"""The step's array helpers give the numbers of the plain expressions, bit for bit."""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion.arrays import (
    SOURCES_STAMP,
    clear_stale_cache,
    fill,
    share,
)


def test_share_is_the_masked_division_bit_for_bit():
    rng = np.random.default_rng(0)
    for _ in range(50):
        parts = rng.random(200) * 10.0 ** rng.integers(-300, 300, 200)
        parts[rng.random(200) < 0.3] = 0.0
        groups = rng.integers(0, 40, 200)
        totals = np.bincount(groups, weights=parts, minlength=40)[groups]
        expected = np.divide(parts, totals, out=np.zeros(parts.shape), where=totals > 0)
        got = share(parts, totals)
        np.testing.assert_array_equal(got, expected)
        assert not np.signbit(got).any()


def test_share_of_nothing_is_zero():
    np.testing.assert_array_equal(share(np.zeros(3), np.zeros(3)), np.zeros(3))


def test_fill_is_np_full():
    for shape, value, dtype in [(5, -1, np.int64), ((2, 3), np.inf, np.float64)]:
        got = fill(shape, value, dtype)
        np.testing.assert_array_equal(got, np.full(shape, value, dtype))
        assert got.dtype == dtype


def test_a_changed_source_clears_the_whole_package_cache(tmp_path):
    (tmp_path / "stage.py").write_text("x = 1\n")
    (tmp_path / "caller.py").write_text("y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()

    def cached_files():
        for name in ("caller.f-3.py311.nbi", "caller.f-3.py311.1.nbc"):
            (cache / name).write_text("machine code")
        (cache / "caller.cpython-311.pyc").write_text("bytecode")

    cached_files()
    assert clear_stale_cache(tmp_path)  # no stamp yet: cleared
    assert sorted(p.name for p in cache.iterdir()) == [
        "caller.cpython-311.pyc",  # not numba's: kept
        SOURCES_STAMP,
    ]
    cached_files()
    assert not clear_stale_cache(tmp_path)  # nothing changed: the cache stays
    assert len(list(cache.glob("*.nb*"))) == 2
    (tmp_path / "stage.py").write_text("x = 3\n")  # another module than caller's
    assert clear_stale_cache(tmp_path)
    assert not list(cache.glob("*.nb*"))
    assert not clear_stale_cache(tmp_path)
